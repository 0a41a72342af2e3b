"""The owner-only proxy to a running preview, its pages and its API, against real preview processes."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from sitestore import previews, proxy
from sitestore.models import Preview
from tests.factories import UserFactory
from tests.sitestore.factories import SiteTemplateFactory
from tests.sitestore.previews_support import (  # noqa: F401  # preview_settings is an autouse fixture
    assert_nothing_left,
    bought_site,
    preview_settings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_site():
    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)
    assert preview.status == Preview.Status.RUNNING
    yield site, preview
    previews.preview_stop(preview=preview, reason="test")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def echoed(response) -> dict:
    return json.loads(body_of(response))


def live(site, path: str = "") -> str:
    return (
        reverse("sitestore:site-live", args=[site.pk, path]) if path else reverse("sitestore:site-live", args=[site.pk])
    )


def test_the_owner_reaches_every_path_query_and_method_without_the_platforms_cookies(client, running_site):
    site, preview = running_site
    client.force_login(site.owner)

    response = client.get(live(site, "deep/page") + "?q=1&q=2", HTTP_X_REQUESTED_WITH="probe")

    assert response.status_code == 200
    answer = echoed(response)
    assert answer["method"] == "GET" and answer["path"] == "/deep/page?q=1&q=2"
    assert answer["headers"]["x-forwarded-prefix"] == f"/sites/my/{site.pk}/live"
    assert answer["headers"]["x-requested-with"] == "probe"
    assert "cookie" not in answer["headers"] and "authorization" not in answer["headers"]
    assert response["Content-Security-Policy"] == proxy.SANDBOX_POLICY
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "Keep-Alive" not in response
    # The site's cookie is renamed and kept to the preview's path; the owner's browser gets an admission.
    site_cookie = response.cookies[proxy.SITE_COOKIE_PREFIX + "site_cookie"]
    assert site_cookie["path"] == f"/sites/my/{site.pk}/live/"
    assert response.cookies[proxy.ADMISSION_COOKIE]["httponly"]

    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(live(site, "forum/post"), data="text=hello", content_type="text/plain")
        answer = echoed(response)
        assert answer["method"] == method.upper() and answer["body"] == "text=hello"
        assert answer["headers"]["content-type"] == "text/plain"
        # The site's own cookie goes back to it under its own name, and nothing of the platform's.
        assert answer["headers"]["cookie"] == "site_cookie=1"


def test_a_streamed_answer_is_streamed(client, running_site):
    site, _preview = running_site
    client.force_login(site.owner)

    response = client.get(live(site, "stream"))

    assert response.streaming
    assert body_of(response) == b"part 0\npart 1\npart 2\n"


def test_the_owner_with_a_bearer_token_gets_through_and_the_token_is_not_forwarded(running_site):
    site, _preview = running_site
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(site.owner).access_token}")

    answer = echoed(api.get(live(site, "api")))

    assert answer["path"] == "/api"
    assert "authorization" not in answer["headers"]


def test_nobody_else_reaches_a_preview(client, running_site):
    site, _preview = running_site
    stranger = UserFactory()

    # Anonymous: a browser is sent to log in, an API client is refused.
    response = client.get(live(site), HTTP_ACCEPT="text/html")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(live(site)).status_code == 401
    assert client.get(live(site), HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
    # Another user, by session or by token: 404, as for a site that does not exist.
    client.force_login(stranger)
    assert client.get(live(site)).status_code == 404
    assert client.post(live(site, "forum/post"), data="x=1", content_type="text/plain").status_code == 404
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(stranger).access_token}")
    assert api.get(live(site)).status_code == 404


def test_the_admission_lets_the_owners_sandboxed_page_in_only_while_the_owner_is_signed_in(client, running_site):
    site, _preview = running_site
    client.force_login(site.owner)
    admission = client.get(live(site)).cookies[proxy.ADMISSION_COOKIE].value
    # The sandboxed page's own requests carry no session cookie, only the admission.
    sandboxed = type(client)()
    sandboxed.cookies[proxy.ADMISSION_COOKIE] = admission

    assert sandboxed.get(live(site, "style.css")).status_code == 200

    client.logout()
    assert sandboxed.get(live(site, "style.css")).status_code == 401
    forged = type(client)()
    forged.cookies[proxy.ADMISSION_COOKIE] = admission[:-2] + "xx"
    assert forged.get(live(site)).status_code == 401


def test_a_body_over_the_cap_is_refused_before_the_site_sees_it(client, running_site, settings):
    site, _preview = running_site
    settings.SITE_PREVIEW_MAX_BODY_MB = 0
    client.force_login(site.owner)

    response = client.post(live(site, "forum/post"), data="text=hello", content_type="text/plain")

    assert response.status_code == 413


def test_a_stopped_preview_is_not_served(client):
    site = bought_site()
    client.force_login(site.owner)
    assert client.get(live(site)).status_code == 404


def test_a_redirect_of_the_site_stays_inside_the_preview():
    preview = Preview(site_id=7, port=18140, host="preview-host-1")
    assert proxy._location("/login", preview) == "/sites/my/7/live/login"
    assert proxy._location("http://127.0.0.1:18140/a?b=1", preview) == "/sites/my/7/live/a?b=1"
    assert proxy._location("/sites/my/7/live/x", preview) == "/sites/my/7/live/x"
    assert proxy._location("https://example.org/", preview) == "https://example.org/"


def test_run_and_stop_through_the_site_page(client):
    site = bought_site()
    client.force_login(site.owner)
    page = client.get(reverse("sitestore:site", args=[site.pk]))
    assert b'id="preview-run"' in page.content

    response = client.post(reverse("sitestore:site-run", args=[site.pk]), follow=True)

    preview = Preview.objects.get(site=site)
    assert preview.status == Preview.Status.RUNNING
    content = response.content.decode()
    assert 'sandbox="allow-scripts allow-forms"' in content
    assert f'src="/sites/my/{site.pk}/live/"' in content
    assert 'id="preview-countdown"' in content and "sitestore/preview.js" in content

    client.post(reverse("sitestore:site-stop", args=[site.pk]))
    preview.refresh_from_db()
    assert preview.status == Preview.Status.STOPPED
    assert_nothing_left(preview)


def test_another_users_run_is_404_and_starts_nothing(client):
    site = bought_site()
    client.force_login(UserFactory())
    assert client.post(reverse("sitestore:site-run", args=[site.pk])).status_code == 404
    assert client.post(reverse("sitestore:site-stop", args=[site.pk])).status_code == 404
    assert not Preview.objects.exists()


def test_try_live_demo_runs_the_template_for_the_signed_in_visitor(client):
    template = SiteTemplateFactory(bundle="echo")
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("sitestore:demo-run", args=[template.pk]), follow=True)

    assert f'src="/sites/demo/{template.pk}/live/"' in response.content.decode()
    assert echoed(client.get(reverse("sitestore:demo-live", args=[template.pk, "x"])))["path"] == "/x"
    client.force_login(UserFactory())
    assert client.get(reverse("sitestore:demo-live", args=[template.pk, "x"])).status_code == 404
    client.force_login(user)
    client.post(reverse("sitestore:demo-stop", args=[template.pk]))
    preview = Preview.objects.get(template=template)
    assert preview.status == Preview.Status.STOPPED
    assert_nothing_left(preview)


def test_the_api_runs_and_stops_my_site(running_site):
    site, preview = running_site
    previews.preview_stop(preview=preview, reason="test")
    api = APIClient()
    api.force_authenticate(site.owner)

    started = api.post(f"/api/my-sites/{site.pk}/run/")

    assert started.status_code == 200
    assert started.json()["status"] == "running"
    assert started.json()["url"] == f"http://testserver/sites/my/{site.pk}/live/"
    assert started.json()["expires_at"]
    again = api.post(f"/api/my-sites/{site.pk}/run/")
    assert again.status_code == 400 and "already have a preview" in again.json()["message"]

    stopped = api.post(f"/api/my-sites/{site.pk}/stop/")

    assert stopped.json() == {"status": "stopped", "url": None, "expires_at": None, "error": ""}
    assert_nothing_left(Preview.objects.filter(site=site).latest("started_at"))


def test_the_api_answers_404_for_another_users_site_and_401_anonymous(running_site):
    site, _preview = running_site
    api = APIClient()
    assert api.post(f"/api/my-sites/{site.pk}/run/").status_code == 401
    api.force_authenticate(UserFactory())
    assert api.post(f"/api/my-sites/{site.pk}/run/").status_code == 404
    assert api.post(f"/api/my-sites/{site.pk}/stop/").status_code == 404
    assert Preview.objects.filter(status=Preview.Status.RUNNING).count() == 1
