"""Plain-text emails show what was typed: no HTML escaping (&lt;, &#x27;) in the text part."""

from pathlib import Path

import pytest
from django.conf import settings

from accounts import services
from tests.accounts.helpers import REGISTRATION, committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TYPED = """Links to <b>casino</b> & "free" stuff, isn't it?"""


def test_the_block_email_text_part_shows_the_reason_as_typed(mailoutbox):
    user = UserFactory(first_name="O'Neil")
    with committed():
        services.user_block(user=user, reason=TYPED, until=None, actor=None)

    email = mailoutbox[-1]
    assert TYPED in email.body
    assert "Hello O'Neil," in email.body
    assert "&lt;" not in email.body and "&#x27;" not in email.body
    # The HTML part is still escaped.
    assert "&lt;b&gt;casino" in email.alternatives[0][0]


def test_the_confirmation_email_text_part_shows_the_name_as_typed(mailoutbox):
    data = {**REGISTRATION, "first_name": "D'Arcy & Co"}
    data.pop("password_confirm")
    with committed():
        services.user_register(**data)

    assert "Hello D'Arcy & Co," in mailoutbox[-1].body


def test_the_test_email_text_part_shows_the_name_as_typed(mailoutbox):
    user = UserFactory(first_name="<Anna>")
    with committed():
        services.user_test_email_send(user=user, actor=None)

    assert "Hello <Anna>," in mailoutbox[-1].body


def email_text_templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    found = [
        path
        for path in root.glob("**/templates/**/email/*.txt")
        if not any(part in {".venv", "node_modules", "artifacts"} for part in path.relative_to(root).parts)
    ]
    assert found
    return sorted(found)


@pytest.mark.parametrize("path", email_text_templates(), ids=lambda path: path.name)
def test_every_plain_text_email_template_that_prints_values_turns_escaping_off(path):
    source = path.read_text()
    if "{{" in source or "blocktranslate" in source:
        assert "{% autoescape off %}" in source, f"{path} would HTML-escape values in a plain-text email"
