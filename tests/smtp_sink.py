"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what arrives, for every delivery test.

Fixtures stay in the conftest and test modules; they build a handler, run it with ``smtp_server_running``
and point Django at it with ``smtp_settings_use`` (pytest-django would otherwise force locmem).
"""

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import NamedTuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pytest_django import Settings


class Arrival(NamedTuple):
    """One accepted message; a tuple so a test may also unpack it as ``recipients, message``."""

    recipients: list[str]
    message: EmailMessage


class SinkHandler:
    """Records every accepted message and counts SMTP sessions (one EHLO/HELO per connection).

    Addresses in ``refused`` are answered ``550 mailbox unavailable`` at RCPT time; a message to an
    address in ``rejected`` is refused after its content, ``554 message rejected as spam``.
    """

    def __init__(self, *, refused: set[str] | None = None, rejected: set[str] | None = None) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[Arrival] = []
        self.connections = 0
        self.refused: set[str] = refused or set()
        self.rejected: set[str] = rejected or set()

    @property
    def sessions(self) -> int:
        """The newsletter tests' name for ``connections``: each SMTP session is one connection."""
        return self.connections

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_HELO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str) -> str:
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return "250 sink"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refused:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if {address.lower() for address in envelope.rcpt_tos} & self.rejected:
            return "554 message rejected as spam"
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)  # aiosmtpd keeps the raw bytes unless decode_data is on
        message = message_from_bytes(content, policy=policy.default)
        with self.lock:
            self.arrivals.append(Arrival(recipients=list(envelope.rcpt_tos), message=message))
        return "250 Message accepted for delivery"

    def server_stopping(self) -> None:
        """Called as the server stops: this sink has no conversation waiting to be ended."""

    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(address for arrival in self.arrivals for address in arrival.recipients)

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [arrival.message for arrival in self.arrivals if address in arrival.recipients]


class StallingHandler(SinkHandler):
    """The sink, except that the DATA of the first email to ``stalled_address`` hangs (nothing is
    recorded) until ``release`` is set: the server has the content but has not answered yet."""

    def __init__(self, *, stalled_address: str) -> None:
        super().__init__()
        self.stalled_address = stalled_address.lower()
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.stalls = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.stalled_address in {address.lower() for address in envelope.rcpt_tos} and not self.stalls:
            self.stalls += 1
            self.stalled.set()
            while not self.release.is_set():  # polled: blocking here would freeze the server's loop
                await asyncio.sleep(0.05)
            return "451 the conversation was cut off"
        return await super().handle_DATA(server, session, envelope)

    def server_stopping(self) -> None:
        """A stalled conversation answers, so that it does not outlive the test that stalled it."""
        self.release.set()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def smtp_settings_use(settings: Settings, port: int) -> None:
    """Point Django's SMTP backend at 127.0.0.1:``port``, plain and without login."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10


@contextmanager
def smtp_server_running(handler: SinkHandler) -> Iterator[int]:
    """Serve ``handler`` on a free port of 127.0.0.1 for the block; yields the port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        handler.server_stopping()
        controller.stop()
