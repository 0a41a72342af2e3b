"""The crowdfunding API (SPEC §6): participant profile, projects with their budget and ratings, the
budget preview, publishing and cancelling, the top lists and the project list's filters."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from crowdfunding.models import ParticipantProfile, Project, ProjectRole, Role
from tests.crowdfunding.factories import (
    ActiveProjectFactory,
    ParticipantProfileFactory,
    ProjectFactory,
    project_active,
    project_make,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(**overrides) -> dict:
    """A project body whose budget is computed by hand in ``test_create_answers_201_with_the_budget...``."""
    data = {
        "blog_name": "Morning runs",
        "idea": "A blog about running before work, with weekly plans.",
        "topic": "fitness",
        "product_name": "Training plan",
        "author_price": 15,
        "posts_per_month": 5,
        "sites": ["youtube", "vk", "x"],
        "months": 4,
        "deadline": (timezone.now() + timedelta(days=30)).isoformat(),
        "specialists": {
            "videographer": {"count": 2, "salary": 20_000},
            "copywriter": {"count": 1, "salary": 15_000},
        },
    }
    data.update(overrides)
    return data


# By hand, for body(): months ratio 1 − (6 − 4)/10 = 0.8; sites ratio 1 − (5 − 3)/10 = 0.8; posts
# ratio 1 − (10 − 5)/20 = 0.75. Follower pay int(1500 × 0.75 × 0.8) = 900; total follower pay
# int(900 × 100 × 0.8 × 0.75 × 0.8) = 43,200. Specialists 2 × 20,000 × 4 + 1 × 15,000 × 4 = 220,000;
# goal 263,200. ceil(0.2 × 15) = 3, so the product costs 18 and 263,200 // 3 + 1 = 87,734 are to sell.
EXPECTED_BUDGET = {
    "specialists_pay": 220_000,
    "follower_pay": 900,
    "total_follower_pay": 43_200,
    "goal": 263_200,
    "product_price": 18,
    "products_to_sell": 87_734,
}
# Followers 4/12 + 900/3000 + (1 − 0/100); specialists 15000 / (220,000 // 3 = 73,333); promotion 1.
EXPECTED_RATINGS = {
    "followers": 4 / 12 + 0.3 + 1,
    "specialists": 15000 / 73_333,
    "promotion": 1.0,
    "overall": 4 / 12 + 0.3 + 1 + 15000 / 73_333 + 1.0,
}


# --- Participant profile ------------------------------------------------------------------------


def test_my_profile_before_i_save_one_is_empty(user_api_client):
    response = user_api_client.get("/api/participants/me/")

    assert response.status_code == 200
    assert response.json() == {"skills": "", "experience": "", "professions": [], "topics": []}
    assert not ParticipantProfile.objects.exists()


def test_put_creates_my_profile_and_patch_changes_only_what_it_names(user, user_api_client):
    created = user_api_client.put(
        "/api/participants/me/",
        {"skills": "Editing", "experience": "Two years", "professions": ["videographer"], "topics": ["travel"]},
    )
    changed = user_api_client.patch("/api/participants/me/", {"topics": ["travel", "games"]})

    assert created.status_code == 200, created.content
    assert changed.json() == {
        "skills": "Editing",
        "experience": "Two years",
        "professions": ["videographer"],
        "topics": ["travel", "games"],
    }
    assert user_api_client.get("/api/participants/me/").json() == changed.json()
    assert ParticipantProfile.objects.get(user=user).topics == ["travel", "games"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"professions": ["astronaut"]}, "professions"),
        ({"topics": ["cooking"]}, "topics"),
        ({"skills": ""}, "skills"),
        ({"experience": "x" * 1001}, "experience"),
        ({"professions": "videographer"}, "professions"),
    ],
)
def test_bad_profile_values_answer_400_naming_the_field(user_api_client, change, field):
    data = {"skills": "Editing", "experience": "Two years", "professions": [], "topics": [], **change}

    response = user_api_client.put("/api/participants/me/", data)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not ParticipantProfile.objects.exists()


def test_a_first_patch_without_the_required_fields_names_them(user_api_client):
    response = user_api_client.patch("/api/participants/me/", {"skills": "Editing"})

    assert response.status_code == 400
    assert "experience" in response.json()["errors"]


@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_the_profile_needs_credentials(api_client, method):
    response = getattr(api_client, method)("/api/participants/me/", {})

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


# --- Create, preview, update ------------------------------------------------------------------


def test_create_answers_201_with_the_budget_and_ratings_of_the_formulas(user, user_api_client):
    response = user_api_client.post("/api/projects/", body())

    assert response.status_code == 201, response.content
    data = response.json()
    project = Project.objects.get(pk=data["id"])
    assert (project.author, data["author"], data["status"]) == (user, user.username, "draft")
    assert {key: data["budget"][key] for key in EXPECTED_BUDGET} == EXPECTED_BUDGET
    assert data["ratings"] == pytest.approx(EXPECTED_RATINGS)
    assert data["specialists"] == {
        "copywriter": {"count": 1, "salary": 15_000, "seats_taken": 0, "open_seats": 1},
        "videographer": {"count": 2, "salary": 20_000, "seats_taken": 0, "open_seats": 2},
    }
    assert data["sites"] == ["youtube", "vk", "x"]
    assert (data["raised"], data["followers_wanted"], data["cover"]) == (0, 100, None)
    assert (project.goal, project.products_to_sell) == (263_200, 87_734)


def test_a_project_without_specialists_and_a_free_product_has_no_products_to_sell(user_api_client):
    response = user_api_client.post("/api/projects/", body(specialists={}, author_price=0))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["budget"]["specialists_pay"] == 0
    assert data["budget"]["goal"] == 43_200
    assert (data["budget"]["product_price"], data["budget"]["products_to_sell"]) == (0, None)
    assert data["ratings"]["specialists"] == 0
    assert data["specialists"] == {}


BAD_FIELDS = [
    ({"blog_name": "x"}, "blog_name"),
    ({"idea": "too short"}, "idea"),
    ({"topic": "cooking"}, "topic"),
    ({"product_name": "x" * 31}, "product_name"),
    ({"author_price": -1}, "author_price"),
    ({"author_price": 1_000_001}, "author_price"),
    ({"posts_per_month": 0}, "posts_per_month"),
    ({"posts_per_month": 101}, "posts_per_month"),
    ({"sites": []}, "sites"),
    ({"sites": ["myspace"]}, "sites"),
    ({"months": 2}, "months"),
    ({"months": 13}, "months"),
    ({"deadline": "tomorrow"}, "deadline"),
    ({"specialists": {"astronaut": {"count": 1, "salary": 20_000}}}, "specialists"),
    ({"specialists": {"director": {"count": 11, "salary": 20_000}}}, "specialists"),
    ({"specialists": {"director": {"count": 1, "salary": 100_001}}}, "specialists"),
    ({"specialists": ["director"]}, "specialists"),
]
# Rules the schema cannot state; the service names the field all the same.
BAD_FOR_THE_SERVICE = [
    ({"deadline": (timezone.now() - timedelta(days=1)).isoformat()}, "deadline"),
    ({"deadline": (timezone.now() + timedelta(days=400)).isoformat()}, "deadline"),
    ({"specialists": {"director": {"count": 1, "salary": 9_999}}}, "specialists"),
]


@pytest.mark.parametrize(("change", "field"), BAD_FIELDS + BAD_FOR_THE_SERVICE)
def test_bad_project_values_answer_400_naming_the_field_and_save_nothing(user_api_client, change, field):
    response = user_api_client.post("/api/projects/", body(**change))

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert not Project.objects.exists()


def test_a_missing_field_is_named(user_api_client):
    data = body()
    del data["months"]

    response = user_api_client.post("/api/projects/", data)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["months"]


def test_malformed_json_answers_400(user_api_client):
    response = user_api_client.generic("POST", "/api/projects/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_budget_preview_answers_the_budget_and_saves_nothing(user_api_client):
    response = user_api_client.post("/api/projects/budget-preview/", body())

    assert response.status_code == 200, response.content
    budget = response.json()["budget"]
    assert {key: budget[key] for key in EXPECTED_BUDGET} == EXPECTED_BUDGET
    assert (budget["months_ratio"], budget["sites_ratio"], budget["posts_ratio"]) == (0.8, 0.8, 0.75)
    assert not Project.objects.exists()
    assert not ProjectRole.objects.exists()


@pytest.mark.parametrize(("change", "field"), [({"months": 13}, "months"), BAD_FOR_THE_SERVICE[2]])
def test_budget_preview_names_a_bad_field_and_saves_nothing(user_api_client, change, field):
    response = user_api_client.post("/api/projects/budget-preview/", body(**change))

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Project.objects.exists()


@pytest.mark.parametrize("path", ["/api/projects/", "/api/projects/budget-preview/"])
def test_writing_needs_credentials(api_client, path):
    response = api_client.post(path, body())

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert not Project.objects.exists()


def test_the_author_patches_a_draft_and_the_budget_follows(user):
    project = project_make(author=user)

    response = client_for(user).patch(
        f"/api/projects/{project.pk}/",
        {"months": 4, "specialists": {"videographer": {"count": 2, "salary": 20_000}}},
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["months"] == 4
    assert data["specialists"] == {"videographer": {"count": 2, "salary": 20_000, "seats_taken": 0, "open_seats": 2}}
    # 2 × 20,000 × 4 = 160,000; two sites (ratio 0.7) and 10 posts (ratio 1): follower pay
    # int(1500 × 0.7) = 1050, total int(1050 × 100 × 0.8 × 0.7) = 58,800.
    assert data["budget"]["goal"] == 160_000 + 58_800
    project.refresh_from_db()
    assert project.goal == 218_800


def test_a_put_replaces_every_field(user):
    project = project_make(author=user)

    response = client_for(user).put(f"/api/projects/{project.pk}/", body(blog_name="Evening runs"))

    assert response.status_code == 200, response.content
    assert response.json()["blog_name"] == "Evening runs"
    assert response.json()["budget"]["goal"] == EXPECTED_BUDGET["goal"]


def test_a_locked_field_of_an_active_project_answers_400_naming_it(user):
    project = project_active(author=user)

    response = client_for(user).patch(f"/api/projects/{project.pk}/", {"months": 12, "blog_name": "New name"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["months"]
    project.refresh_from_db()
    assert (project.months, project.blog_name) == (6, "Morning runs")


def test_an_active_project_keeps_its_free_fields_editable(user):
    project = project_active(author=user)

    response = client_for(user).patch(f"/api/projects/{project.pk}/", {"blog_name": "New name", "months": 6})

    assert response.status_code == 200, response.content
    assert response.json()["blog_name"] == "New name"


def test_someone_elses_visible_project_is_refused_and_their_draft_is_404(user_api_client):
    public = ActiveProjectFactory()
    draft = ProjectFactory()

    assert user_api_client.patch(f"/api/projects/{public.pk}/", {"blog_name": "Mine now"}).status_code == 403
    assert user_api_client.put(f"/api/projects/{public.pk}/", body()).status_code == 403
    assert user_api_client.post(f"/api/projects/{public.pk}/cancel/").status_code == 403
    assert user_api_client.patch(f"/api/projects/{draft.pk}/", {"blog_name": "Mine now"}).status_code == 404
    assert user_api_client.post(f"/api/projects/{draft.pk}/publish/").status_code == 404
    public.refresh_from_db()
    draft.refresh_from_db()
    assert public.blog_name != "Mine now" and public.status == "active"
    assert draft.blog_name != "Mine now" and draft.status == "draft"


def test_publish_then_cancel(user, mailoutbox):
    project = project_make(author=user)
    client = client_for(user)

    published = client.post(f"/api/projects/{project.pk}/publish/")
    cancelled = client.post(f"/api/projects/{project.pk}/cancel/", {"reason": "Changed my mind"})
    again = client.post(f"/api/projects/{project.pk}/publish/")

    assert published.status_code == 200, published.content
    assert published.json()["status"] == "active"
    assert published.json()["published_at"]
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 400


def test_publishing_with_a_deadline_that_has_passed_names_the_deadline(user):
    project = project_make(author=user)
    Project.objects.filter(pk=project.pk).update(deadline=timezone.now() - timedelta(hours=1))

    response = client_for(user).post(f"/api/projects/{project.pk}/publish/")

    assert response.status_code == 400
    assert "deadline" in response.json()["errors"]


# --- Reading ------------------------------------------------------------------------------------


def test_anyone_reads_a_public_project_but_only_its_author_a_draft_or_hidden_one(api_client, user):
    public = ActiveProjectFactory()
    draft = ProjectFactory(author=user)
    hidden = ActiveProjectFactory(author=user, is_hidden=True)

    assert api_client.get(f"/api/projects/{public.pk}/").status_code == 200
    assert api_client.get(f"/api/projects/{draft.pk}/").status_code == 404
    assert client_for(UserFactory()).get(f"/api/projects/{hidden.pk}/").status_code == 404
    assert client_for(user).get(f"/api/projects/{draft.pk}/").json()["status"] == "draft"
    assert client_for(user).get(f"/api/projects/{hidden.pk}/").json()["is_hidden"] is True


def test_the_list_is_public_and_shows_published_projects_only(api_client):
    shown = ActiveProjectFactory()
    ProjectFactory()
    ActiveProjectFactory(is_hidden=True)

    response = api_client.get("/api/projects/")

    assert response.status_code == 200
    data = response.json()
    assert (data["count"], data["next"], data["previous"]) == (1, None, None)
    assert [item["id"] for item in data["results"]] == [shown.pk]


def test_the_list_filters_by_topic_and_status_and_sorts(api_client):
    now = timezone.now()
    poor = ActiveProjectFactory(topic="travel", raised=10, deadline=now + timedelta(days=9), published_at=now)
    rich = ActiveProjectFactory(
        topic="travel", raised=500, deadline=now + timedelta(days=3), published_at=now - timedelta(days=1)
    )
    funded = ActiveProjectFactory(topic="games", status="funded", raised=900)

    def ids(query: str) -> list[int]:
        response = api_client.get(f"/api/projects/?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids("topic=travel") == [poor.pk, rich.pk]
    assert ids("status=funded") == [funded.pk]
    assert ids("topic=travel&ordering=funded") == [rich.pk, poor.pk]
    assert ids("ordering=ending") == [rich.pk, poor.pk, funded.pk]
    assert ids("ordering=funded") == [funded.pk, rich.pk, poor.pk]


@pytest.mark.parametrize("query", ["topic=cooking", "status=lost", "ordering=cheapest", "mine=maybe", "page=9"])
def test_a_bad_list_parameter_answers_400_naming_it(api_client, query):
    ActiveProjectFactory()

    response = api_client.get(f"/api/projects/?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_mine_lists_my_projects_with_drafts_and_needs_credentials(api_client, user):
    draft = ProjectFactory(author=user)
    active = ActiveProjectFactory(author=user)
    ActiveProjectFactory()

    response = client_for(user).get("/api/projects/?mine=1")
    drafts = client_for(user).get("/api/projects/?mine=1&status=draft")
    anonymous = api_client.get("/api/projects/?mine=1")

    assert [item["id"] for item in response.json()["results"]] == [draft.pk, active.pk]
    assert [item["id"] for item in drafts.json()["results"]] == [draft.pk]
    assert anonymous.status_code == 401
    assert anonymous.json() == UNAUTHORIZED


def test_the_list_costs_the_same_queries_for_one_project_or_a_full_page(api_client, django_assert_max_num_queries):
    ActiveProjectFactory(roles={Role.DIRECTOR: (1, 50_000), Role.VIDEOGRAPHER: (2, 20_000)})
    with django_assert_max_num_queries(10) as one:
        api_client.get("/api/projects/?page_size=100")
    for _ in range(12):
        ActiveProjectFactory(roles={Role.DIRECTOR: (1, 50_000), Role.VIDEOGRAPHER: (2, 20_000)})

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = api_client.get("/api/projects/?page_size=100")

    assert response.json()["count"] == 13
    assert response.json()["results"][0]["specialists"]["director"]["count"] == 1


def test_top_lists_five_open_projects_by_overall_and_by_followers_rating(api_client, django_assert_max_num_queries):
    projects = [ActiveProjectFactory(months=3 + index) for index in range(7)]
    ProjectFactory(months=12)

    with django_assert_max_num_queries(4):
        response = api_client.get("/api/projects/top/")

    assert response.status_code == 200
    data = response.json()
    # A longer project has a higher followers rating (months/12), with everything else equal.
    longest_first = [project.pk for project in reversed(projects)][:5]
    assert [item["id"] for item in data["followers"]] == longest_first
    assert len(data["overall"]) == 5
    assert {"budget", "ratings", "specialists"} <= set(data["overall"][0])


def test_a_profile_of_someone_with_topics_does_not_change_the_public_top(api_client):
    ParticipantProfileFactory(topics=["travel"])
    ActiveProjectFactory()

    assert len(api_client.get("/api/projects/top/").json()["overall"]) == 1
