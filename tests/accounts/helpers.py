import re

from django.core import mail
from django.test import TestCase

REGISTRATION = {
    "last_name": "Ivanova",
    "first_name": "Maria",
    "middle_name": "",
    "username": "maria",
    "email": "Maria@Example.com",
    "phone": "+7 (912) 345-67-89",
    "password": "Good$Pass1",
    "password_confirm": "Good$Pass1",
}


def code_from_outbox(outbox: list | None = None) -> str:
    """The 6-digit code of the last confirmation email."""
    message = (outbox if outbox is not None else mail.outbox)[-1]
    found = re.search(r"\b(\d{6})\b", str(message.body))
    assert found, message.body
    return found.group(1)


def committed():
    """Run the on-commit callbacks (emails) of the block, as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)
