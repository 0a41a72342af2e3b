"""The site store's admin: templates (publish with a bundle check) and bought sites (stage moves)."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from sitestore.models import SiteTemplate, StageChange, UserSite
from tests.sitestore.factories import (
    SiteTemplateFactory,
    StageChangeFactory,
    TemplateCartItemFactory,
    UserSiteFactory,
)

pytestmark = pytest.mark.django_db

TEMPLATES = reverse("admin:sitestore_sitetemplate_changelist")
SITES = reverse("admin:sitestore_usersite_changelist")


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    client.person = superuser
    return client


def run_action(client, url: str, action: str, objects):
    data = {"action": action, "_selected_action": [str(obj.pk) for obj in objects], "index": "0"}
    return client.post(url, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def template_form(**overrides) -> dict:
    return {
        "name": "Daily News",
        "slug": "daily-news",
        "kind": "news",
        "about": "News every day.",
        "explanation": "A newspaper site.",
        "price": "2500",
        "features": '["Comments"]',
        "screenshots": "[]",
        "bundle": "tiny",
        "is_published": "on",
        **overrides,
    }


def test_the_lists_and_forms_open(staff):
    template = SiteTemplateFactory()
    site = UserSiteFactory(template=template)
    StageChangeFactory(site=site)

    for url in [
        TEMPLATES,
        SITES,
        reverse("admin:sitestore_sitetemplate_change", args=[template.pk]),
        reverse("admin:sitestore_sitetemplate_add"),
        reverse("admin:sitestore_usersite_change", args=[site.pk]),
    ]:
        assert staff.get(url).status_code == 200, url


def test_creating_a_template_goes_through_the_service_and_is_audited(staff):
    response = staff.post(reverse("admin:sitestore_sitetemplate_add"), template_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    template = SiteTemplate.objects.get(slug="daily-news")
    assert template.is_published
    assert template.features == ["Comments"]
    assert AuditEvent.objects.filter(action="sitestore.template_created", actor=staff.person).exists()


def test_a_template_with_a_broken_bundle_cannot_be_published_from_the_form(staff):
    response = staff.post(reverse("admin:sitestore_sitetemplate_add"), template_form(bundle="nothing-here"))

    assert response.status_code == 200
    assert "does not exist" in str(response.context["adminform"].form.errors["bundle"])
    assert not SiteTemplate.objects.exists()


def test_publishing_checks_each_bundle_and_names_the_refused_ones(staff, site_bundles):
    sound = SiteTemplateFactory(is_published=False)
    broken = SiteTemplateFactory(is_published=False, bundle="broken", name="Broken")
    (site_bundles / "broken").mkdir()
    (site_bundles / "broken" / "site.json").write_text('{"title": "Broken", "command": "python3 app.py"}')

    response = run_action(staff, TEMPLATES, "publish", [sound, broken])

    sound.refresh_from_db()
    broken.refresh_from_db()
    assert sound.is_published
    assert not broken.is_published
    texts = messages_of(response)
    assert "1 template published." in texts
    assert "Broken: site.json has no command with a {port} placeholder." in texts
    event = AuditEvent.objects.get(action="sitestore.templates_published")
    assert event.details == {"templates": [sound.pk]}


def test_unpublishing_hides_templates(staff):
    template = SiteTemplateFactory()

    run_action(staff, TEMPLATES, "unpublish", [template])

    template.refresh_from_db()
    assert not template.is_published


def test_the_bundle_check_action_reports_each_template(staff):
    sound = SiteTemplateFactory(name="Sound")
    missing = SiteTemplateFactory(name="Missing", bundle="gone", is_published=False)

    texts = messages_of(run_action(staff, TEMPLATES, "check_bundles", [sound, missing]))

    assert "Sound: the bundle is sound." in texts
    assert "Missing: The bundle directory “gone” does not exist." in texts


def test_a_bought_template_cannot_be_deleted(staff):
    site = UserSiteFactory()

    response = staff.post(reverse("admin:sitestore_sitetemplate_delete", args=[site.template_id]), {"post": "yes"})

    assert response.status_code == 200
    assert SiteTemplate.objects.filter(pk=site.template_id).exists()


def test_deleting_an_unsold_template_is_audited(staff):
    template = SiteTemplateFactory()

    staff.post(reverse("admin:sitestore_sitetemplate_delete", args=[template.pk]), {"post": "yes"})

    assert not SiteTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="sitestore.template_deleted").exists()


def test_the_next_stage_action_moves_each_site_and_emails_the_owners(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    queued = UserSiteFactory()
    delivered = UserSiteFactory(stage=UserSite.Stage.DELIVERED, name="Done (1)")

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff, SITES, "advance", [queued, delivered])

    queued.refresh_from_db()
    delivered.refresh_from_db()
    assert queued.stage == UserSite.Stage.DESIGN
    assert delivered.stage == UserSite.Stage.DELIVERED
    assert StageChange.objects.get().actor == staff.person
    assert [message.to for message in mailoutbox] == [[queued.owner.email]]
    texts = messages_of(response)
    assert "1 site moved." in texts
    assert "Done (1): there is no stage that way." in texts


def test_the_reopen_action_moves_a_site_one_stage_back(staff):
    site = UserSiteFactory(stage=UserSite.Stage.TESTING)

    run_action(staff, SITES, "reopen_one_back", [site])

    site.refresh_from_db()
    assert site.stage == UserSite.Stage.DEVELOPMENT
    assert AuditEvent.objects.filter(action="sitestore.stage_reopened").exists()


def test_the_site_form_moves_the_stage_with_a_note(staff, mailoutbox, django_capture_on_commit_callbacks):
    site = UserSiteFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:sitestore_usersite_change", args=[site.pk]),
            {
                "move_to": "design",
                "note": "First sketches are ready.",
                "stage_changes-TOTAL_FORMS": "0",
                "stage_changes-INITIAL_FORMS": "0",
            },
        )

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.stage == UserSite.Stage.DESIGN
    assert StageChange.objects.get().note == "First sketches are ready."
    assert "First sketches are ready." in mailoutbox[0].body


def test_the_site_form_refuses_a_bad_move_beside_the_field(staff):
    site = UserSiteFactory(stage=UserSite.Stage.TESTING)

    response = staff.post(
        reverse("admin:sitestore_usersite_change", args=[site.pk]),
        {"move_to": "design", "stage_changes-TOTAL_FORMS": "0", "stage_changes-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 200
    assert "only moves forward" in str(response.context["adminform"].form.errors["move_to"])
    site.refresh_from_db()
    assert site.stage == UserSite.Stage.TESTING
    assert not StageChange.objects.exists()


def test_sites_cannot_be_added_or_deleted_in_the_admin(staff):
    site = UserSiteFactory()

    assert staff.get(reverse("admin:sitestore_usersite_add")).status_code == 403
    assert staff.post(reverse("admin:sitestore_usersite_delete", args=[site.pk]), {"post": "yes"}).status_code == 403
    assert UserSite.objects.filter(pk=site.pk).exists()


def test_the_stage_history_and_template_carts_are_read_only_lists(staff):
    change = StageChangeFactory()
    item = TemplateCartItemFactory()

    for model, obj in [("stagechange", change), ("templatecartitem", item)]:
        assert staff.get(reverse(f"admin:sitestore_{model}_changelist")).status_code == 200
        assert staff.get(reverse(f"admin:sitestore_{model}_change", args=[obj.pk])).status_code == 200
        assert staff.get(reverse(f"admin:sitestore_{model}_add")).status_code == 403
