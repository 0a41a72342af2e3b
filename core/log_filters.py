"""Logging filters for the development server's console (``make run``)."""

import logging

# Asked every few seconds by every open tab (static/js/agora.js): a line each would bury the
# lines that matter, such as the email with a registration code.
QUIET_PATHS = (" /nav/badges/ ",)


class QuietPolling(logging.Filter):
    """Drops the development server's lines for successful polling requests; errors stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and int(status) >= 400:
            return True
        message = record.getMessage()
        return not any(path in message for path in QUIET_PATHS)
