"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what arrives, for the delivery tests."""

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Arrival:
    recipients: list[str]
    message: EmailMessage


class SinkHandler:
    """Records every accepted message and counts SMTP sessions (one EHLO/HELO per connection).

    Addresses in ``refused`` are answered ``550 mailbox unavailable`` at RCPT time; a message to an
    address in ``rejected`` is refused after its content, ``554 message rejected as spam``.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[Arrival] = []
        self.connections = 0
        self.refused: set[str] = set()
        self.rejected: set[str] = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return "250 sink"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if {address.lower() for address in envelope.rcpt_tos} & self.rejected:
            return "554 message rejected as spam"
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.arrivals.append(Arrival(recipients=list(envelope.rcpt_tos), message=message))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(address for arrival in self.arrivals for address in arrival.recipients)

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [arrival.message for arrival in self.arrivals if address in arrival.recipients]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    """Start the sink and point Django's SMTP backend at it (pytest-django would force locmem)."""
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()
