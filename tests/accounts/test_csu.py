"""``manage.py csu`` creates the superuser through the accounts service, audited and idempotent."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts import services
from accounts.models import User
from core.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def csu(*arguments: str) -> str:
    output = io.StringIO()
    call_command("csu", *arguments, stdout=output)
    return output.getvalue()


def test_csu_creates_the_superuser_once_and_audits_it():
    first = csu(
        "--username", "chief", "--email", "chief@example.com", "--phone", "+79121112299", "--password", PASSWORD
    )
    second = csu("--username", "chief", "--email", "other@example.com", "--phone", "+79121112298", "--password", "x")

    assert "created" in first and "already exists" in second
    chief = User.objects.get(username="chief")
    assert chief.email == "chief@example.com"
    assert AuditEvent.objects.filter(action="accounts.superuser_created", target_id=str(chief.pk)).count() == 1


def test_csu_refuses_a_taken_email_and_a_weak_password_and_creates_nothing():
    UserFactory(email="taken@example.com")

    with pytest.raises(CommandError, match="email"):
        csu("--username", "chief", "--email", "TAKEN@example.com", "--phone", "+79121112299", "--password", PASSWORD)
    with pytest.raises(CommandError, match="uppercase"):
        csu("--username", "chief", "--email", "chief@example.com", "--phone", "+79121112299", "--password", "weak$pass")
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        csu("--username", "chief", "--email", "chief@example.com", "--phone", "+79121112299", "--password", "")

    assert not User.objects.filter(username="chief").exists()
    assert not AuditEvent.objects.filter(action="accounts.superuser_created").exists()


def test_superuser_ensure_allows_a_reserved_username():
    user, created = services.superuser_ensure(
        username="root", email="root@example.com", phone="+79990000000", password=PASSWORD
    )

    assert created and user.is_superuser and user.is_staff and user.email_confirmed_at is not None
    assert user.groups.filter(name="user").exists()
