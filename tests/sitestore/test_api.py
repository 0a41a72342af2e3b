"""The site store's API: published templates, buying one, my sites and their zip download."""

import io
import zipfile

import pytest
from rest_framework.test import APIClient

from sitestore import services
from sitestore.models import SiteTemplate, UserSite
from tests.factories import UserFactory
from tests.sitestore.factories import SiteTemplateFactory, UserSiteFactory

pytestmark = pytest.mark.django_db


def test_the_template_list_shows_published_templates_only(user_api_client):
    shown = SiteTemplateFactory(
        name="Daily News", kind=SiteTemplate.Kind.NEWS, screenshots=["sitestore/screenshots/daily-1.png"]
    )
    SiteTemplateFactory(is_published=False)

    response = user_api_client.get("/api/site-templates/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["results"]
    assert item["id"] == shown.pk
    assert {"id", "name", "slug", "kind", "about", "price", "purchases", "features", "screenshots"} <= set(item)
    assert item["screenshots"] == ["/static/sitestore/screenshots/daily-1.png"]
    assert "bundle" not in item


def test_the_template_list_takes_the_same_queries_for_one_or_many(user_api_client, django_assert_num_queries):
    SiteTemplateFactory()
    user_api_client.get("/api/site-templates/")
    with django_assert_num_queries(2) as one:
        user_api_client.get("/api/site-templates/")
    SiteTemplateFactory.create_batch(10)
    with django_assert_num_queries(len(one.captured_queries)):
        response = user_api_client.get("/api/site-templates/")
    assert response.json()["count"] == 11


def test_buying_through_the_api_answers_201_with_the_new_site(user, user_api_client):
    template = SiteTemplateFactory(kind=SiteTemplate.Kind.BLOG)

    response = user_api_client.post(f"/api/site-templates/{template.pk}/buy/")

    assert response.status_code == 201, response.content
    site = UserSite.objects.get(owner=user)
    assert response.json() == {
        "id": site.pk,
        "name": "Blog (1)",
        "about": template.about,
        "stage": "queued",
        "started_at": response.json()["started_at"],
        "template": {"id": template.pk, "name": template.name, "slug": template.slug, "kind": "blog"},
    }
    template.refresh_from_db()
    assert template.purchases == 1


def test_buying_a_template_whose_files_are_missing_answers_400_and_changes_nothing(user_api_client):
    template = SiteTemplateFactory(bundle="gone")

    response = user_api_client.post(f"/api/site-templates/{template.pk}/buy/")

    assert response.status_code == 400
    assert "missing" in str(response.json()["errors"])
    assert not UserSite.objects.exists()


def test_my_sites_lists_only_mine_with_constant_queries(user, user_api_client, django_assert_num_queries):
    UserSiteFactory(owner=user)
    UserSiteFactory()
    user_api_client.get("/api/my-sites/")
    with django_assert_num_queries(2) as one:
        response = user_api_client.get("/api/my-sites/")
    assert response.json()["count"] == 1
    UserSiteFactory.create_batch(10, owner=user)
    with django_assert_num_queries(len(one.captured_queries)):
        response = user_api_client.get("/api/my-sites/")
    assert response.json()["count"] == 11
    assert "directory" not in response.json()["results"][0]


def test_someone_elses_site_answers_404(user_api_client):
    site = UserSiteFactory()

    assert user_api_client.get(f"/api/my-sites/{site.pk}/").status_code == 404
    assert user_api_client.get(f"/api/my-sites/{site.pk}/download/").status_code == 404


def test_the_owner_downloads_a_zip_stream_named_by_id(user, user_api_client):
    site = services.template_buy(user=user, template=SiteTemplateFactory())

    response = user_api_client.get(f"/api/my-sites/{site.pk}/download/")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="site-{site.pk}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["index.html", "site.json", "static/style.css"]


def test_the_download_works_with_a_bearer_token(user, password):
    site = services.template_buy(user=user, template=SiteTemplateFactory())
    client = APIClient()
    login = client.post("/api/auth/login/", {"login": user.username, "password": password})
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    response = client.get(f"/api/my-sites/{site.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"PK")


def test_anonymous_visitors_get_401_everywhere(api_client):
    site = UserSiteFactory()
    for path in ["/api/site-templates/", "/api/my-sites/", f"/api/my-sites/{site.pk}/download/"]:
        assert api_client.get(path).status_code == 401
    assert api_client.post(f"/api/site-templates/{site.template_id}/buy/").status_code == 401
    assert not UserSite.objects.exclude(pk=site.pk).exists()


def test_another_user_cannot_buy_for_me_or_see_my_sites():
    owner, other = UserFactory(), UserFactory()
    site = UserSiteFactory(owner=owner)
    client = APIClient()
    client.force_authenticate(other)

    assert client.get("/api/my-sites/").json()["count"] == 0
    assert client.get(f"/api/my-sites/{site.pk}/").status_code == 404
