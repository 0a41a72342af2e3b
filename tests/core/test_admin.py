"""The core admin: the read-only audit trail and job runs, and the superuser-only backup download."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from core.models import AuditEvent, JobRun
from core.services import audit_record
from tests.factories import UserFactory

BACKUP_URL = reverse("admin:core_backup")
AUDIT_CHANGELIST = reverse("admin:core_auditevent_changelist")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def events(superuser, user):
    return [
        audit_record(action="accounts.blocked", actor=superuser, target=user, details={"reason": "Spam"}),
        audit_record(action="accounts.login", actor=user, target=user),
        audit_record(action="accounts.login_failed", details={"login": "nobody"}),
    ]


def zip_names(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.namelist()


# --- Backup download -----------------------------------------------------------------------


@pytest.mark.django_db
def test_backup_view_gives_superuser_a_zip_with_data_and_media(admin_client, superuser, user, media_root):
    (media_root / "avatars").mkdir(parents=True)
    (media_root / "avatars" / "face.png").write_bytes(b"png-bytes")

    response = admin_client.get(BACKUP_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="agora-')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert set(archive.namelist()) == {"data.json", "media/avatars/face.png"}
        records = json.loads(archive.read("data.json"))
        assert archive.read("media/avatars/face.png") == b"png-bytes"
    usernames = {record["fields"]["username"] for record in records if record["model"] == "accounts.user"}
    assert {superuser.username, user.username} <= usernames
    event = AuditEvent.objects.get(action="core.backup_created")
    assert event.actor == superuser


@pytest.mark.django_db
def test_backup_view_is_404_for_staff_who_is_not_superuser(client, manager, media_root):
    client.force_login(manager)

    response = client.get(BACKUP_URL)

    assert response.status_code == 404
    assert response.get("Content-Type", "").startswith("application/zip") is False
    assert not AuditEvent.objects.filter(action="core.backup_created").exists()


@pytest.mark.django_db
def test_backup_view_sends_anonymous_visitor_to_login(client, media_root):
    response = client.get(BACKUP_URL)

    assert response.status_code == 302
    assert "/login/" in response.url
    assert not AuditEvent.objects.filter(action="core.backup_created").exists()


@pytest.mark.django_db
def test_backup_view_refuses_a_plain_user(client, user, media_root):
    client.force_login(user)

    response = client.get(BACKUP_URL)

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="core.backup_created").exists()


@pytest.mark.django_db
def test_admin_index_links_the_backup_for_superuser_only(client, superuser, manager):
    client.force_login(superuser)
    superuser_page = client.get(reverse("admin:index"))
    client.force_login(manager)
    manager_page = client.get(reverse("admin:index"))

    assert superuser_page.status_code == 200
    assert f'href="{BACKUP_URL}"' in superuser_page.content.decode()
    assert manager_page.status_code == 200
    assert BACKUP_URL not in manager_page.content.decode()


# --- Audit events --------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_changelist_renders_with_search_filters_and_dates(admin_client, events, user):
    blocked = events[0]

    plain = admin_client.get(AUDIT_CHANGELIST)
    searched = admin_client.get(AUDIT_CHANGELIST, {"q": "blocked"})
    filtered = admin_client.get(AUDIT_CHANGELIST, {"action__exact": "accounts.login_failed"})
    by_type = admin_client.get(AUDIT_CHANGELIST, {"target_type__exact": "accounts.user"})
    by_date = admin_client.get(
        AUDIT_CHANGELIST,
        {
            "created_at__year": blocked.created_at.year,
            "created_at__month": blocked.created_at.month,
            "created_at__day": blocked.created_at.day,
        },
    )

    for response in (plain, searched, filtered, by_type, by_date):
        assert response.status_code == 200
        assert "?e=1" not in response.get("Location", "")
    assert list(plain.context["cl"].result_list) == list(AuditEvent.objects.all())
    assert list(searched.context["cl"].result_list) == [blocked]
    assert list(filtered.context["cl"].result_list) == [events[2]]
    assert set(by_type.context["cl"].result_list) == {events[0], events[1]}
    assert len(by_date.context["cl"].result_list) == 3


@pytest.mark.django_db
def test_audit_changelist_searches_by_actor_and_target(admin_client, events, superuser, user):
    by_actor = admin_client.get(AUDIT_CHANGELIST, {"q": superuser.username})
    by_target_id = admin_client.get(AUDIT_CHANGELIST, {"q": str(user.pk)})

    assert events[0] in by_actor.context["cl"].result_list
    assert events[2] not in by_actor.context["cl"].result_list
    assert events[0] in by_target_id.context["cl"].result_list


@pytest.mark.django_db
def test_audit_event_detail_is_viewable_but_read_only(admin_client, events):
    event = events[0]
    url = reverse("admin:core_auditevent_change", args=[event.pk])

    page = admin_client.get(url)
    post = admin_client.post(url, {"action": "tampered", "actor_label": "nobody"})

    assert page.status_code == 200
    assert "Spam" in page.content.decode()
    assert 'name="action"' not in page.content.decode()
    assert post.status_code == 403
    event.refresh_from_db()
    assert event.action == "accounts.blocked"


@pytest.mark.django_db
def test_audit_events_cannot_be_added_in_admin(admin_client):
    page = admin_client.get(reverse("admin:core_auditevent_add"))
    post = admin_client.post(reverse("admin:core_auditevent_add"), {"action": "forged"})

    assert page.status_code == 403
    assert post.status_code == 403
    assert not AuditEvent.objects.filter(action="forged").exists()


@pytest.mark.django_db
def test_audit_events_cannot_be_deleted_in_admin(admin_client, events):
    event = events[0]
    url = reverse("admin:core_auditevent_delete", args=[event.pk])

    page = admin_client.get(url)
    post = admin_client.post(url, {"post": "yes"})
    bulk = admin_client.post(
        AUDIT_CHANGELIST,
        {"action": "delete_selected", "_selected_action": [str(item.pk) for item in events], "post": "yes"},
    )

    assert page.status_code == 403
    assert post.status_code == 403
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk__in=[item.pk for item in events]).count() == 3
    listing = admin_client.get(AUDIT_CHANGELIST)
    assert listing.context["action_form"] is None or "delete_selected" not in {
        value for value, _label in listing.context["action_form"].fields["action"].choices
    }


@pytest.mark.django_db
def test_manager_may_browse_audit_events_but_not_change_them(client, manager, events):
    client.force_login(manager)

    listing = client.get(AUDIT_CHANGELIST, {"q": "blocked"})
    delete = client.post(reverse("admin:core_auditevent_delete", args=[events[0].pk]), {"post": "yes"})

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [events[0]]
    assert delete.status_code == 403
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db
def test_plain_staff_without_permission_cannot_browse_audit_events(client, events):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.get(AUDIT_CHANGELIST)

    assert response.status_code == 403


# --- Job runs ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_job_runs_are_listed_and_read_only(admin_client):
    job = JobRun.objects.create(name="accounts.lift_blocks", last_status="ok", last_result="3 lifted")

    listing = admin_client.get(reverse("admin:core_jobrun_changelist"))
    detail = admin_client.get(reverse("admin:core_jobrun_change", args=[job.pk]))
    post = admin_client.post(reverse("admin:core_jobrun_change", args=[job.pk]), {"name": "renamed"})
    add = admin_client.get(reverse("admin:core_jobrun_add"))
    delete = admin_client.post(reverse("admin:core_jobrun_delete", args=[job.pk]), {"post": "yes"})

    assert listing.status_code == 200
    assert "accounts.lift_blocks" in listing.content.decode()
    assert detail.status_code == 200
    assert "3 lifted" in detail.content.decode()
    assert post.status_code == 403
    assert add.status_code == 403
    assert delete.status_code == 403
    job.refresh_from_db()
    assert job.name == "accounts.lift_blocks"
