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

    # A browser visit goes on to the run's admission path, under which the sandboxed page's requests pass.
    redirect = client.get(live(site, "deep/page") + "?q=1&q=2")
    admitted = f"/sites/my/{site.pk}/live/~{proxy.admission(redirect.wsgi_request, preview)}"
    assert redirect.status_code == 302 and redirect["Location"] == f"{admitted}/deep/page?q=1&q=2"
    response = client.get(redirect["Location"], HTTP_X_REQUESTED_WITH="probe")

    assert response.status_code == 200
    answer = echoed(response)
    assert answer["method"] == "GET" and answer["path"] == "/deep/page?q=1&q=2"
    assert answer["headers"]["x-forwarded-prefix"] == admitted
    assert answer["headers"]["x-requested-with"] == "probe"
    assert "cookie" not in answer["headers"] and "authorization" not in answer["headers"]
    assert response["Content-Security-Policy"] == "sandbox allow-scripts allow-forms; frame-ancestors http://testserver"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "Keep-Alive" not in response
    # The site's cookie is renamed and kept to the preview's path.
    site_cookie = response.cookies[proxy.SITE_COOKIE_PREFIX + "site_cookie"]
    assert site_cookie["path"] == f"{admitted}/"

    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"{admitted}/forum/post", data="text=hello", content_type="text/plain")
        answer = echoed(response)
        assert answer["method"] == method.upper() and answer["body"] == "text=hello"
        assert answer["headers"]["content-type"] == "text/plain"
        # The site's own cookie goes back to it under its own name, and nothing of the platform's.
        assert answer["headers"]["cookie"] == "site_cookie=1"
    # A form posted straight to the session route reaches the site too.
    assert echoed(client.post(live(site, "forum/post"), data="a=b", content_type="text/plain"))["body"] == "a=b"


def test_a_streamed_answer_is_streamed(client, running_site):
    site, _preview = running_site
    client.force_login(site.owner)

    response = client.get(live(site, "stream"), follow=True)

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

    # Anonymous: a browser is sent to log in, a refused token gets the API's 401.
    response = client.get(live(site, "page"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert client.post(live(site, "forum/post"), data="x=1", content_type="text/plain").status_code == 302
    refused = client.get(live(site), HTTP_AUTHORIZATION="Bearer not-a-token")
    assert refused.status_code == 401 and refused.json() == {"code": 401, "message": "Unauthorized"}
    # Another user, by session or by token: 404, as for a site that does not exist.
    client.force_login(stranger)
    assert client.get(live(site)).status_code == 404
    assert client.post(live(site, "forum/post"), data="x=1", content_type="text/plain").status_code == 404
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(stranger).access_token}")
    assert api.get(live(site)).status_code == 404


def test_the_admission_path_serves_only_this_run_for_the_owners_address(client, running_site):
    site, preview = running_site
    client.force_login(site.owner)
    admitted = client.get(live(site))["Location"]
    # The sandboxed page's own requests carry no platform cookie at all: the admission path lets them in.
    sandboxed = type(client)()
    assert sandboxed.get(admitted + "purchased.txt").status_code == 200

    # Copied to another address, or forged, it opens nothing.
    assert sandboxed.get(admitted + "purchased.txt", REMOTE_ADDR="10.9.8.7").status_code == 404
    assert sandboxed.get(f"/sites/my/{site.pk}/live/~{'0' * 32}/").status_code == 404
    # It dies with the run: a new run of the same site has another admission.
    previews.preview_stop(preview=preview, reason="test")
    assert sandboxed.get(admitted).status_code == 404
    again = previews.preview_start(user=site.owner, site=site)
    try:
        assert sandboxed.get(admitted).status_code == 404
        assert client.get(live(site))["Location"] != admitted
    finally:
        previews.preview_stop(preview=again, reason="test")


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
    prefix = "/sites/my/7/live/~abc"
    assert proxy._location("/login", preview, prefix) == "/sites/my/7/live/~abc/login"
    assert proxy._location("http://127.0.0.1:18140/a?b=1", preview, prefix) == "/sites/my/7/live/~abc/a?b=1"
    assert proxy._location("/sites/my/7/live/~abc/x", preview, prefix) == "/sites/my/7/live/~abc/x"
    assert proxy._location("https://example.org/", preview, prefix) == "https://example.org/"


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
    assert echoed(client.get(reverse("sitestore:demo-live", args=[template.pk, "x"]), follow=True))["path"] == "/x"
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


def test_a_forum_post_works_through_the_sandboxed_pages_admission_path(client, settings):
    import shutil
    from pathlib import Path
    from urllib.parse import urlencode

    from tests.sitestore.factories import UserSiteFactory

    site = UserSiteFactory(template=SiteTemplateFactory(bundle="forum"), directory="")
    site.directory = f"sites/{site.pk}/"
    shutil.copytree(
        Path(settings.BASE_DIR) / "sitestore" / "bundles" / "forum", Path(settings.PRIVATE_MEDIA_ROOT) / site.directory
    )
    site.save(update_fields=["directory"])
    preview = previews.preview_start(user=site.owner, site=site)
    try:
        client.force_login(site.owner)
        admitted = client.get(live(site))["Location"].rstrip("/")
        assert f'action="{admitted}/new"' in body_of(client.get(admitted + "/new")).decode()
        # The sandboxed page posts with no platform cookie and no CSRF token: the site takes it.
        sandboxed = type(client)()
        posted = sandboxed.post(
            admitted + "/new",
            urlencode({"subject": "Posted through the proxy", "author": "owner", "text": "Hello from the preview"}),
            content_type="application/x-www-form-urlencoded",
        )
        assert posted.status_code == 303 and posted["Location"].startswith(admitted + "/topic/")
        assert "Hello from the preview" in body_of(sandboxed.get(posted["Location"])).decode()
        # The post went to the preview's copy, not to the purchased files.
        assert not (Path(settings.PRIVATE_MEDIA_ROOT) / site.directory / "forum.sqlite3").exists()
    finally:
        previews.preview_stop(preview=preview, reason="test")


def test_a_preview_whose_process_died_answers_502_and_a_bad_length_400(client, running_site):
    site, preview = running_site
    client.force_login(site.owner)
    assert client.post(live(site, "x"), data="a", content_type="text/plain", CONTENT_LENGTH="many").status_code == 400

    previews.process_group_kill(pid=preview.pid, started_at=preview.process_started_at)

    response = client.post(live(site, "x"), data="a", content_type="text/plain")
    assert response.status_code == 502


def test_the_site_page_tells_why_a_run_was_refused_or_failed(client, settings):
    settings.SITE_PREVIEW_START_TIMEOUT = 1
    crashing = bought_site(bundle="crash")
    client.force_login(crashing.owner)

    failed = client.post(reverse("sitestore:site-run", args=[crashing.pk]), follow=True)

    assert "The site could not start" in failed.content.decode()
    assert b'id="preview-run"' in failed.content
    running = previews.preview_start(user=crashing.owner, template=SiteTemplateFactory(bundle="echo"))
    refused = client.post(reverse("sitestore:site-run", args=[crashing.pk]), follow=True)
    assert "You already have a preview running" in refused.content.decode()
    previews.preview_stop(preview=running, reason="test")


def test_two_people_running_demos_of_one_template_each_reach_their_own(client):
    template = SiteTemplateFactory(bundle="echo")
    first, second = UserFactory(), UserFactory()
    runs = [previews.preview_start(user=person, template=template) for person in (first, second)]
    try:
        seen = set()
        for person in (first, second):
            visitor = type(client)()
            visitor.force_login(person)
            admitted = visitor.get(reverse("sitestore:demo-live", args=[template.pk]))["Location"]
            answer = echoed(type(client)().get(admitted + "who"))
            seen.add(answer["headers"]["host"])
        assert seen == {f"127.0.0.1:{run.port}" for run in runs}
    finally:
        for run in runs:
            previews.preview_stop(preview=run, reason="test")
