from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services
from accounts.jobs import purge_unconfirmed_registrations
from accounts.models import EmailConfirmation, User
from tests.accounts.helpers import REGISTRATION, code_from_outbox, committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def register(**changes) -> User:
    data = {**REGISTRATION, **changes}
    data.pop("password_confirm")
    with committed():
        return services.user_register(**data)


def test_registration_creates_inactive_user_in_user_group_and_emails_a_code(client, mailoutbox):
    with committed():
        response = client.post(reverse("accounts:register"), REGISTRATION)

    user = User.objects.get(username="maria")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm"))
    assert not user.is_active
    assert user.phone == "+79123456789"
    assert list(user.groups.values_list("name", flat=True)) == ["user"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["Maria@example.com"]
    code = code_from_outbox(mailoutbox)
    assert code in message.body
    assert message.alternatives and code in message.alternatives[0][0]
    assert "/accounts/confirm/" in message.body


def test_confirmation_code_is_stored_only_hashed(mailoutbox):
    user = register()
    code = code_from_outbox(mailoutbox)
    confirmation = EmailConfirmation.objects.get(user=user)
    assert code not in confirmation.code_hash
    assert len(confirmation.code_hash) >= 40


def test_registration_form_reports_each_problem_beside_its_field_and_creates_nothing(client, mailoutbox):
    data = {**REGISTRATION, "password": "weak", "password_confirm": "weak", "phone": "12345", "username": "admin1"}
    response = client.post(reverse("accounts:register"), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert "phone" in form.errors
    assert "username" in form.errors
    assert len(form.errors["password"]) >= 3
    assert not User.objects.filter(email__iexact="maria@example.com").exists()
    assert mailoutbox == []


def test_password_confirmation_must_match(client):
    response = client.post(reverse("accounts:register"), {**REGISTRATION, "password_confirm": "Other$Pass1"})
    assert "password_confirm" in response.context["form"].errors
    assert not User.objects.exists()


def test_email_is_unique_case_insensitively():
    UserFactory(email="maria@example.com")
    with pytest.raises(ValidationError) as caught:
        register(email="MARIA@EXAMPLE.COM")
    assert "email" in str(caught.value.message_dict) or "__all__" in caught.value.message_dict
    assert User.objects.filter(email__iexact="maria@example.com").count() == 1


def test_email_uniqueness_is_enforced_by_the_database_too():
    from django.db import IntegrityError, transaction

    UserFactory(email="maria@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="Maria@Example.COM")


def test_phone_is_unique_after_normalisation():
    UserFactory(phone="+79123456789")
    with pytest.raises(ValidationError) as caught:
        register(phone="+7 912 345-67-89")
    assert "phone" in caught.value.message_dict


def test_middle_name_is_optional_and_other_names_are_required(client):
    response = client.post(reverse("accounts:register"), {**REGISTRATION, "first_name": "", "last_name": ""})
    assert {"first_name", "last_name"} <= set(response.context["form"].errors)
    assert "middle_name" not in response.context["form"].errors


def test_right_code_activates_the_account(client, mailoutbox):
    user = register()
    response = client.post(reverse("accounts:confirm"), {"email": "maria@example.com", "code": code_from_outbox()})
    user.refresh_from_db()
    assert response.status_code == 302
    assert user.is_active
    assert user.email_confirmed_at is not None
    assert not EmailConfirmation.objects.filter(user=user).exists()


def test_used_code_is_dead(mailoutbox):
    register()
    code = code_from_outbox()
    services.email_confirmation_confirm(email="maria@example.com", code=code)
    with pytest.raises(ValidationError):
        services.email_confirmation_confirm(email="maria@example.com", code=code)


def test_expired_code_is_refused_and_the_account_stays_inactive(mailoutbox):
    user = register()
    EmailConfirmation.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError):
        services.email_confirmation_confirm(email="maria@example.com", code=code_from_outbox())
    user.refresh_from_db()
    assert not user.is_active


def test_code_expires_fifteen_minutes_after_sending(mailoutbox):
    user = register()
    confirmation = EmailConfirmation.objects.get(user=user)
    assert confirmation.expires_at - confirmation.sent_at == timedelta(minutes=15)


def test_wrong_codes_are_counted_and_the_fifth_kills_the_code(mailoutbox):
    user = register()
    right = code_from_outbox()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for attempt in range(1, 6):
        with pytest.raises(ValidationError):
            services.email_confirmation_confirm(email="maria@example.com", code=wrong)
        assert EmailConfirmation.objects.get(user=user).failed_attempts == attempt
    with pytest.raises(ValidationError):
        services.email_confirmation_confirm(email="maria@example.com", code=right)
    user.refresh_from_db()
    assert not user.is_active


def test_wrong_code_on_the_page_shows_an_error(client, mailoutbox):
    register()
    response = client.post(reverse("accounts:confirm"), {"email": "maria@example.com", "code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_confirmation_link_prefills_the_form_without_confirming(client, mailoutbox):
    user = register()
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/confirm/" in line)
    path = link[link.index("/accounts/confirm/") :].strip()
    response = client.get(path)
    user.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].initial["code"] == code_from_outbox()
    assert not user.is_active


def test_confirmation_link_with_unknown_user_shows_the_empty_form(client):
    response = client.get(reverse("accounts:confirm-link", args=["bm9uZQ", "123456"]))
    assert response.status_code == 200
    assert response.context["form"].initial == {"email": "", "code": ""}


def test_confirmation_link_with_a_wrong_code_names_no_email_and_counts_a_try(client, mailoutbox):
    user = register()
    confirmed = UserFactory()
    right = code_from_outbox()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    for person in (user, confirmed):
        uid = urlsafe_base64_encode(force_bytes(person.pk))
        response = client.get(reverse("accounts:confirm-link", args=[uid, wrong]))
        assert response.context["form"].initial == {"email": "", "code": ""}
        assert person.email not in response.content.decode()

    assert EmailConfirmation.objects.get(user=user).failed_attempts == 1


def test_resend_is_refused_during_the_cooldown_and_page_states_seconds_left(client, mailoutbox):
    register()
    response = client.post(reverse("accounts:confirm-resend"), {"email": "maria@example.com"}, follow=True)
    assert len(mailoutbox) == 1
    assert response.context["cooldown"] > 0
    assert "seconds" in response.content.decode()


def test_resend_after_the_cooldown_sends_a_new_code_and_the_old_one_dies(mailoutbox):
    user = register()
    old_code = code_from_outbox()
    EmailConfirmation.objects.filter(user=user).update(sent_at=timezone.now() - timedelta(minutes=2))
    with committed():
        services.email_confirmation_resend(email="MARIA@example.com")
    new_code = code_from_outbox()
    assert len(mailoutbox) == 2
    if new_code != old_code:
        with pytest.raises(ValidationError):
            services.email_confirmation_confirm(email="maria@example.com", code=old_code)
    services.email_confirmation_confirm(email="maria@example.com", code=new_code)


def test_resend_for_unknown_email_answers_like_a_known_one(client, mailoutbox):
    response = client.post(reverse("accounts:confirm-resend"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_resend_with_invalid_email_shows_an_error(client):
    response = client.post(reverse("accounts:confirm-resend"), {"email": "not-an-email"}, follow=True)
    assert any(message.level_tag == "error" for message in response.context["messages"])


def test_unconfirmed_registrations_older_than_fifteen_minutes_are_purged_freeing_email_and_phone(mailoutbox):
    old = register()
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - timedelta(minutes=16))
    fresh = register(username="fresh", email="fresh@example.com", phone="+79990001122")
    confirmed = UserFactory()
    User.objects.filter(pk=confirmed.pk).update(date_joined=timezone.now() - timedelta(days=1))

    assert purge_unconfirmed_registrations() >= 1
    assert purge_unconfirmed_registrations() == 0  # idempotent

    assert not User.objects.filter(pk=old.pk).exists()
    assert User.objects.filter(pk__in=[fresh.pk, confirmed.pk]).count() == 2
    register()  # the email and phone are free again


def test_registration_page_redirects_signed_in_users(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:register")).status_code == 302


def test_roles_exist_with_their_permissions():
    manager = Group.objects.get(name="manager")
    assert manager.permissions.filter(codename="change_user").exists()
    assert Group.objects.filter(name__in=["user", "manager", "blog_manager"]).count() == 3


def test_registration_page_states_the_password_rules_up_front(client):
    content = client.get(reverse("accounts:register")).content.decode()
    assert "$ % &amp; ! :" in content or "$ % & ! :" in content


def test_a_registration_losing_the_race_for_a_username_gets_a_clear_error(monkeypatch):
    from django.db import IntegrityError

    def collide(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(User, "save", collide)
    with pytest.raises(ValidationError) as caught:
        register()
    assert "just registered" in caught.value.messages[0]
