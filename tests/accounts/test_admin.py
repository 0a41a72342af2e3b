"""The users' admin: bulk actions (with their intermediate forms), permissions and the user forms."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, UserSession
from core.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

CHANGELIST = reverse("admin:accounts_user_changelist")
# The management form of the (read-only) active sessions inline, as the browser sends it.
NO_SESSIONS = {"active_sessions-TOTAL_FORMS": "0", "active_sessions-INITIAL_FORMS": "0"}


def run_action(client, action: str, users, **extra):
    """POST an admin action for ``users`` to the changelist, as the action dropdown does."""
    data = {"action": action, "_selected_action": [str(user.pk) for user in users], "index": "0", **extra}
    return client.post(CHANGELIST, data)


def apply_action(client, action: str, users, **fields):
    """Second step of an action with an intermediate form: the form's own POST with ``apply``."""
    data = {"action": action, "_selected_action": [str(user.pk) for user in users], "apply": "Apply", **fields}
    return client.post(CHANGELIST, data)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def block_fields(user: User) -> tuple:
    user.refresh_from_db()
    return user.is_blocked, user.blocked_reason, user.blocked_until, user.blocked_at


# --- Changelist and forms ------------------------------------------------------------------


@pytest.mark.django_db
def test_changelist_renders_with_search_and_filters_for_superuser(admin_client, user, other_user):
    response = admin_client.get(CHANGELIST, {"q": user.username})
    assert response.status_code == 200
    content = response.content.decode()
    assert user.email in content
    assert other_user.email not in content

    group = Group.objects.get(name="user")
    response = admin_client.get(
        CHANGELIST, {"is_active__exact": "1", "is_blocked__exact": "0", "groups__id__exact": str(group.pk)}
    )
    assert response.status_code == 200
    assert user.email in response.content.decode()


@pytest.mark.django_db
def test_changelist_searches_by_phone_and_email(admin_client, user, other_user):
    for term in (user.phone, user.email.upper()):
        response = admin_client.get(CHANGELIST, {"q": term})
        assert response.status_code == 200
        assert user.email in response.content.decode()
        assert other_user.email not in response.content.decode()


@pytest.mark.django_db
def test_changelist_offers_all_bulk_actions_to_superuser(admin_client):
    response = admin_client.get(CHANGELIST)
    choices = {value for value, _label in response.context["action_form"].fields["action"].choices}
    assert {"activate", "deactivate", "block", "unblock", "delete_inactive", "send_test_email"} <= choices


@pytest.mark.django_db
def test_add_form_renders_for_superuser(admin_client):
    response = admin_client.get(reverse("admin:accounts_user_add"))
    assert response.status_code == 200
    content = response.content.decode()
    for field in ("username", "email", "phone", "last_name", "first_name", "password1", "password2"):
        assert f'name="{field}"' in content


@pytest.mark.django_db
def test_change_form_renders_for_superuser(admin_client, user):
    UserSession.objects.create(user=user, session_key="k" * 32, ip_address="10.0.0.1", user_agent="Firefox")
    response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert user.email in content
    assert "10.0.0.1" in content


@pytest.mark.django_db
def test_admin_add_form_creates_user_in_user_group(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new.person",
            "email": "new.person@example.com",
            "phone": "+7 (912) 000-11-22",
            "last_name": "Petrov",
            "first_name": "Petr",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **NO_SESSIONS,
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="new.person")
    assert created.check_password(PASSWORD)
    assert created.phone == "+79120001122"
    assert created.groups.filter(name="user").exists()


@pytest.mark.django_db
def test_admin_add_form_refuses_a_weak_password(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "weak.person",
            "email": "weak.person@example.com",
            "phone": "+79120001123",
            "last_name": "Petrov",
            "first_name": "Petr",
            "usable_password": "true",
            "password1": "weakpassword",
            "password2": "weakpassword",
            **NO_SESSIONS,
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="weak.person").exists()


@pytest.mark.django_db
def test_admin_add_form_refuses_an_email_taken_in_another_case(admin_client, user):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "twin.person",
            "email": user.email.upper(),
            "phone": "+79120001124",
            "last_name": "Petrov",
            "first_name": "Petr",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **NO_SESSIONS,
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert "A user with that email already exists." in response.content.decode()
    assert not User.objects.filter(username="twin.person").exists()


# --- Activate / deactivate -----------------------------------------------------------------


@pytest.mark.django_db
def test_activate_action_activates_selected_users_and_records_audit(admin_client, superuser):
    inactive = UserFactory.create_batch(2, is_active=False)
    untouched = UserFactory(is_active=False)

    response = run_action(admin_client, "activate", inactive)

    assert response.status_code == 302
    for person in inactive:
        person.refresh_from_db()
        assert person.is_active
    untouched.refresh_from_db()
    assert not untouched.is_active
    event = AuditEvent.objects.get(action="accounts.activated")
    assert event.actor == superuser
    assert sorted(event.details["users"]) == sorted(person.pk for person in inactive)
    assert event.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_deactivate_action_deactivates_selected_users_but_not_oneself(admin_client, superuser, user):
    UserSession.objects.create(user=user, session_key="s" * 32)

    response = run_action(admin_client, "deactivate", [user, superuser])

    assert response.status_code == 302
    user.refresh_from_db()
    superuser.refresh_from_db()
    assert not user.is_active
    assert superuser.is_active
    assert not UserSession.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="accounts.deactivated")
    assert event.actor == superuser
    assert event.details["users"] == [user.pk]


@pytest.mark.django_db
def test_activate_action_on_already_active_users_changes_nothing(admin_client, user):
    response = run_action(admin_client, "activate", [user])

    follow = admin_client.get(response.url)
    assert "0 users activated." in messages_of(follow)
    assert AuditEvent.objects.get(action="accounts.activated").details["users"] == []


# --- Block / unblock -----------------------------------------------------------------------


@pytest.mark.django_db
def test_block_action_shows_intermediate_form_listing_selected_users(admin_client, user, other_user):
    response = run_action(admin_client, "block", [user, other_user])

    assert response.status_code == 200
    content = response.content.decode()
    assert user.username in content and other_user.username in content
    assert 'name="reason"' in content
    assert 'name="until"' in content
    assert 'name="apply"' in content
    assert f'name="_selected_action" value="{user.pk}"' in content
    user.refresh_from_db()
    assert not user.is_blocked
    assert not AuditEvent.objects.filter(action="accounts.blocked").exists()


@pytest.mark.django_db
def test_block_action_blocks_selected_users_and_records_audit(
    admin_client, superuser, user, other_user, mailoutbox, django_capture_on_commit_callbacks
):
    bystander = UserFactory()
    UserSession.objects.create(user=user, session_key="b" * 32)
    until = (timezone.localtime() + timedelta(days=3)).replace(second=0, microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = apply_action(
            admin_client,
            "block",
            [user, other_user],
            reason="Spam in chats",
            until=until.strftime("%Y-%m-%dT%H:%M"),
        )

    assert response.status_code == 302
    for person in (user, other_user):
        person.refresh_from_db()
        assert person.is_blocked
        assert person.blocked_reason == "Spam in chats"
        assert person.blocked_until == until
        assert person.blocked_at is not None
    bystander.refresh_from_db()
    assert not bystander.is_blocked
    assert not UserSession.objects.filter(user=user).exists()
    events = AuditEvent.objects.filter(action="accounts.blocked")
    assert {event.target_id for event in events} == {str(user.pk), str(other_user.pk)}
    assert all(event.actor == superuser for event in events)
    assert events[0].details["reason"] == "Spam in chats"
    assert sorted(message.to[0] for message in mailoutbox) == sorted([user.email, other_user.email])


@pytest.mark.django_db
def test_block_action_without_end_date_blocks_indefinitely(admin_client, user):
    response = apply_action(admin_client, "block", [user], reason="Abuse", until="")

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_blocked
    assert user.blocked_until is None
    assert user.block_is_current


@pytest.mark.django_db
def test_block_action_never_blocks_the_acting_admin(admin_client, superuser, user):
    apply_action(admin_client, "block", [user, superuser], reason="Abuse")

    superuser.refresh_from_db()
    user.refresh_from_db()
    assert user.is_blocked
    assert not superuser.is_blocked
    assert not AuditEvent.objects.filter(action="accounts.blocked", target_id=str(superuser.pk)).exists()


@pytest.mark.django_db
def test_block_action_with_empty_reason_rerenders_form_and_changes_nothing(admin_client, user):
    before = block_fields(user)

    response = apply_action(admin_client, "block", [user], reason="   ", until="")

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert block_fields(user) == before
    assert not AuditEvent.objects.filter(action="accounts.blocked").exists()


@pytest.mark.django_db
def test_block_action_with_end_date_in_the_past_changes_nothing(admin_client, user, other_user, mailoutbox):
    before = [block_fields(user), block_fields(other_user)]
    past = timezone.localtime() - timedelta(days=1)

    response = apply_action(
        admin_client, "block", [user, other_user], reason="Abuse", until=past.strftime("%Y-%m-%dT%H:%M")
    )

    assert response.status_code == 200
    assert "until" in response.context["form"].errors
    assert [block_fields(user), block_fields(other_user)] == before
    assert not AuditEvent.objects.filter(action="accounts.blocked").exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_block_action_with_malformed_date_changes_nothing(admin_client, user):
    before = block_fields(user)

    response = apply_action(admin_client, "block", [user], reason="Abuse", until="next tuesday")

    assert response.status_code == 200
    assert "until" in response.context["form"].errors
    assert block_fields(user) == before


@pytest.mark.django_db
def test_unblock_action_unblocks_selected_users_and_records_audit(admin_client, superuser):
    blocked = UserFactory(
        is_blocked=True, blocked_reason="Spam", blocked_at=timezone.now(), blocked_until=timezone.now() + timedelta(1)
    )
    still_blocked = UserFactory(is_blocked=True, blocked_reason="Spam", blocked_at=timezone.now())
    not_blocked = UserFactory()

    response = run_action(admin_client, "unblock", [blocked, not_blocked])

    assert response.status_code == 302
    assert block_fields(blocked) == (False, "", None, None)
    assert block_fields(still_blocked)[0] is True
    events = AuditEvent.objects.filter(action="accounts.unblocked")
    assert [(event.target_id, event.actor) for event in events] == [(str(blocked.pk), superuser)]
    assert "1 user unblocked." in messages_of(admin_client.get(response.url))


# --- Delete inactive -----------------------------------------------------------------------


@pytest.mark.django_db
def test_delete_inactive_action_shows_intermediate_form(admin_client, user):
    response = run_action(admin_client, "delete_inactive", [user])

    assert response.status_code == 200
    assert 'name="days"' in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db
def test_delete_inactive_action_deletes_only_long_inactive_selected_users_and_records_audit(admin_client, superuser):
    now = timezone.now()
    stale = UserFactory(last_login=now - timedelta(days=400))
    never_logged_in = UserFactory(last_login=None, date_joined=now - timedelta(days=400))
    recent = UserFactory(last_login=now - timedelta(days=5))
    stale_staff = UserFactory(is_staff=True, last_login=now - timedelta(days=400))
    stale_not_selected = UserFactory(last_login=now - timedelta(days=400))
    selected = [stale, never_logged_in, recent, stale_staff]

    response = apply_action(admin_client, "delete_inactive", selected, days="365")

    assert response.status_code == 302
    remaining = set(User.objects.values_list("pk", flat=True))
    assert stale.pk not in remaining
    assert never_logged_in.pk not in remaining
    assert {recent.pk, stale_staff.pk, stale_not_selected.pk, superuser.pk} <= remaining
    event = AuditEvent.objects.get(action="accounts.inactive_deleted")
    assert event.actor == superuser
    assert event.details["days"] == 365
    assert sorted(event.details["users"]) == sorted([stale.username, never_logged_in.username])


@pytest.mark.parametrize("days", ["0", "-3", "", "many"])
@pytest.mark.django_db
def test_delete_inactive_action_with_invalid_days_deletes_nothing(admin_client, days):
    stale = UserFactory(last_login=timezone.now() - timedelta(days=400))
    count = User.objects.count()

    response = apply_action(admin_client, "delete_inactive", [stale], days=days)

    assert response.status_code == 200
    assert "days" in response.context["form"].errors
    assert User.objects.count() == count
    assert not AuditEvent.objects.filter(action="accounts.inactive_deleted").exists()


# --- Test email ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_send_test_email_action_mails_each_selected_user_and_records_audit(
    admin_client, superuser, user, other_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, "send_test_email", [user, other_user])

    assert response.status_code == 302
    assert sorted(message.to[0] for message in mailoutbox) == sorted([user.email, other_user.email])
    message = mailoutbox[0]
    assert message.subject
    assert message.body
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    events = AuditEvent.objects.filter(action="accounts.test_email_sent")
    assert {event.target_id for event in events} == {str(user.pk), str(other_user.pk)}
    assert all(event.actor == superuser for event in events)


# --- Permissions: managers and anonymous visitors ------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login_and_action_changes_nothing(client, user):
    response = client.post(CHANGELIST, {"action": "deactivate", "_selected_action": [str(user.pk)], "index": "0"})

    assert response.status_code == 302
    assert "/login/" in response.url
    user.refresh_from_db()
    assert user.is_active
    assert not AuditEvent.objects.filter(action="accounts.deactivated").exists()


@pytest.mark.django_db
def test_plain_user_cannot_run_admin_actions(client, user, other_user):
    client.force_login(user)

    response = client.post(CHANGELIST, {"action": "deactivate", "_selected_action": [str(other_user.pk)], "index": "0"})

    assert response.status_code == 302
    other_user.refresh_from_db()
    assert other_user.is_active


@pytest.mark.django_db
def test_manager_can_block_a_user_from_the_admin(manager_client, manager, user):
    response = apply_action(manager_client, "block", [user], reason="Rude")

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_blocked
    assert AuditEvent.objects.get(action="accounts.blocked").actor == manager


@pytest.mark.django_db
def test_manager_cannot_delete_inactive_users(manager_client, user):
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(days=400))

    listing = manager_client.get(CHANGELIST)
    choices = {value for value, _label in listing.context["action_form"].fields["action"].choices}
    response = apply_action(manager_client, "delete_inactive", [user], days="1")

    assert "delete_inactive" not in choices
    assert "delete_selected" not in choices
    assert User.objects.filter(pk=user.pk).exists()
    assert not AuditEvent.objects.filter(action="accounts.inactive_deleted").exists()
    assert response.status_code in (200, 302)


@pytest.mark.django_db
def test_manager_cannot_grant_himself_superuser_or_groups(manager_client, manager):
    url = reverse("admin:accounts_user_change", args=[manager.pk])
    page = manager_client.get(url)
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()

    manager_client.post(
        url,
        {
            "username": manager.username,
            "email": manager.email,
            "phone": manager.phone,
            "last_name": manager.last_name,
            "first_name": manager.first_name,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [str(group.pk) for group in Group.objects.all()],
            **NO_SESSIONS,
            "_save": "Save",
        },
    )

    manager.refresh_from_db()
    assert not manager.is_superuser
    assert set(manager.groups.values_list("name", flat=True)) == {"user", "manager"}


@pytest.mark.django_db
def test_manager_cannot_change_a_superuser_or_their_password(manager_client, superuser):
    old_hash = superuser.password

    change = manager_client.get(reverse("admin:accounts_user_change", args=[superuser.pk]))
    password = manager_client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"password1": "Taken$Over1", "password2": "Taken$Over1"},
    )

    assert 'name="email"' not in change.content.decode()
    assert password.status_code == 403
    superuser.refresh_from_db()
    assert superuser.password == old_hash


@pytest.mark.django_db
def test_manager_bulk_actions_skip_superusers(manager_client, superuser, user):
    apply_action(manager_client, "block", [superuser, user], reason="Coup")
    run_action(manager_client, "deactivate", [superuser])

    superuser.refresh_from_db()
    user.refresh_from_db()
    assert user.is_blocked
    assert not superuser.is_blocked
    assert superuser.is_active


@pytest.mark.django_db
def test_superuser_sets_a_password_in_admin_only_if_it_follows_the_rules(admin_client, user):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    old_hash = user.password

    page = admin_client.get(url)
    weak = admin_client.post(url, {"usable_password": "true", "password1": "simple", "password2": "simple"})
    user.refresh_from_db()
    unchanged = user.password
    strong = admin_client.post(url, {"usable_password": "true", "password1": "Fresh$Pass9", "password2": "Fresh$Pass9"})

    assert page.status_code == 200
    assert weak.status_code == 200
    assert "uppercase Latin letter" in weak.content.decode()
    assert unchanged == old_hash
    assert strong.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Fresh$Pass9")


def test_admin_delete_goes_through_the_service_and_is_audited(client, superuser):
    victim = UserFactory()
    client.force_login(superuser)
    response = client.post(f"/admin/accounts/user/{victim.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=victim.pk).exists()
    assert AuditEvent.objects.filter(action="accounts.deleted", actor=superuser, target_id=str(victim.pk)).exists()


def test_admin_bulk_delete_goes_through_the_service(client, superuser):
    victims = [UserFactory(), UserFactory()]
    client.force_login(superuser)
    client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [victim.pk for victim in victims], "post": "yes"},
    )
    assert not User.objects.filter(pk__in=[victim.pk for victim in victims]).exists()
    assert AuditEvent.objects.filter(action="accounts.deleted", actor=superuser).count() == 2


def test_pending_confirmations_and_sessions_are_browsable_but_read_only(client, superuser):
    from accounts.models import EmailConfirmation

    pending = UserFactory(is_active=False, email_confirmed_at=None)
    EmailConfirmation.objects.create(
        user=pending, code_hash="x" * 64, sent_at=timezone.now(), expires_at=timezone.now() + timedelta(minutes=15)
    )
    client.force_login(superuser)
    listing = client.get("/admin/accounts/emailconfirmation/")
    assert listing.status_code == 200
    assert pending.username in listing.content.decode()
    assert "x" * 64 not in listing.content.decode()
    assert client.get("/admin/accounts/emailconfirmation/add/").status_code == 403
    assert client.get("/admin/accounts/usersession/").status_code == 200


# --- Saving through the services ---------------------------------------------------------------


def change_form_data(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "phone": user.phone,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "middle_name": user.middle_name,
        "is_active": "on" if user.is_active else "",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        **NO_SESSIONS,
        "_save": "Save",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


@pytest.mark.django_db
def test_admin_change_form_saves_through_the_service_and_is_audited(admin_client, superuser, user):
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]), change_form_data(user, first_name="Renamed")
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Renamed"
    event = AuditEvent.objects.get(action="accounts.updated_by_staff")
    assert event.actor == superuser
    assert event.target_id == str(user.pk)
    assert event.details["fields"] == {"first_name": "Renamed"}


@pytest.mark.django_db
def test_admin_add_form_is_audited_without_the_password(admin_client, superuser):
    admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "added.person",
            "email": "added.person@example.com",
            "phone": "+79120001177",
            "last_name": "Petrov",
            "first_name": "Petr",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **NO_SESSIONS,
            "_save": "Save",
        },
    )

    event = AuditEvent.objects.get(action="accounts.created_by_staff")
    assert event.actor == superuser
    assert PASSWORD not in str(event.details)
    assert User.objects.get(username="added.person").password not in str(event.details)


@pytest.mark.django_db
def test_admin_group_changes_are_audited_and_the_user_role_stays(admin_client, superuser, user):
    manager_group = Group.objects.get_or_create(name="manager")[0]

    admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        change_form_data(user, groups=[str(manager_group.pk)]),
    )

    assert set(user.groups.values_list("name", flat=True)) == {"user", "manager"}
    event = AuditEvent.objects.get(action="accounts.roles_changed")
    assert event.actor == superuser
    assert event.details["groups_added"] == ["manager"]
    assert event.details["groups_removed"] == []


@pytest.mark.django_db
def test_admin_save_without_role_changes_records_no_role_event(admin_client, user):
    admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), change_form_data(user))

    assert not AuditEvent.objects.filter(action="accounts.roles_changed").exists()


@pytest.mark.django_db
def test_switching_an_account_off_in_the_change_form_ends_its_sessions(admin_client, user):
    from django.test import Client

    theirs = Client()
    theirs.post(reverse("accounts:login"), {"login": user.username, "password": PASSWORD})
    assert UserSession.objects.filter(user=user).exists()

    admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), change_form_data(user, is_active=""))

    user.refresh_from_db()
    assert not user.is_active
    assert not UserSession.objects.filter(user=user).exists()
    assert theirs.get(reverse("accounts:profile")).status_code == 302


@pytest.mark.django_db
def test_a_password_set_in_the_admin_ends_the_accounts_tokens_and_is_audited(admin_client, superuser, user):
    from rest_framework.test import APIClient

    tokens = APIClient().post("/api/auth/login/", {"login": user.username, "password": PASSWORD}).json()

    admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": "Fresh$Pass9", "password2": "Fresh$Pass9"},
    )

    assert APIClient().post("/api/auth/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
    event = AuditEvent.objects.get(action="accounts.password_set_by_staff")
    assert event.actor == superuser
    assert "Fresh$Pass9" not in str(event.details)


@pytest.mark.django_db
def test_a_superuser_changing_their_own_password_in_the_admin_stays_signed_in(admin_client, superuser):
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"usable_password": "true", "password1": "Fresh$Pass9", "password2": "Fresh$Pass9"},
    )

    assert response.status_code == 302
    assert admin_client.get(CHANGELIST).status_code == 200
