"""Scheduled jobs of mailings (declared in ``core.schedule``)."""

from mailings import sending


def send_due_mailings() -> dict[str, int]:
    return sending.send_due_mailings()
