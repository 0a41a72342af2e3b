"""The ceiling views answer the same rows, in the same order, as the Agora endpoints they stand beside.

A ceiling that returned other rows (another order, another chat's messages) would make every ratio
in the bench's table meaningless.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from bench import run
from bench.report import TARGETS
from blog.models import Article
from mailings.models import Client
from tests.chat_factories import ChatFactory, MessageFactory
from tests.crowdfunding.factories import ActiveProjectFactory
from tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.urls")]


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_every_scenario_of_the_runner_has_a_target_row():
    assert [scenario.name for scenario in run.SCENARIOS] == [target.scenario for target in TARGETS]


def test_products_ceiling_matches_the_api_page_1(client, user_api_client):
    for number in range(25):
        ProductFactory(name=f"Item {(number * 7) % 25:02d}", is_active=number % 5 != 0)
    api = user_api_client.get("/api/products/")
    assert len(_ids(api)) == 20
    assert _ids(client.get("/bench/ceiling/products/")) == _ids(api)
    assert _ids(client.get("/bench/ceiling/shop/")) == _ids(api)


def test_messages_ceiling_matches_the_api_newest_page_of_that_chat_only(client, user, user_api_client):
    chat, other = ChatFactory(created_by=user), ChatFactory(created_by=user)
    for number in range(60):
        MessageFactory(chat=chat if number % 3 else other)
    api = user_api_client.get(f"/api/messages/?chat={chat.pk}&page_size=50")
    assert len(_ids(api)) == 40
    assert _ids(client.get(f"/bench/ceiling/messages/{chat.pk}/")) == _ids(api)


def test_clients_ceiling_matches_the_api_page_1_of_that_owner(client, user, other_user, user_api_client):
    for number in range(25):
        Client.objects.create(owner=user, email=f"c{number}@example.com", full_name=f"Name {(number * 7) % 25:02d}")
    Client.objects.create(owner=other_user, email="other@example.com", full_name="A first name")
    api = user_api_client.get("/api/clients/")
    assert _ids(client.get(f"/bench/ceiling/clients/{user.pk}/")) == _ids(api)


def test_articles_ceiling_matches_the_api_page_1(client, user_api_client):
    now = timezone.now()
    for number in range(25):
        Article.objects.create(
            title=f"A{number}",
            slug=f"a{number}",
            body="text",
            is_published=number % 4 != 0,
            published_at=now - timedelta(hours=(number * 7) % 25) if number % 4 else None,
        )
    api = user_api_client.get("/api/articles/")
    assert _ids(client.get("/bench/ceiling/articles/")) == _ids(api)


def test_projects_ceiling_matches_the_api_page_1(client, user_api_client):
    for _ in range(22):
        ActiveProjectFactory()
    api = user_api_client.get("/api/projects/")
    assert len(_ids(api)) == 20
    assert _ids(client.get("/bench/ceiling/projects/")) == _ids(api)
