"""The one email layer every app uses.

- Every outgoing email has a plain-text and an HTML part, both rendered from templates
  (``email_build``).
- Bulk email (mailings, the shop newsletter) carries a one-click unsubscribe link in both parts
  (the ``core/email/unsubscribe`` templates) and the ``List-Unsubscribe`` /
  ``List-Unsubscribe-Post`` headers of RFC 2369 and RFC 8058 (``unsubscribe_headers``).
- A batch job opens one connection (``connection_open``), hands each built email to
  ``email_deliver`` — which returns the server's answer or raises ``EmailDeliveryError`` carrying
  it — and closes the connection at the end (``connection_close``). A job sending thousands of
  emails built from one template may hand their bytes to ``email_deliver_bytes`` instead.
"""

import logging
import re
import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

# Django's SMTP backend reports how many emails it sent, not the server's text: this stands for
# the 250 reply that accepted the email.
ACCEPTED = "250 accepted"
# A line of the content starting with a period gets a second one (RFC 5321, 4.5.2).
_LEADING_PERIOD = re.compile(rb"(?m)^\.")


class EmailDeliveryError(Exception):
    """The server refused the email, or could not be reached; ``response`` is what it answered."""

    def __init__(self, response: str) -> None:
        super().__init__(response)
        self.response = response


def email_build(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    language: str | None = None,
    headers: dict[str, str] | None = None,
    connection: BaseEmailBackend | None = None,
) -> EmailMultiAlternatives:
    """Render ``<template>_subject.txt``, ``<template>.txt`` and ``<template>.html`` into one email.

    ``connection`` lets a batch job send many emails through one SMTP connection.
    """
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or translation.get_language()):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text_body = render_to_string(f"{template}.txt", context)
        html_body = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text_body, to=to, headers=headers, connection=connection)
    message.attach_alternative(html_body, "text/html")
    return message


def email_send(*, to: list[str], template: str, context: dict[str, Any], language: str | None = None) -> int:
    """Render the email (see ``email_build``) and send it."""
    return email_build(to=to, template=template, context=context, language=language).send()


def unsubscribe_headers(url: str) -> dict[str, str]:
    """The headers that let mail clients offer their own one-click unsubscribe button (RFC 8058)."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def connection_open(connection: BaseEmailBackend) -> None:
    """Open the batch's connection; if the server is unreachable each delivery retries on its own."""
    try:
        connection.open()
    except (smtplib.SMTPException, OSError):
        logger.warning("The mail server is unreachable; each delivery will try to connect on its own")


def connection_close(connection: BaseEmailBackend) -> None:
    """Close the connection; a broken one is dropped so the next delivery reconnects."""
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        logger.warning("Closing the SMTP connection failed", exc_info=True)
        # The SMTP backend keeps its socket here; the base class does not declare it.
        connection.connection = None  # type: ignore[attr-defined]


def email_deliver(*, message: EmailMessage, connection: BaseEmailBackend) -> str:
    """Hand one built email to the server over ``connection``; return its answer.

    Raises ``EmailDeliveryError`` with the server's complaint (``550 mailbox unavailable``) or the
    connection error; after a connection error the connection is dropped, so the next delivery
    over it reconnects.
    """
    message.connection = connection
    with _server_answers(connection):
        sent = message.send(fail_silently=False)
    if not sent:
        raise EmailDeliveryError("not sent")
    return ACCEPTED


def email_deliver_bytes(*, sender: str, recipients: list[str], data: bytes, connection: SMTPEmailBackend) -> str:
    """Hand an email already built as bytes to the server over Django's SMTP ``connection``.

    ``sender``, ``recipients`` and ``data`` are what Django's SMTP backend would pass to
    ``smtplib``: the sanitized envelope addresses and ``message().as_bytes(linesep="\\r\\n")``. A job
    that builds thousands of near-identical emails from one template spares Django's MIME
    building and address parsing per email this way. Answers and errors as ``email_deliver``; a
    dropped connection is opened again here and stays open for the next delivery.
    """
    email_delivery_start(sender=sender, recipients=recipients, data=data, connection=connection)
    return email_delivery_end(connection=connection)


def email_delivery_start(*, sender: str, recipients: list[str], data: bytes, connection: SMTPEmailBackend) -> None:
    """The first part of ``email_deliver_bytes`` (``smtplib``'s ``sendmail``): the envelope and the
    content, all but the content's end. The server takes the email only when
    ``email_delivery_end`` sends that end; ``email_delivery_abandon`` makes it drop the email.

    A job may so commit its record of the delivery while the conversation goes on (in a thread),
    and still never let an email go that it has not recorded.
    """
    with _server_answers(connection):
        if connection.connection is None:
            connection.open()
        server = connection.connection
        if server is None:  # a connection made to fail silently
            raise EmailDeliveryError("not sent")
        if server.sock is not None:
            # The content's end is a small write of its own after the content: without this, it
            # waits for the server's delayed acknowledgement of the content (40 ms on Linux).
            server.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server.ehlo_or_helo_if_needed()
        options = [f"size={len(data)}"] if server.does_esmtp and server.has_extn("size") else []
        code, answer = server.mail(sender, options)
        if code != 250:
            server.close() if code == 421 else server.rset()
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in recipients:
            code, answer = server.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, answer)
            if code == 421:
                server.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(recipients):
            server.rset()
            raise smtplib.SMTPRecipientsRefused(refused)
        code, answer = server.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, answer)
        content = _LEADING_PERIOD.sub(b"..", data)  # a line "." would end the content early
        server.send(content if content.endswith(b"\r\n") else content + b"\r\n")


def email_delivery_end(*, connection: SMTPEmailBackend) -> str:
    """End the content sent by ``email_delivery_start``: the server takes the email; its answer."""
    with _server_answers(connection):
        server = connection.connection
        if server is None:
            raise EmailDeliveryError("not sent")
        server.send(b".\r\n")
        code, answer = server.getreply()
        if code != 250:
            server.close() if code == 421 else server.rset()
            raise smtplib.SMTPDataError(code, answer)
    return ACCEPTED


def email_delivery_abandon(*, connection: SMTPEmailBackend) -> None:
    """Drop an email whose content was started (``email_delivery_start``) but must not go.

    The socket is closed without QUIT (which would be read as more content): a server drops an
    email whose content did not end (RFC 5321, 4.1.1.4). The next delivery reconnects.
    """
    server = connection.connection
    if server is not None:
        server.close()
    connection.connection = None


@contextmanager
def _server_answers(connection: BaseEmailBackend) -> Iterator[None]:
    """Turn what the SMTP conversation raised into ``EmailDeliveryError`` with the server's answer."""
    try:
        yield
    except smtplib.SMTPResponseException as error:
        answer = error.smtp_error
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        raise EmailDeliveryError(f"{error.smtp_code} {text}") from error
    except smtplib.SMTPRecipientsRefused as error:
        answers = [f"{code} {reply.decode(errors='replace')}" for code, reply in error.recipients.values()]
        raise EmailDeliveryError("; ".join(answers) or "recipient refused") from error
    except (smtplib.SMTPException, OSError) as error:
        connection_close(connection)
        raise EmailDeliveryError(f"{type(error).__name__}: {error}") from error
