"""The crowdfunding admin, as a superuser and as a manager: read-only pages, moderation actions
(hide, unhide, cancel with refunds, refresh ratings) through the services, donations never edited."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from core.models import AuditEvent
from crowdfunding import services
from crowdfunding.models import Application, Donation, ParticipantProfile, Project, ProjectRole, Topic
from tests.crowdfunding.factories import (
    ActiveProjectFactory,
    ApplicationFactory,
    DonationFactory,
    ParticipantProfileFactory,
    ProjectFactory,
    PromotionFactory,
    RewardTierFactory,
    project_active,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROJECTS = reverse("admin:crowdfunding_project_changelist")


@pytest.fixture(params=["superuser", "manager"])
def staff(request, client):
    """A signed-in admin client, once as a superuser and once as a member of the manager group."""
    person = request.getfixturevalue(request.param)
    client.force_login(person)
    client.person = person
    return client


def run_action(client, action: str, projects, **extra):
    """POST an admin action for ``projects`` to the project list, as the action dropdown does."""
    data = {"action": action, "_selected_action": [str(project.pk) for project in projects], "index": "0", **extra}
    return client.post(PROJECTS, data)


def messages_of(client, response) -> list[str]:
    """Flash messages of a response, following a redirect to the page that shows them."""
    if response.status_code == 302:
        response = client.get(response["Location"])
    return [str(message) for message in response.context["messages"]]


def status_of(project) -> str:
    return Project.objects.values_list("status", flat=True).get(pk=project.pk)


# --- Who gets in -------------------------------------------------------------------------------


def test_the_manager_group_moderates_but_adds_and_deletes_nothing():
    granted = set(
        Group.objects.get(name="manager")
        .permissions.filter(content_type__app_label="crowdfunding")
        .values_list("codename", flat=True)
    )

    models = ["participantprofile", "project", "projectrole", "application", "promotion", "rewardtier", "donation"]
    assert {f"view_{model}" for model in models} | {"change_project"} == granted


def test_every_crowdfunding_model_is_in_the_admin_roles_inside_their_project():
    models = set(apps.get_app_config("crowdfunding").get_models()) - {ProjectRole}

    assert all(admin.site.is_registered(model) for model in models)
    assert not admin.site.is_registered(ProjectRole)


@pytest.mark.parametrize("staff_flag", [False, True])
def test_people_without_the_rights_are_refused(client, staff_flag):
    """A plain user is sent to the admin login; a staff account without the permissions sees nothing."""
    project = ActiveProjectFactory()
    client.force_login(UserFactory(is_staff=staff_flag))

    for url in [PROJECTS, reverse("admin:crowdfunding_donation_changelist")]:
        response = client.get(url)
        if staff_flag:
            assert response.status_code == 403, url
        else:
            assert response.status_code == 302 and "/login/" in response["Location"], url
    response = run_action(client, "hide", [project])
    assert response.status_code in (302, 403)
    assert not Project.objects.get(pk=project.pk).is_hidden


def test_a_manager_sees_crowdfunding_on_the_admin_index(client, manager):
    client.force_login(manager)

    response = client.get(reverse("admin:index"))

    assert reverse("admin:crowdfunding_project_changelist") in response.content.decode()
    assert reverse("admin:crowdfunding_donation_changelist") in response.content.decode()


# --- The pages ----------------------------------------------------------------------------------


def test_every_list_and_page_opens(staff):
    project = ActiveProjectFactory()
    tier = RewardTierFactory(project=project)
    donation = DonationFactory(project=project)
    application = ApplicationFactory(project=project)
    promotion = PromotionFactory(project=project)
    profile = ParticipantProfileFactory()

    for name, obj in [
        ("project", project),
        ("rewardtier", tier),
        ("donation", donation),
        ("application", application),
        ("promotion", promotion),
        ("participantprofile", profile),
    ]:
        assert staff.get(reverse(f"admin:crowdfunding_{name}_changelist")).status_code == 200, name
        assert staff.get(reverse(f"admin:crowdfunding_{name}_change", args=[obj.pk])).status_code == 200, name


def test_the_project_list_shows_money_and_ratings_and_filters(staff):
    shown = ActiveProjectFactory(blog_name="Morning Runs", topic=Topic.TRAVEL)
    Project.objects.filter(pk=shown.pk).update(raised=shown.goal // 2)
    ProjectFactory(blog_name="Quiet Draft")
    ActiveProjectFactory(blog_name="Hidden One", is_hidden=True)

    page = staff.get(PROJECTS).content.decode()
    assert "Morning Runs" in page and "Quiet Draft" in page and "Hidden One" in page
    assert "50%" in page
    for query, expected in [
        ({"status__exact": "draft"}, ["Quiet Draft"]),
        ({"topic__exact": "travel"}, ["Morning Runs"]),
        ({"is_hidden__exact": "1"}, ["Hidden One"]),
        ({"q": "morning"}, ["Morning Runs"]),
        ({"q": shown.author.username}, ["Morning Runs"]),
    ]:
        response = staff.get(PROJECTS, query)
        assert [project.blog_name for project in response.context["cl"].result_list] == expected, query


def test_a_project_page_is_read_only_and_lists_its_roles_and_tiers(staff):
    project = ActiveProjectFactory(blog_name="Morning Runs", roles={"videographer": (2, 20_000)})
    RewardTierFactory(project=project, title="Signed postcard")
    url = reverse("admin:crowdfunding_project_change", args=[project.pk])

    response = staff.get(url)

    page = response.content.decode()
    assert "Signed postcard" in page
    assert "Videographer" in page
    assert "YouTube, VK" in page
    assert f"{project.goal:,}" in page
    assert f"{project.rating_overall:.2f} ({project.rating_followers:.2f} · " in page
    assert 'name="_save"' not in page
    assert 'name="blog_name"' not in page
    # A posted edit is refused: the budget donors paid into does not move behind their back.
    assert staff.post(url, {"blog_name": "Changed", "months": "12"}).status_code == 403
    assert Project.objects.get(pk=project.pk).blog_name == "Morning Runs"


def test_projects_are_neither_added_nor_deleted_here(staff):
    project = ActiveProjectFactory()

    assert staff.get(reverse("admin:crowdfunding_project_add")).status_code == 403
    delete = reverse("admin:crowdfunding_project_delete", args=[project.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    actions = [name for name, _label in staff.get(PROJECTS).context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert {"hide", "unhide", "cancel", "refresh_ratings"} <= set(actions)
    assert Project.objects.filter(pk=project.pk).exists()


def test_donations_are_read_only(staff):
    donation = DonationFactory(amount=700)

    assert staff.get(reverse("admin:crowdfunding_donation_add")).status_code == 403
    change = reverse("admin:crowdfunding_donation_change", args=[donation.pk])
    assert 'name="_save"' not in staff.get(change).content.decode()
    assert staff.post(change, {"amount": "1", "status": "collected"}).status_code == 403
    delete = reverse("admin:crowdfunding_donation_delete", args=[donation.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    donation.refresh_from_db()
    assert (donation.amount, donation.status) == (700, Donation.Status.PLEDGED)


def test_applications_and_promotions_filter_by_status(staff):
    pending = ApplicationFactory()
    ApplicationFactory(status=Application.Status.REJECTED)

    response = staff.get(reverse("admin:crowdfunding_application_changelist"), {"status__exact": "pending"})

    assert list(response.context["cl"].result_list) == [pending]
    assert staff.get(reverse("admin:crowdfunding_application_add")).status_code == 403
    assert staff.get(reverse("admin:crowdfunding_promotion_add")).status_code == 403


# --- The moderation actions ---------------------------------------------------------------------


def test_hiding_and_showing_again_go_through_the_service_and_are_audited(staff):
    first, second = ActiveProjectFactory(), ActiveProjectFactory()

    texts = messages_of(staff, run_action(staff, "hide", [first, second]))

    assert "2 projects hidden." in texts
    assert set(Project.objects.filter(is_hidden=True)) == {first, second}
    assert AuditEvent.objects.filter(action="crowdfunding.project_hidden", actor=staff.person).count() == 2

    texts = messages_of(staff, run_action(staff, "unhide", [first]))

    assert "1 project shown again." in texts
    assert set(Project.objects.filter(is_hidden=True)) == {second}
    assert AuditEvent.objects.filter(action="crowdfunding.project_shown", actor=staff.person).exists()


def test_cancelling_asks_for_a_reason_first(staff):
    project = ActiveProjectFactory(blog_name="Morning Runs")

    response = run_action(staff, "cancel", [project])

    assert response.status_code == 200
    page = response.content.decode()
    assert "Morning Runs" in page
    assert 'name="reason"' in page
    assert status_of(project) == Project.Status.ACTIVE


def test_cancelling_refunds_the_pledges_and_tells_the_donors(staff, mailoutbox, django_capture_on_commit_callbacks):
    project = project_active()
    donor = UserFactory()
    services.donation_make(project=project, donor=donor, kind=Donation.Kind.FREE, amount=1500)
    funded = ActiveProjectFactory(blog_name="Done Deal", status=Project.Status.FUNDED)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff, "cancel", [project, funded], apply="1", reason="Plagiarised idea.")

    texts = messages_of(staff, response)
    assert "1 project cancelled; its donations are refunded." in texts
    assert any(text.startswith("Done Deal: ") for text in texts)
    assert status_of(project) == Project.Status.CANCELLED
    assert status_of(funded) == Project.Status.FUNDED
    assert set(project.donations.values_list("status", flat=True)) == {Donation.Status.REFUNDED}
    event = AuditEvent.objects.get(action="crowdfunding.project_cancelled")
    assert event.actor == staff.person
    assert event.details["reason"] == "Plagiarised idea."
    assert donor.email in [address for message in mailoutbox for address in message.to]


def test_refreshing_ratings_restores_the_stored_budget_and_ratings(staff):
    project = ActiveProjectFactory()
    stored = Project.objects.values("goal", "rating_overall", "rating_specialists").get(pk=project.pk)
    Project.objects.filter(pk=project.pk).update(goal=1, rating_overall=0, rating_specialists=0)

    texts = messages_of(staff, run_action(staff, "refresh_ratings", [project]))

    assert "1 project recomputed." in texts
    assert Project.objects.values("goal", "rating_overall", "rating_specialists").get(pk=project.pk) == stored
    assert AuditEvent.objects.filter(action="crowdfunding.ratings_refreshed", actor=staff.person).exists()


def test_profiles_are_found_by_skill(staff):
    ParticipantProfileFactory(skills="Colour grading in DaVinci")
    ParticipantProfileFactory(skills="Podcast sound")

    response = staff.get(reverse("admin:crowdfunding_participantprofile_changelist"), {"q": "davinci"})

    assert [profile.skills for profile in response.context["cl"].result_list] == ["Colour grading in DaVinci"]
    assert "Videographer" in response.content.decode()
    assert ParticipantProfile.objects.count() == 2
