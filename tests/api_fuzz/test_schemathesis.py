"""A bounded schemathesis run against a live server: the API answers every generated request without
a server error, only with statuses, content types, headers and bodies its schema documents, and
refuses anonymous callers wherever the schema asks for credentials.

The server is a real ``runserver`` process on a free port, using this test's database (SQLite file or
PostgreSQL), with the API throttles raised and django-axes off (fuzzed logins would lock the account
out and measure nothing else). It serves a user holding a JWT and one of everything, so requests reach
real chats, messages, mailings, orders and articles, not only 404s.
"""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from chat.models import Message
from tests.blog.factories import ArticleFactory
from tests.chat_factories import ChatFactory, MessageFactory, attachment_in
from tests.crowdfunding.factories import (
    ActiveProjectFactory,
    ApplicationFactory,
    DonationFactory,
    FollowerApplicationFactory,
    ParticipantProfileFactory,
    ProjectFactory,
    PromotionFactory,
    RewardTierFactory,
)
from tests.factories import OrderFactory, ProductFactory, UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory
from tests.processes import child_database_env
from tests.smtp_sink import free_port

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

SEED = 20261130
MAX_EXAMPLES = 5
# The whole run stays within a few minutes on a 2-core machine; a hung server fails the test, not CI.
RUN_TIMEOUT_SECONDS = 420
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "ignored_auth",
    "response_schema_conformance",
    "response_headers_conformance",
]
UNLIMITED = "1000000/minute"


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the server did not answer {url} within 60 s:\n{log.read_text()}")


@pytest.fixture
def live_api(tmp_path: Path) -> Iterator[str]:
    """A ``runserver`` process on this test's database; yields the base URL."""
    port = free_port()
    log = tmp_path / "server.log"
    environment = {
        **os.environ,
        **child_database_env(),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "AXES_ENABLED": "false",
        "API_THROTTLE_ANON": UNLIMITED,
        "API_THROTTLE_USER": UNLIMITED,
        "API_THROTTLE_AUTH": UNLIMITED,
        # The server stores and serves uploads where this test's factories put them.
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TEST_PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        # Tracebacks reach the log as they happen, so a failure shows the server's side too.
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base_url}/api/schema/", server, log)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _one_of_everything() -> tuple[str, list[int], list[int]]:
    """A user who owns or belongs to one of everything the API serves: their JWT, every object id, the chat ids."""
    user = UserFactory(roles=["blog_manager"])
    friend = UserFactory()
    product = ProductFactory()
    ProductFactory(is_active=False)
    order = OrderFactory(user=user, products=[product])
    chat = ChatFactory(created_by=user, members=[friend])
    message = MessageFactory(chat=chat, author=user)
    MessageFactory(chat=chat, author=friend)
    attachment = attachment_in(chat, author=friend)
    client = ClientFactory(owner=user)
    mail_message = MailMessageFactory(owner=user)
    mailing = MailingFactory(owner=user, message=mail_message, recipients=[client])
    article = ArticleFactory(author=user)
    ArticleFactory(draft=True)
    crowdfunding = _crowdfunding_of(user, friend)
    ids = sorted(
        {
            user.pk,
            friend.pk,
            product.pk,
            order.pk,
            chat.pk,
            message.pk,
            attachment.pk,
            client.pk,
            mail_message.pk,
            mailing.pk,
            article.pk,
            *crowdfunding,
            *Message.objects.values_list("pk", flat=True),
        }
    )
    return str(RefreshToken.for_user(user).access_token), ids, [chat.pk]


def _crowdfunding_of(user, friend) -> list[int]:
    """The user's profile, draft and active project (with a tier), a friend's active project with a
    tier, applications and a promotion both ways, and a donation: the ids of them all."""
    ParticipantProfileFactory(user=user)
    draft = ProjectFactory(author=user)
    mine = ActiveProjectFactory(author=user)
    theirs = ActiveProjectFactory(author=friend)
    tiers = [RewardTierFactory(project=mine), RewardTierFactory(project=theirs)]
    applications = [
        ApplicationFactory(project=mine, applicant=friend),
        FollowerApplicationFactory(project=theirs, applicant=user, status="accepted"),
    ]
    promotions = [PromotionFactory(project=mine, promoter=friend), PromotionFactory(project=theirs, promoter=user)]
    donation = DonationFactory(project=theirs, donor=user, anonymous=True)
    objects: list[Any] = [draft, mine, theirs, *tiers, *applications, *promotions, donation]
    return [instance.pk for instance in objects]


def _config(path: Path, ids: list[int], chats: list[int]) -> Path:
    """Half the generated ids and chat filters name real objects, so requests get past the 404.

    Ids come as numbers and as digit strings: some routes declare ``{id}`` an integer, others a
    string of digits.
    """
    path.write_text(
        "[dictionaries.ids]\n"
        f"values = {[*ids, *map(str, ids)]}\n"
        "[dictionaries.chats]\n"
        f"values = {chats}\n"
        "[parameters]\n"
        '"path.id" = { dictionary = "ids", probability = 0.5 }\n'
        '"path.project_pk" = { dictionary = "ids", probability = 0.5 }\n'
        '"query.chat" = { dictionary = "chats", probability = 0.5 }\n'
    )
    return path


def test_fuzzing_the_api_finds_no_server_error_no_undocumented_answer_and_no_ignored_auth(live_api, tmp_path):
    token, ids, chats = _one_of_everything()
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert schemathesis, "schemathesis is installed with requirements-dev.txt"
    command = [
        schemathesis,
        "--config-file",
        str(_config(tmp_path / "schemathesis.toml", ids, chats)),
        "--no-color",
        "run",
        f"{live_api}/api/schema/",
        "--checks",
        ",".join(CHECKS),
        # The coverage phase (every boundary of every field) alone takes minutes here; the fuzzing and
        # stateful phases with a few examples each keep the run to about two minutes.
        "--phases",
        "examples,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]

    result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, cwd=tmp_path)

    (tmp_path / "schemathesis.log").write_text(result.stdout + result.stderr)
    server_log = (tmp_path / "server.log").read_text()
    report = f"{result.stdout[-20000:]}\n{result.stderr[-5000:]}\n--- server ---\n{server_log[-10000:]}"
    assert result.returncode == 0, report
    # Django logs every 5xx it answers; security warnings (a refused oversized form) are fine.
    assert "Internal Server Error" not in server_log, server_log[-10000:]
