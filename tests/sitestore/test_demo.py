"""The demo sites shipped in sitestore/bundles/: manifests, and the two WSGI apps called directly."""

import importlib.util
import io
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from types import ModuleType
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

from sitestore import demo, selectors
from sitestore.models import SiteTemplate, UserSite
from tests.factories import UserFactory

BUNDLES = Path(settings.BASE_DIR) / "sitestore" / "bundles"


def load_app(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bundle_{name}", BUNDLES / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def news(tmp_path, monkeypatch) -> Iterator[ModuleType]:
    """The news app with its SQLite file created in a fresh working directory, as on a first start."""
    monkeypatch.chdir(tmp_path)
    module = load_app("news")
    module.create_database()
    yield module


@pytest.fixture
def forum(tmp_path, monkeypatch) -> Iterator[ModuleType]:
    monkeypatch.chdir(tmp_path)
    module = load_app("forum")
    module.create_database()
    yield module


def call(
    app: ModuleType, path: str, *, method: str = "GET", form: dict[str, str] | None = None, prefix: str = ""
) -> tuple[str, dict[str, str], str]:
    """One request straight into the WSGI callable: (status, headers, body)."""
    body = urlencode(form or {}).encode()
    environ: dict = {
        "PATH_INFO": path,
        "REQUEST_METHOD": method,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": io.BytesIO(body),
    }
    if prefix:
        environ["HTTP_X_FORWARDED_PREFIX"] = prefix
    setup_testing_defaults(environ)
    answer: dict = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    content = b"".join(app.application(environ, start_response)).decode()
    return answer["status"], answer["headers"], content


@pytest.mark.parametrize("name", ["news", "forum", "landing", "portfolio"])
def test_every_demo_bundle_has_a_manifest_with_a_port_placeholder(name):
    manifest = json.loads((BUNDLES / name / "site.json").read_text())

    assert manifest["title"]
    assert "{port}" in manifest["command"]
    assert "127.0.0.1" in manifest["command"] or manifest["command"][:2] == ["python3", "app.py"]
    assert manifest["prefix_support"] is True


@pytest.mark.parametrize("name", ["landing", "portfolio"])
def test_static_sites_link_their_files_relatively_so_they_work_under_a_prefix(name):
    index = (BUNDLES / name / "public" / "index.html").read_text()

    assert 'href="style.css"' in index and 'src="script.js"' in index
    assert 'href="/' not in index and 'src="/' not in index and "http" not in index.replace("http-equiv", "")


def test_news_front_page_lists_the_first_articles(news):
    status, _, body = call(news, "/")

    assert status == "200 OK"
    assert "Harbour ferries go electric next spring" in body
    assert body.count('class="card') == len(news.FIRST_ARTICLES)


def test_a_visitor_writes_an_article_and_comments_on_it(news):
    status, headers, _ = call(
        news, "/write", method="POST", form={"title": "Bridge reopens", "author": "Ann", "text": "Cars again."}
    )
    assert status == "303 See Other"
    article_path = headers["Location"]

    status, headers, _ = call(news, f"{article_path}/comment", method="POST", form={"author": "Bo", "text": "Finally"})
    assert status == "303 See Other"

    _, _, front = call(news, "/")
    _, _, article = call(news, article_path)
    assert "Bridge reopens" in front
    assert "Cars again." in article and "Finally" in article and "Bo" in article


def test_news_escapes_everything_a_visitor_wrote(news):
    call(news, "/write", method="POST", form={"title": "<script>x()</script>", "author": '"><b>', "text": "<img>"})

    _, _, front = call(news, "/")
    _, _, article = call(news, "/article/4")
    for body in (front, article):
        assert "<script>x()" not in body and "&lt;script&gt;x()&lt;/script&gt;" in body
        assert '"><b>' not in body
    assert "<img>" not in article and "&lt;img&gt;" in article


def test_news_refuses_an_empty_comment_and_keeps_nothing(news):
    status, _, body = call(news, "/article/1/comment", method="POST", form={"author": "Bo", "text": "  "})

    assert status == "400 Bad Request"
    assert "Please fill in the text." in body
    with news.connect() as connection:
        assert connection.execute("SELECT COUNT(*) FROM comment").fetchone()[0] == 0


def test_news_links_and_redirects_carry_the_proxy_prefix(news):
    _, _, body = call(news, "/", prefix="/sites/my/7/live")
    status, headers, _ = call(
        news, "/write", method="POST", form={"title": "T", "author": "A", "text": "B"}, prefix="/sites/my/7/live"
    )

    assert 'href="/sites/my/7/live/style.css"' in body and 'href="/sites/my/7/live/article/3"' in body
    assert headers["Location"] == "/sites/my/7/live/article/4"


def test_a_malformed_prefix_header_is_ignored_not_echoed(news):
    _, _, body = call(news, "/", prefix='/x"><script>')

    assert "<script>" not in body
    assert 'href="/style.css"' in body


def test_news_answers_404_for_unknown_pages_and_articles(news):
    assert call(news, "/nothing")[0] == "404 Not Found"
    assert call(news, "/article/999")[0] == "404 Not Found"


def test_a_visitor_opens_a_forum_topic_and_replies(forum):
    status, headers, _ = call(forum, "/new", method="POST", form={"subject": "Maps", "author": "Ivy", "text": "Which?"})
    assert status == "303 See Other"
    topic_path = headers["Location"]

    status, _, _ = call(forum, f"{topic_path}/reply", method="POST", form={"author": "Max", "text": "Paper ones."})
    assert status == "303 See Other"

    _, _, topics = call(forum, "/")
    _, _, topic = call(forum, topic_path)
    assert topics.index("Maps") < topics.index("Welcome to Campfire!")
    assert "Which?" in topic and "Paper ones." in topic and "Max" in topic


def test_the_forum_escapes_everything_a_visitor_wrote(forum):
    call(forum, "/topic/1/reply", method="POST", form={"author": "<i>eve</i>", "text": "<script>steal()</script>"})
    call(forum, "/new", method="POST", form={"subject": "<svg onload=x>", "author": "eve", "text": "hi"})

    _, _, topic = call(forum, "/topic/1")
    _, _, topics = call(forum, "/")
    assert "<script>steal()" not in topic and "&lt;script&gt;steal()&lt;/script&gt;" in topic
    assert "<i>eve</i>" not in topic and "&lt;i&gt;eve&lt;/i&gt;" in topic
    assert "<svg onload" not in topics and "&lt;svg onload=x&gt;" in topics


def test_the_forum_refuses_a_topic_without_a_subject_and_keeps_nothing(forum):
    status, body = call(forum, "/new", method="POST", form={"subject": "", "author": "a", "text": "b"})[::2]

    assert status == "400 Bad Request"
    assert "Please fill in the subject." in body
    with forum.connect() as connection:
        assert connection.execute("SELECT COUNT(*) FROM topic").fetchone()[0] == len(forum.FIRST_TOPICS)


def test_the_forum_refuses_a_too_long_reply(forum):
    text = "x" * (forum.LIMITS["text"] + 1)

    status, _, body = call(forum, "/topic/1/reply", method="POST", form={"author": "a", "text": text})

    assert status == "400 Bad Request"
    assert "too long" in body


def test_the_forum_keeps_its_links_under_the_proxy_prefix(forum):
    _, _, body = call(forum, "/topic/1", prefix="/sites/demo/3/live/")

    assert 'action="/sites/demo/3/live/topic/1/reply"' in body
    assert 'href="/sites/demo/3/live/"' in body


# --- `fill` ---------------------------------------------------------------------------------


@pytest.fixture
def real_bundles(settings) -> Path:
    """`fill` sells the shipped demo sites, not the tests' tiny one."""
    settings.SITESTORE_BUNDLES_ROOT = str(BUNDLES)
    return BUNDLES


def run_fill() -> str:
    out = StringIO()
    demo.fill(scale=1, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_fill_adds_the_four_demo_templates_with_their_screenshots_once(real_bundles):
    first = run_fill()
    second = run_fill()

    templates = {template.slug: template for template in SiteTemplate.objects.all()}
    assert set(templates) == {entry["slug"] for entry in demo.TEMPLATES}
    assert {template.kind for template in templates.values()} == {"news", "forum", "landing", "portfolio"}
    assert all(template.is_published and template.features and template.price for template in templates.values())
    assert templates["harbor-daily"].screenshots == [
        "sitestore/screenshots/harbor-daily-1.png",
        "sitestore/screenshots/harbor-daily-2.png",
    ]
    for template in templates.values():
        assert template.screenshots and all(finders.find(path) for path in template.screenshots)
        assert (real_bundles / template.bundle / "site.json").is_file()
    assert "4 templates added" in first and second == ""


@pytest.mark.django_db
def test_fill_keeps_an_operators_changes(real_bundles):
    run_fill()
    SiteTemplate.objects.filter(slug="harbor-daily").update(price=1, is_published=False)

    run_fill()

    assert SiteTemplate.objects.get(slug="harbor-daily").price == 1


@pytest.mark.django_db
def test_fill_gives_alice_one_news_site_once(real_bundles):
    alice = UserFactory(username="alice")

    run_fill()
    run_fill()

    site = UserSite.objects.get(owner=alice)
    assert site.name == "News (1)" and site.template.slug == "harbor-daily"
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / site.directory / "app.py").is_file()


@pytest.mark.django_db
def test_the_fill_command_runs_the_site_store_filler(real_bundles):
    out = StringIO()
    call_command("fill", stdout=out)

    assert SiteTemplate.objects.filter(is_published=True).count() >= 4


# --- The demo sites as processes, the way a preview starts them ----------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def started(tmp_path):
    """``started("forum")``: the bundle copied into a fresh directory and its manifest's command running
    there on a free port; the process is stopped and reaped at the end of the test."""
    processes: list[subprocess.Popen] = []

    def start(name: str) -> tuple[str, Path]:
        workdir = tmp_path / name
        shutil.copytree(BUNDLES / name, workdir)
        port = free_port()
        manifest = json.loads((workdir / "site.json").read_text())
        command = [part.replace("{port}", str(port)) for part in manifest["command"]]
        process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return f"http://127.0.0.1:{port}", workdir
            except OSError:
                assert process.poll() is None, "the site exited at start"
                time.sleep(0.1)
        raise AssertionError("the site did not start listening")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=5)


@pytest.mark.parametrize("name", ["news", "forum"])
def test_a_dynamic_demo_site_starts_creates_its_database_and_takes_a_post(started, name):
    url, workdir = started(name)
    path = {"news": "/article/1/comment", "forum": "/topic/1/reply"}[name]

    with urlopen(url + "/") as response:
        assert response.status == 200
    request = Request(url + path, data=urlencode({"author": "Ann", "text": "Live!"}).encode(), method="POST")
    with urlopen(request) as response:  # follows the 303 to the page with the new post
        assert "Live!" in response.read().decode()
    assert (workdir / f"{name}.sqlite3").is_file()


@pytest.mark.parametrize("name", ["landing", "portfolio"])
def test_a_static_demo_site_serves_its_public_files_only(started, name):
    url, _workdir = started(name)

    with urlopen(url + "/") as page, urlopen(url + "/style.css") as style:
        assert page.status == 200 and style.status == 200
    with pytest.raises(HTTPError) as refused:
        urlopen(url + "/site.json")
    assert refused.value.code == 404


@pytest.mark.parametrize("bundle", ["news", "forum", "landing", "portfolio"])
def test_every_demo_bundle_passes_the_bundle_check(bundle, settings):
    settings.SITESTORE_BUNDLES_ROOT = BUNDLES
    assert selectors.template_bundle_problems(SiteTemplate(bundle=bundle)) == []


@pytest.mark.parametrize(
    ("command", "accepted"),
    [
        ("python3 -m http.server {port}", True),
        (["python3", "app.py", "--port", "{port}"], True),
        (["python3", "app.py"], False),
        ("python3 app.py", False),
        (["python3", 8000], False),
        (None, False),
    ],
)
def test_the_bundle_check_takes_a_command_string_or_list_with_the_port_placeholder(
    command, accepted, tmp_path, settings
):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "site.json").write_text(json.dumps({"title": "A site", "command": command}))
    settings.SITESTORE_BUNDLES_ROOT = tmp_path
    assert (selectors.template_bundle_problems(SiteTemplate(bundle="site")) == []) is accepted
