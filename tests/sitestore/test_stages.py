"""Stages: staff move a site forward one stage at a time, or reopen it; each move is kept and emailed."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from sitestore import services
from sitestore.models import StageChange, UserSite
from tests.sitestore.factories import UserSiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(is_staff=True)


def assert_unchanged(site: UserSite, stage: str) -> None:
    site.refresh_from_db()
    assert site.stage == stage
    assert not StageChange.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="sitestore.stage").exists()


def test_staff_move_a_site_to_the_next_stage_with_history_audit_and_an_email(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    site = UserSiteFactory(name="News (1)")

    with django_capture_on_commit_callbacks(execute=True):
        change = services.site_stage_move(site=site, to_stage=UserSite.Stage.DESIGN, actor=staff, note="Mock-ups <b>")

    assert site.stage == UserSite.Stage.DESIGN
    assert (change.from_stage, change.to_stage, change.actor, change.note) == (
        "queued",
        "design",
        staff,
        "Mock-ups <b>",
    )
    assert change.created_at is not None
    event = AuditEvent.objects.get(action="sitestore.stage_moved")
    assert event.actor == staff
    assert event.details == {"from": "queued", "to": "design", "note": "Mock-ups <b>"}
    [message] = mailoutbox
    assert message.to == [site.owner.email]
    assert message.subject == "Your site “News (1)” is now at the stage “Design”"
    # Plain text is not HTML-escaped; the HTML part is.
    assert "moved from “Queued” to “Design”" in message.body
    assert "Mock-ups <b>" in message.body
    assert f"/sites/my/{site.pk}/" in message.body
    html = message.alternatives[0][0]
    assert "Mock-ups &lt;b&gt;" in html


def test_no_email_is_sent_before_the_move_commits(staff, mailoutbox, django_capture_on_commit_callbacks):
    site = UserSiteFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.site_stage_move(site=site, to_stage=UserSite.Stage.DESIGN, actor=staff)

    assert mailoutbox == []
    assert len(callbacks) == 1


def test_a_site_goes_through_every_stage_in_order(staff):
    site = UserSiteFactory()

    for stage in ["design", "development", "testing", "delivered"]:
        services.site_stage_move(site=site, to_stage=stage, actor=staff)

    assert site.stage == UserSite.Stage.DELIVERED
    assert list(StageChange.objects.values_list("from_stage", "to_stage")) == [
        ("queued", "design"),
        ("design", "development"),
        ("development", "testing"),
        ("testing", "delivered"),
    ]


def test_skipping_a_stage_is_refused_with_a_message(staff):
    site = UserSiteFactory()

    with pytest.raises(ValidationError) as error:
        services.site_stage_move(site=site, to_stage=UserSite.Stage.TESTING, actor=staff)

    assert "the next stage is “Design”" in str(error.value)
    assert_unchanged(site, "queued")


def test_moving_back_without_reopening_is_refused(staff):
    site = UserSiteFactory(stage=UserSite.Stage.TESTING)

    with pytest.raises(ValidationError) as error:
        services.site_stage_move(site=site, to_stage=UserSite.Stage.DESIGN, actor=staff)

    assert "only moves forward" in str(error.value)
    assert_unchanged(site, "testing")


def test_moving_to_the_current_stage_is_refused(staff):
    site = UserSiteFactory(stage=UserSite.Stage.DESIGN)

    with pytest.raises(ValidationError) as error:
        services.site_stage_move(site=site, to_stage=UserSite.Stage.DESIGN, actor=staff)

    assert "already at the stage" in str(error.value)
    assert_unchanged(site, "design")


def test_an_unknown_stage_is_refused(staff):
    site = UserSiteFactory()

    with pytest.raises(ValidationError):
        services.site_stage_move(site=site, to_stage="launched", actor=staff)

    assert_unchanged(site, "queued")


def test_staff_reopen_a_delivered_site_back_to_any_earlier_stage(staff, mailoutbox, django_capture_on_commit_callbacks):
    site = UserSiteFactory(stage=UserSite.Stage.DELIVERED)

    with django_capture_on_commit_callbacks(execute=True):
        services.site_stage_move(site=site, to_stage=UserSite.Stage.DEVELOPMENT, actor=staff, reopen=True)

    assert site.stage == UserSite.Stage.DEVELOPMENT
    assert AuditEvent.objects.filter(action="sitestore.stage_reopened").count() == 1
    assert "was reopened" in mailoutbox[0].body


def test_only_staff_move_stages(user):
    site = UserSiteFactory(owner=user)

    for actor in [user, None]:
        with pytest.raises(ValidationError) as error:
            services.site_stage_move(site=site, to_stage=UserSite.Stage.DESIGN, actor=actor)
        assert "Only staff" in str(error.value)

    assert_unchanged(site, "queued")
