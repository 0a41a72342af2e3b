"""The one email layer (``core.emails``): delivery over a given connection against a real SMTP
server, the unsubscribe headers, and the shared unsubscribe footer."""

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from core.emails import (
    ACCEPTED,
    EmailDeliveryError,
    connection_close,
    connection_open,
    email_deliver,
    unsubscribe_headers,
)
from tests.smtp_sink import SinkHandler, free_port, smtp_server_running, smtp_settings_use

LINK = "https://agora.example/unsubscribe/abc/"


@pytest.fixture
def sink(settings):
    handler = SinkHandler()
    with smtp_server_running(handler) as port:
        smtp_settings_use(settings, port)
        yield handler


def bulk_email(to: str) -> EmailMultiAlternatives:
    """A bulk email as the apps build theirs: the shared footer in both parts, and the headers."""
    context = {"unsubscribe_reason": "You subscribed to our news.", "unsubscribe_url": LINK}
    email = EmailMultiAlternatives(
        subject="News",
        body="Hello.\n\n" + render_to_string("core/email/unsubscribe.txt", context),
        to=[to],
        headers=unsubscribe_headers(LINK),
    )
    email.attach_alternative("<p>Hello.</p>" + render_to_string("core/email/unsubscribe.html", context), "text/html")
    return email


def test_deliver_hands_every_email_to_the_server_over_one_connection(sink):
    connection = get_connection(fail_silently=False)
    connection_open(connection)
    try:
        answers = [email_deliver(message=bulk_email(to), connection=connection) for to in ("a@x.org", "b@x.org")]
    finally:
        connection_close(connection)

    assert answers == [ACCEPTED, ACCEPTED]
    assert sink.recipients() == ["a@x.org", "b@x.org"]
    assert sink.connections == 1


def test_a_refused_recipient_raises_with_the_servers_answer(sink):
    sink.refused = {"gone@x.org"}
    connection = get_connection(fail_silently=False)

    with pytest.raises(EmailDeliveryError) as refusal:
        email_deliver(message=bulk_email("gone@x.org"), connection=connection)
    connection_close(connection)

    assert refusal.value.response == "550 mailbox unavailable"
    assert sink.arrivals == []


def test_a_message_refused_after_its_content_raises_with_the_servers_answer(sink):
    sink.rejected = {"strict@x.org"}
    connection = get_connection(fail_silently=False)

    with pytest.raises(EmailDeliveryError) as refusal:
        email_deliver(message=bulk_email("strict@x.org"), connection=connection)
    connection_close(connection)

    assert refusal.value.response == "554 message rejected as spam"


def test_an_unreachable_server_raises_a_connection_error_and_drops_the_connection(sink, settings):
    settings.EMAIL_PORT = free_port()  # nobody listens there
    connection = get_connection(fail_silently=False)
    connection_open(connection)  # logged, not raised: each delivery tries on its own

    with pytest.raises(EmailDeliveryError) as failure:
        email_deliver(message=bulk_email("a@x.org"), connection=connection)

    assert "ConnectionRefusedError" in failure.value.response
    assert connection.connection is None


def test_bulk_email_carries_the_one_click_unsubscribe_headers_and_footer(sink):
    connection = get_connection(fail_silently=False)
    email_deliver(message=bulk_email("a@x.org"), connection=connection)
    connection_close(connection)

    email = sink.messages_to("a@x.org")[0]
    assert email["List-Unsubscribe"] == f"<{LINK}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Unsubscribe from these emails: {LINK}" in email.get_body(("plain",)).get_content()
    assert f'<a href="{LINK}">Unsubscribe from these emails</a>' in email.get_body(("html",)).get_content()


def test_the_footer_escapes_the_reason_in_html_only():
    context = {"unsubscribe_reason": "Tom & Jerry <news>", "unsubscribe_url": LINK}

    text = render_to_string("core/email/unsubscribe.txt", context)
    html = render_to_string("core/email/unsubscribe.html", context)

    assert "Tom & Jerry <news>" in text
    assert "Tom &amp; Jerry &lt;news&gt;" in html
