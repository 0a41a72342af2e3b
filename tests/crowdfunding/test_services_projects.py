"""Project services: every field's range ends on create and on a draft's update, the fields locked
once a project is active, publishing, cancelling, hiding, the cover, the preview and the profile."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from core.models import AuditEvent
from crowdfunding import services
from crowdfunding.models import Donation, ParticipantProfile, Platform, Project, Role
from tests.crowdfunding.factories import project_active, project_data, project_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL_SITES = list(Platform.values)


def _deadline(delta: timedelta):
    return timezone.now() + delta


def _team(role: str = Role.VIDEOGRAPHER, count: int = 1, salary: int = 20_000) -> dict:
    return {role: {"count": count, "salary": salary}}


# (field, a value just inside its range, a value just outside it). Deadlines are callables: "now"
# must be read when the case runs, not when the module is imported.
RANGE_ENDS = [
    ("blog_name", "ab", "a"),
    ("blog_name", "b" * 30, "b" * 31),
    ("idea", "i" * 10, "i" * 9),
    ("idea", "i" * 2000, "i" * 2001),
    ("topic", "crafts", "cooking"),
    ("product_name", "pn", "p"),
    ("product_name", "p" * 30, "p" * 31),
    ("author_price", 0, -1),
    ("author_price", 1_000_000, 1_000_001),
    ("posts_per_month", 1, 0),
    ("posts_per_month", 100, 101),
    ("months", 3, 2),
    ("months", 12, 13),
    ("sites", ["wix"], []),
    ("sites", ALL_SITES, ["youtube", "myspace"]),
    ("specialists", _team(count=10), _team(count=11)),
    ("specialists", _team(count=0), _team(count=-1)),
    ("specialists", _team(salary=10_000), _team(salary=9_999)),
    ("specialists", _team(salary=100_000), _team(salary=100_001)),
    ("specialists", _team(salary=0), _team(salary=5_000)),
    ("specialists", {}, {"juggler": {"count": 1, "salary": 20_000}}),
    ("specialists", _team(), {Role.VIDEOGRAPHER: {"count": "two", "salary": 20_000}}),
    ("deadline", lambda: _deadline(timedelta(hours=1, minutes=1)), lambda: _deadline(timedelta(minutes=59))),
    ("deadline", lambda: _deadline(timedelta(days=365, minutes=-1)), lambda: _deadline(timedelta(days=365, minutes=1))),
    ("deadline", lambda: _deadline(timedelta(days=30)), lambda: _deadline(timedelta(days=-1))),
]


def _value(value):
    return value() if callable(value) else value


def _errors(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


@pytest.mark.parametrize("field, good, bad", RANGE_ENDS)
def test_create_takes_a_range_end_and_refuses_one_step_past_it_naming_the_field(field, good, bad):
    project = project_make(**{field: _value(good)})
    assert project.status == Project.Status.DRAFT
    with pytest.raises(ValidationError) as refused:
        project_make(**{field: _value(bad)})
    assert list(_errors(refused.value)) == [field]
    assert Project.objects.count() == 1


@pytest.mark.parametrize("field, good, bad", RANGE_ENDS)
def test_a_draft_update_takes_a_range_end_and_refuses_one_step_past_it_naming_the_field(field, good, bad):
    project = project_make()
    before = Project.objects.values().get(pk=project.pk)
    with pytest.raises(ValidationError) as refused:
        services.project_update(project=project, actor=project.author, data={field: _value(bad)})
    assert list(_errors(refused.value)) == [field]
    assert Project.objects.values().get(pk=project.pk) == before
    services.project_update(project=project, actor=project.author, data={field: _value(good)})


def test_create_names_every_missing_field():
    with pytest.raises(ValidationError) as refused:
        services.project_create(author=UserFactory(), data={})
    assert set(_errors(refused.value)) == {
        "blog_name",
        "idea",
        "topic",
        "product_name",
        "author_price",
        "posts_per_month",
        "months",
        "deadline",
        "sites",
    }


def test_create_refuses_a_field_that_is_not_a_project_field():
    with pytest.raises(ValidationError):
        services.project_create(author=UserFactory(), data=project_data(status="active"))
    assert not Project.objects.exists()


def test_create_stores_the_roles_with_a_headcount_only_and_audits():
    team = {
        Role.VIDEOGRAPHER: {"count": 2, "salary": 20_000},
        Role.DIRECTOR: {"count": 0, "salary": 50_000},
        Role.COPYWRITER: {"count": 1, "salary": 0},
    }
    project = project_make(specialists=team, sites=["youtube", "vk", "youtube"])
    assert {(role.role, role.headcount, role.salary) for role in project.roles.all()} == {
        (Role.VIDEOGRAPHER, 2, 20_000),
        (Role.COPYWRITER, 1, 0),
    }
    assert project.sites == ["youtube", "vk"]
    assert AuditEvent.objects.filter(action="crowdfunding.project_created", target_id=str(project.pk)).exists()


def test_a_draft_update_recomputes_the_stored_budget_and_ratings():
    project = project_make()
    services.project_update(
        project=project, actor=project.author, data={"specialists": {}, "months": 3, "sites": ["youtube"]}
    )
    # 3 months, 1 site, 10 posts: follower pay int(1500 × 1 × 0.6) = 900,
    # total int(900 × 100 × 0.7 × 1 × 0.6) = 37,800 = goal; 37,800 // 200 + 1 = 190.
    assert (project.goal, project.product_price, project.products_to_sell) == (37_800, 1200, 190)
    assert project.rating_specialists == 0
    assert project.rating_followers == pytest.approx(0.25 + 0.3 + 1)
    assert project.roles.count() == 0


def test_only_the_author_updates_a_project():
    project = project_make()
    with pytest.raises(PermissionDenied):
        services.project_update(project=project, actor=UserFactory(), data={"blog_name": "Taken over"})
    project.refresh_from_db()
    assert project.blog_name == "Morning runs"


# --- Active projects -------------------------------------------------------------------------

LOCKED_CHANGES = [
    ("months", 7),
    ("sites", ["youtube"]),
    ("posts_per_month", 11),
    ("specialists", _team(Role.DIRECTOR, 1, 50_000)),
    ("author_price", 999),
    ("deadline", lambda: _deadline(timedelta(days=60))),
    ("topic", "travel"),
]


@pytest.mark.parametrize("field, value", LOCKED_CHANGES)
def test_an_active_project_refuses_a_change_of_a_locked_field_naming_it(field, value):
    project = project_active()
    before = Project.objects.values().get(pk=project.pk)
    with pytest.raises(ValidationError) as refused:
        services.project_update(project=project, actor=project.author, data={field: _value(value)})
    assert list(_errors(refused.value)) == [field]
    assert Project.objects.values().get(pk=project.pk) == before


def test_an_active_project_takes_its_locked_fields_sent_unchanged_with_the_free_ones():
    data = project_data()
    project = project_active(**data)
    data.update(blog_name="Evening runs", idea="A blog about running after work.", product_name="Plan B")
    services.project_update(project=project, actor=project.author, data=data)
    assert (project.blog_name, project.product_name, project.goal) == ("Evening runs", "Plan B", 313_500)


@pytest.mark.parametrize("status", [Project.Status.FUNDED, Project.Status.FAILED, Project.Status.CANCELLED])
def test_a_closed_project_is_read_only(status):
    project = project_active()
    Project.objects.filter(pk=project.pk).update(status=status)
    project.refresh_from_db()
    with pytest.raises(ValidationError):
        services.project_update(project=project, actor=project.author, data={"blog_name": "Renamed"})
    with pytest.raises(ValidationError):
        services.tier_create(
            project=project, actor=project.author, data={"title": "Mug", "min_amount": 1, "quantity": 1}
        )


# --- Publish, cancel, hide -------------------------------------------------------------------


def test_publish_opens_a_draft_once():
    project = project_make()
    services.project_publish(project=project, actor=project.author)
    assert project.status == Project.Status.ACTIVE
    assert project.published_at is not None
    with pytest.raises(ValidationError):
        services.project_publish(project=project, actor=project.author)


def test_publish_is_the_authors():
    project = project_make()
    with pytest.raises(PermissionDenied):
        services.project_publish(project=project, actor=UserFactory())
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT


def test_a_draft_past_its_deadline_cannot_be_published_until_the_deadline_moves():
    project = project_make()
    Project.objects.filter(pk=project.pk).update(deadline=timezone.now() - timedelta(days=1))
    project.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.project_publish(project=project, actor=project.author)
    assert list(_errors(refused.value)) == ["deadline"]
    services.project_update(project=project, actor=project.author, data={"deadline": _deadline(timedelta(days=10))})
    services.project_publish(project=project, actor=project.author)
    assert project.status == Project.Status.ACTIVE


def test_cancel_refunds_every_pledge_and_tells_the_donors(mailoutbox, django_capture_on_commit_callbacks):
    project = project_active()
    donors = [UserFactory(), UserFactory()]
    for donor in donors:
        services.donation_make(project=project, donor=donor, kind="free", amount=100)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.project_cancel(project=project, actor=project.author, reason="Changed my plans.")
    assert project.status == Project.Status.CANCELLED
    assert project.closed_at is not None
    assert set(Donation.objects.values_list("status", flat=True)) == {Donation.Status.REFUNDED}
    assert sorted(message.to[0] for message in mailoutbox) == sorted(donor.email for donor in donors)
    assert all("Changed my plans." in message.body for message in mailoutbox)
    assert all(f"/crowdfunding/projects/{project.pk}/" in message.body for message in mailoutbox)
    with pytest.raises(ValidationError):
        services.project_cancel(project=project, actor=project.author)


def test_cancel_is_the_authors_or_staffs():
    project = project_active()
    with pytest.raises(PermissionDenied):
        services.project_cancel(project=project, actor=UserFactory())
    services.project_cancel(project=project, actor=UserFactory(is_staff=True), reason="Spam")
    assert project.status == Project.Status.CANCELLED


def test_a_moderators_cancellation_is_emailed_to_the_author(mailoutbox, django_capture_on_commit_callbacks):
    project = project_active()
    with django_capture_on_commit_callbacks(execute=True):
        services.project_cancel(project=project, actor=UserFactory(is_staff=True), reason="Spam links.")
    assert [message.to for message in mailoutbox] == [[project.author.email]]
    assert "Spam links." in mailoutbox[0].body


def test_the_author_is_not_emailed_about_their_own_cancellation(mailoutbox, django_capture_on_commit_callbacks):
    project = project_active()
    with django_capture_on_commit_callbacks(execute=True):
        services.project_cancel(project=project, actor=project.author)
    assert mailoutbox == []


def test_hiding_is_for_staff_only():
    project = project_active()
    with pytest.raises(PermissionDenied):
        services.project_hide(project=project, actor=project.author, hidden=True)
    moderator = UserFactory(is_staff=True)
    services.project_hide(project=project, actor=moderator, hidden=True)
    assert project.is_hidden
    services.project_hide(project=project, actor=moderator, hidden=False)
    assert not project.is_hidden
    assert (
        AuditEvent.objects.filter(action__in=["crowdfunding.project_hidden", "crowdfunding.project_shown"]).count() == 2
    )


def test_ratings_refresh_for_staff_puts_back_numbers_changed_behind_the_services_back():
    project = project_make()
    Project.objects.filter(pk=project.pk).update(goal=1, rating_overall=99)
    with pytest.raises(PermissionDenied):
        services.projects_ratings_refresh(actor=project.author)
    assert services.projects_ratings_refresh(actor=UserFactory(is_staff=True), project_ids=[project.pk]) == 1
    project.refresh_from_db()
    assert (project.goal, project.rating_overall) == (313_500, pytest.approx(2.975))


# --- Cover -----------------------------------------------------------------------------------


def _png(size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("cover.png", buffer.getvalue(), content_type="image/png")


def test_a_cover_is_stored_as_a_jpeg_and_can_be_replaced_and_removed(django_capture_on_commit_callbacks):
    project = project_make(cover=_png())
    assert project.cover.name.endswith(".jpg")
    first = project.cover.name
    with django_capture_on_commit_callbacks(execute=True):
        services.project_update(project=project, actor=project.author, data={}, cover=_png((20, 20)))
    assert project.cover.name != first
    assert not project.cover.storage.exists(first)
    services.project_update(project=project, actor=project.author, data={}, cover=False)
    assert not project.cover


def test_a_file_that_is_not_an_image_is_refused_as_the_cover():
    fake = SimpleUploadedFile("cover.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        project_make(cover=fake)
    assert list(_errors(refused.value)) == ["cover"]
    assert not Project.objects.exists()


# --- Budget preview --------------------------------------------------------------------------


def test_the_preview_saves_nothing_and_ignores_the_fields_outside_the_budget():
    budget = services.budget_preview(data=project_data(blog_name="", deadline=None))
    assert (budget.goal, budget.product_price, budget.products_to_sell) == (313_500, 1200, 1568)
    assert not Project.objects.exists()


def test_the_preview_names_a_bad_budget_field():
    with pytest.raises(ValidationError) as refused:
        services.budget_preview(data=project_data(months=13, sites=[]))
    assert set(_errors(refused.value)) == {"months", "sites"}


def test_the_preview_takes_numbers_typed_as_text():
    budget = services.budget_preview(
        data=project_data(months="6", posts_per_month="10", author_price="1000", specialists=_team(count="2"))
    )
    assert budget.goal == 73_500 + 2 * 20_000 * 6


# --- Participant profile ---------------------------------------------------------------------


def test_a_profile_is_created_then_partly_updated():
    user = UserFactory()
    profile = services.participant_profile_save(
        user=user, data={"skills": "Editing", "experience": "Two years", "professions": ["videographer"]}
    )
    assert profile.professions == ["videographer"]
    services.participant_profile_save(user=user, data={"topics": ["travel", "fitness"]})
    profile.refresh_from_db()
    assert (profile.skills, profile.topics) == ("Editing", ["travel", "fitness"])
    assert ParticipantProfile.objects.count() == 1


@pytest.mark.parametrize(
    "data, field",
    [
        ({"skills": "", "experience": "Two years"}, "skills"),
        ({"skills": "s" * 1001, "experience": "Two years"}, "skills"),
        ({"skills": "Editing", "experience": "e" * 1001}, "experience"),
        ({"skills": "Editing", "experience": "Two years", "professions": ["juggler"]}, "professions"),
        ({"skills": "Editing", "experience": "Two years", "topics": ["cooking"]}, "topics"),
        ({"skills": "Editing", "experience": "Two years", "topics": "travel"}, "topics"),
    ],
)
def test_a_bad_profile_field_is_named(data, field):
    with pytest.raises(ValidationError) as refused:
        services.participant_profile_save(user=UserFactory(), data=data)
    assert list(_errors(refused.value)) == [field]
    assert not ParticipantProfile.objects.exists()


def test_profile_range_ends_pass():
    profile = services.participant_profile_save(
        user=UserFactory(),
        data={"skills": "s", "experience": "e" * 1000, "professions": list(Role.values), "topics": []},
    )
    assert len(profile.professions) == 11
