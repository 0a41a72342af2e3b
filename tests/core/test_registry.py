"""Apps contribute to shared pages and commands through the registries in settings (core/registry.py)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from chat.services import chat_create
from core.registry import ProfilePanel, home_sections, profile_panels
from core.sections import Section
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILLED: list[int] = []

GARDEN = Section("garden", "Garden", "Seeds and tools.", stats=f"{__name__}.garden_stats")


def garden_stats() -> list[tuple[str, int]]:
    return [("Seeds", 42)]


def greeting_panel(*, viewer, person) -> ProfilePanel:
    return ProfilePanel("core/_test_panel.html", {"text": f"{viewer.username} visits {person.username}"})


def nothing_to_show(*, viewer, person) -> None:
    return None


def recording_filler(*, scale: int, stdout) -> None:
    FILLED.append(scale)


def test_profile_panels_come_from_the_setting_in_order_and_empty_ones_are_left_out(settings, user, other_user):
    settings.PROFILE_PANELS = [f"{__name__}.nothing_to_show", f"{__name__}.greeting_panel"]

    panels = profile_panels(viewer=user, person=other_user)

    assert panels == [ProfilePanel("core/_test_panel.html", {"text": f"{user.username} visits {other_user.username}"})]


def test_the_public_profile_shows_the_chats_two_people_share(client, user, other_user):
    stranger = UserFactory()
    chat_create(creator=user, title="Weekend plans", members=[other_user.username])
    chat_create(creator=stranger, title="Not yours", members=[other_user.username])
    client.force_login(user)

    html = client.get(reverse("accounts:public-profile", args=[other_user.username])).content.decode()

    assert 'id="shared-chats"' in html
    assert "Weekend plans" in html
    assert "Not yours" not in html


def test_no_chat_panel_without_a_shared_chat_or_on_ones_own_profile(client, user, other_user):
    chat_create(creator=user, title="Alone here", members=[])
    client.force_login(user)

    for person in (other_user, user):
        html = client.get(reverse("accounts:public-profile", args=[person.username])).content.decode()
        assert 'id="shared-chats"' not in html


def test_fill_runs_the_registered_demo_fillers(settings):
    settings.DEMO_FILLERS = [f"{__name__}.recording_filler"]
    FILLED.clear()

    call_command("fill", "--scale", "2", stdout=io.StringIO())

    assert FILLED == [2]


def test_fill_if_empty_adds_nothing_when_people_exist(settings, user):
    settings.DEMO_FILLERS = [f"{__name__}.recording_filler"]
    FILLED.clear()

    call_command("fill", "--if-empty", stdout=io.StringIO())

    assert FILLED == []


def test_the_home_page_and_the_navigation_show_the_registered_sections_in_order(client, settings):
    settings.HOME_SECTIONS = [f"{__name__}.GARDEN", "blog.sections.SECTION"]

    html = client.get(reverse("core:home")).content.decode()

    assert [section.key for section in home_sections()] == ["garden", "blog"]
    assert 'id="section-garden"' in html and "Seeds and tools." in html and "42" in html
    assert html.index('id="section-garden"') < html.index('id="section-blog"')
    assert 'id="section-shop"' not in html


def test_every_app_of_ours_with_pages_has_a_registered_section(settings):
    keys = [section.key for section in home_sections()]

    assert keys == ["shop", "sites", "chat", "crowdfunding", "mailings", "blog"]
