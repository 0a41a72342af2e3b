"""The authorization matrix: every URL pattern and API route, walked automatically.

Every route is protected unless it is in PUBLIC_ROUTES (an explicit allow-list). Anonymous
visitors must get the login redirect (HTML) or the exact 401 body (API) on GET and POST; signed-in
users who are not staff must be sent away from the admin; objects a user may not see answer 404.
Later apps inherit this: their routes are picked up without any change here, and public ones
must be added to the allow-list on purpose.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tests.blog.factories import ArticleFactory
from tests.chat_factories import ChatFactory, attachment_in
from tests.factories import OrderFactory, ProductFactory, UserFactory

PUBLIC_ROUTES = {
    "core:home",
    "set_language",
    "accounts:register",
    "accounts:confirm",
    "accounts:confirm-link",
    "accounts:confirm-resend",
    "accounts:login",
    "accounts:logout",
    "accounts:password-reset",
    "accounts:password-reset-done",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
    "api-schema",
    "api-docs",
    "api-register",
    "api-confirm",
    "api-confirm-resend",
    "api-login",
    "api-refresh",
    "api-users-login",
    "public-media",
    # The anonymous cart lives in the session and merges into the account at login.
    "shop:cart",
    "shop:cart-add",
    "shop:cart-update",
    "shop:cart-remove",
    "shop:cart-clear",
    # The weekly shop newsletter's one-click unsubscribe link: its signed token is the authorisation.
    "shop:newsletter-unsubscribe",
    # Every mailing carries a one-click unsubscribe link; its signed token is the authorisation.
    "mailings:unsubscribe",
    # The section's front page shows public numbers and published articles.
    "mailings:home",
    # Everyone reads the published blog (drafts answer 404, see HIDDEN_OBJECTS); writing needs a blog manager.
    "blog:list",
    "blog:detail",
    "api-article-list",
    "api-article-detail",
    # The site store's shop window: the store front, the catalogue, published templates and About are
    # for everyone, like a shop's shelves; the cart, purchases and bought sites need an account.
    "sitestore:home",
    "sitestore:catalogue",
    "sitestore:template",
    "sitestore:about",
    # Crowdfunding's shop window: the section home, the project list and published project pages are
    # for everyone; giving, applying, promoting and writing need an account, drafts and hidden ones 404.
    "crowdfunding:home",
    "crowdfunding:list",
    "crowdfunding:detail",
    # Crowdfunding's shop window over the API: published projects, the top lists, a project's tiers and
    # its donations (anonymous donors unnamed) are for everyone; drafts and hidden ones answer 404.
    "api-project-list",
    "api-project-detail",
    "api-project-top",
    "api-project-donations",
    "api-project-tier-list",
    "api-project-tier-detail",
}
# Session-authenticated JSON outside /api/ (asked by the pages' scripts): refused as the API refuses.
JSON_ROUTES = {"core:nav-badges"}
# The admin's login and logout are our own views (so lock-out, the session cap and audit apply).
PUBLIC_PATHS = {"/admin/login/", "/admin/logout/"}

SAMPLES = {
    "int": "999999",
    "str": "sample",
    "slug": "sample",
    "path": "sample",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


@dataclass(frozen=True)
class Route:
    name: str
    path: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/") or self.name in JSON_ROUTES

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("/admin/")


def _example(pattern) -> str:
    text = str(pattern.pattern)
    if isinstance(pattern.pattern, RoutePattern):
        return re.sub(r"<(?:(\w+):)?\w+>", lambda match: SAMPLES[match.group(1) or "str"], text)

    def group(match: re.Match) -> str:
        body = match.group(1)
        if "\\d" in body:
            return SAMPLES["int"]
        return body.split("|")[0] if re.fullmatch(r"[\w|]+", body) else "sample"

    text = re.sub(r"\(\?P<\w+>([^)]*)\)", group, text)
    return text.lstrip("^").rstrip("$").replace("\\", "")


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + _example(pattern), space)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            yield Route(name=name, path="/" + prefix + _example(pattern))


ROUTES = sorted(set(_walk(get_resolver().url_patterns)), key=lambda route: route.path)
PROTECTED = [route for route in ROUTES if route.name not in PUBLIC_ROUTES and route.path not in PUBLIC_PATHS]


def test_the_walk_finds_the_routes_of_every_area():
    paths = {route.path for route in ROUTES}
    assert "/api/users/me/" in paths
    assert "/accounts/profile/" in paths
    assert "/admin/" in paths
    assert len(PROTECTED) > 20


def test_every_allow_listed_public_route_exists():
    names = {route.name for route in ROUTES}
    assert PUBLIC_ROUTES <= names


@pytest.mark.django_db
@pytest.mark.parametrize("route", PROTECTED, ids=lambda route: route.path)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_refused_everywhere_but_public_routes(client, route, method):
    response = getattr(client, method)(route.path)
    if route.is_api:
        assert response.status_code == 401, route
        assert response.json() == {"code": 401, "message": "Unauthorized"}
    else:
        assert response.status_code == 302, route
        location = response["Location"]
        assert location.startswith(("/accounts/login/?next=", "/admin/login/?next=")), location


@pytest.mark.django_db
@pytest.mark.parametrize("route", [route for route in ROUTES if route.name in PUBLIC_ROUTES], ids=lambda r: r.path)
def test_public_routes_answer_anonymous_visitors_without_error(client, route):
    response = client.get(route.path)
    assert response.status_code in {200, 302, 400, 404, 405}, route
    if route.is_api and response.status_code == 405:
        assert client.post(route.path, {}, content_type="application/json").status_code in {200, 202, 400}


@pytest.mark.django_db
@pytest.mark.parametrize("route", [route for route in PROTECTED if route.is_admin], ids=lambda route: route.path)
def test_signed_in_non_staff_user_is_kept_out_of_the_admin(client, route):
    client.force_login(UserFactory())
    response = client.get(route.path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def _inactive_user_kwargs() -> dict:
    return {"pk": UserFactory(is_active=False).pk, "username": UserFactory(is_active=False).username}


def _inactive_product_kwargs() -> dict:
    return {"pk": ProductFactory(is_active=False).pk}


def _someone_elses_order_kwargs() -> dict:
    return {"pk": OrderFactory(products=[ProductFactory()]).pk}


def _foreign_chat_kwargs() -> dict:
    attachment = attachment_in(ChatFactory())
    return {"pk": attachment.message.chat_id, "message": attachment.message_id, "attachment": attachment.pk}


def _foreign_message_kwargs() -> dict:
    kwargs = _foreign_chat_kwargs()
    return {**kwargs, "pk": kwargs["message"]}


def _foreign_attachment_kwargs() -> dict:
    kwargs = _foreign_chat_kwargs()
    return {**kwargs, "pk": kwargs["attachment"]}


def _foreign_mailing_kwargs() -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage

    owner = UserFactory()
    client = Client.objects.create(owner=owner, email="someone@example.com", full_name="Someone")
    message = MailMessage.objects.create(owner=owner, subject="Private", body="Private body")
    now = timezone.now()
    mailing = Mailing.objects.create(
        owner=owner, message=message, start_at=now, end_at=now + timedelta(days=1), periodicity="once"
    )
    mailing.clients.add(client)
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=now)
    Attempt.objects.create(run=run, mailing=mailing, client=client, email=client.email, status="failure")
    # A delivery whose sender died mid-conversation: only the owner may decide to send it again.
    lost = Client.objects.create(owner=owner, email="lost@example.com", full_name="Lost")
    mailing.clients.add(lost)
    Attempt.objects.create(run=run, mailing=mailing, client=lost, email=lost.email, status="unknown")
    return {"client": client.pk, "message": message.pk, "mailing": mailing.pk, "run": run.pk}


def _mailing_route(template: str, key: str, method: str = "get") -> tuple:
    return (template, lambda: {"pk": _foreign_mailing_kwargs()[key]}, method)


def _someone_elses_device_kwargs() -> dict:
    from accounts.models import UserSession

    return {"pk": UserSession.objects.create(user=UserFactory(), session_key="x" * 32).pk}


def _draft_article_kwargs() -> dict:
    article = ArticleFactory(draft=True)
    return {"pk": article.pk, "slug": article.slug}


def _unpublished_site_template_kwargs() -> dict:
    from tests.sitestore.factories import SiteTemplateFactory

    template = SiteTemplateFactory(is_published=False)
    return {"pk": template.pk, "slug": template.slug}


def _someone_elses_site_kwargs() -> dict:
    from tests.sitestore.factories import UserSiteFactory

    return {"pk": UserSiteFactory().pk}


def _someone_elses_draft_project_kwargs() -> dict:
    from tests.crowdfunding.factories import ProjectFactory, RewardTierFactory

    tier = RewardTierFactory(project=ProjectFactory())
    return {"pk": tier.project_id, "project": tier.project_id, "tier": tier.pk}


def _application_to_someone_elses_project_kwargs() -> dict:
    from tests.crowdfunding.factories import ApplicationFactory

    return {"pk": ApplicationFactory().pk}


def _promotion_of_someone_elses_project_kwargs() -> dict:
    from tests.crowdfunding.factories import PromotionFactory

    return {"pk": PromotionFactory().pk}


def _someone_elses_draft_kwargs() -> dict:
    from tests.crowdfunding.factories import ProjectFactory

    return {"pk": ProjectFactory().pk}


def _someone_elses_thread_kwargs() -> dict:
    from tests.sitestore.factories import ThreadMessageFactory

    return {"pk": ThreadMessageFactory().thread_id}


def _someone_elses_active_project_kwargs() -> dict:
    """A published project (public, so only ownership stands in the way) with a reward tier."""
    from tests.crowdfunding.factories import RewardTierFactory

    tier = RewardTierFactory()
    return {"pk": tier.project_id, "tier": tier.pk}


def _someone_elses_application_kwargs() -> dict:
    """Someone's application to someone else's project: neither the applicant's nor the author's."""
    from tests.crowdfunding.factories import ApplicationFactory

    return {"pk": ApplicationFactory().pk}


def _someone_elses_promotion_kwargs() -> dict:
    from tests.crowdfunding.factories import PromotionFactory

    return {"pk": PromotionFactory().pk}


# route name -> (path template, factory of an object the signed-in user may not see[, method])
HIDDEN_OBJECTS: dict[str, tuple] = {
    "api-user-detail": ("/api/users/{pk}/", _inactive_user_kwargs),
    "accounts:public-profile": ("/accounts/users/{username}/", _inactive_user_kwargs),
    "accounts:device-sign-out": ("/accounts/profile/devices/{pk}/sign-out/", _someone_elses_device_kwargs, "post"),
    "shop:product-detail": ("/shop/products/{pk}/", _inactive_product_kwargs),
    "api-product-detail": ("/api/products/{pk}/", _inactive_product_kwargs),
    "shop:order-detail": ("/shop/orders/{pk}/", _someone_elses_order_kwargs),
    "api-order-detail": ("/api/orders/{pk}/", _someone_elses_order_kwargs),
    "chat:detail": ("/chat/{pk}/", _foreign_chat_kwargs),
    "chat:send": ("/chat/{pk}/send/", _foreign_chat_kwargs, "post"),
    "chat:poll": ("/chat/{pk}/poll/?after=0", _foreign_chat_kwargs),
    "chat:edit": ("/chat/{pk}/edit/", _foreign_chat_kwargs),
    "chat:message-edit": ("/chat/messages/{pk}/edit/", _foreign_message_kwargs, "post"),
    "chat:message-delete": ("/chat/messages/{pk}/delete/", _foreign_message_kwargs, "post"),
    "chat:attachment": ("/chat/attachments/{pk}/", _foreign_attachment_kwargs),
    "api-chat-detail": ("/api/chats/{pk}/", _foreign_chat_kwargs),
    "api-chat-members": ("/api/chats/{pk}/members/", _foreign_chat_kwargs, "post"),
    "api-message-detail": ("/api/messages/{pk}/", _foreign_message_kwargs),
    "api-attachment-download": ("/api/attachments/{pk}/", _foreign_attachment_kwargs),
    "mailings:client-edit": _mailing_route("/mailings/clients/{pk}/edit/", "client"),
    "mailings:client-delete": _mailing_route("/mailings/clients/{pk}/delete/", "client", "post"),
    "mailings:message-edit": _mailing_route("/mailings/messages/{pk}/edit/", "message"),
    "mailings:message-delete": _mailing_route("/mailings/messages/{pk}/delete/", "message", "post"),
    "mailings:mailing": _mailing_route("/mailings/{pk}/", "mailing"),
    "mailings:mailing-edit": _mailing_route("/mailings/{pk}/edit/", "mailing"),
    "mailings:mailing-delete": _mailing_route("/mailings/{pk}/delete/", "mailing", "post"),
    "mailings:mailing-stop": _mailing_route("/mailings/{pk}/stop/", "mailing", "post"),
    "mailings:mailing-resume": _mailing_route("/mailings/{pk}/resume/", "mailing", "post"),
    "mailings:mailing-send-now": _mailing_route("/mailings/{pk}/send-now/", "mailing", "post"),
    "mailings:run": _mailing_route("/mailings/runs/{pk}/", "run"),
    "mailings:run-progress": _mailing_route("/mailings/runs/{pk}/progress/", "run"),
    "mailings:run-retry": _mailing_route("/mailings/runs/{pk}/retry/", "run", "post"),
    "mailings:run-retry-unknown": _mailing_route("/mailings/runs/{pk}/retry-unknown/", "run", "post"),
    # The managers' user page: for anyone else these routes do not exist.
    "mailings:user-block": ("/mailings/users/{pk}/block/", lambda: {"pk": UserFactory().pk}, "post"),
    "mailings:user-unblock": ("/mailings/users/{pk}/unblock/", lambda: {"pk": UserFactory().pk}, "post"),
    "api-mail-client-detail": _mailing_route("/api/clients/{pk}/", "client"),
    "api-mail-message-detail": _mailing_route("/api/mail-messages/{pk}/", "message"),
    "api-mailing-detail": _mailing_route("/api/mailings/{pk}/", "mailing"),
    "api-mailing-send-now": _mailing_route("/api/mailings/{pk}/send-now/", "mailing", "post"),
    "api-mailing-disable": _mailing_route("/api/mailings/{pk}/disable/", "mailing", "post"),
    "api-mailing-stop": _mailing_route("/api/mailings/{pk}/stop/", "mailing", "post"),
    "api-mailing-resume": _mailing_route("/api/mailings/{pk}/resume/", "mailing", "post"),
    "api-mailing-attempts": _mailing_route("/api/mailings/{pk}/attempts/", "mailing"),
    "api-mailing-runs": _mailing_route("/api/mailings/{pk}/runs/", "mailing"),
    "api-mailing-retry-unknown": (
        "/api/mailings/{mailing}/runs/{run}/retry-unknown/",
        _foreign_mailing_kwargs,
        "post",
    ),
    "blog:detail": ("/blog/{slug}/", _draft_article_kwargs),
    "blog:edit": ("/blog/{slug}/edit/", _draft_article_kwargs),
    "blog:delete": ("/blog/{slug}/delete/", _draft_article_kwargs, "post"),
    "blog:publish": ("/blog/{slug}/publish/", _draft_article_kwargs, "post"),
    "blog:unpublish": ("/blog/{slug}/unpublish/", _draft_article_kwargs, "post"),
    "api-article-detail": ("/api/articles/{pk}/", _draft_article_kwargs),
    "api-site-template-detail": ("/api/site-templates/{pk}/", _unpublished_site_template_kwargs),
    "api-site-template-buy": ("/api/site-templates/{pk}/buy/", _unpublished_site_template_kwargs, "post"),
    "api-my-site-detail": ("/api/my-sites/{pk}/", _someone_elses_site_kwargs),
    "api-my-site-download": ("/api/my-sites/{pk}/download/", _someone_elses_site_kwargs),
    "sitestore:template": ("/sites/templates/{slug}/", _unpublished_site_template_kwargs),
    "sitestore:site": ("/sites/my/{pk}/", _someone_elses_site_kwargs),
    "sitestore:download": ("/sites/my/{pk}/download/", _someone_elses_site_kwargs),
    "sitestore:thread": ("/sites/feedback/threads/{pk}/", _someone_elses_thread_kwargs),
    "sitestore:thread-close": ("/sites/feedback/threads/{pk}/close/", _someone_elses_thread_kwargs, "post"),
    "sitestore:site-run": ("/sites/my/{pk}/run/", _someone_elses_site_kwargs, "post"),
    "sitestore:site-stop": ("/sites/my/{pk}/stop/", _someone_elses_site_kwargs, "post"),
    "sitestore:site-live": ("/sites/my/{pk}/live/", _someone_elses_site_kwargs),
    "sitestore:demo": ("/sites/demo/{pk}/", _unpublished_site_template_kwargs),
    "sitestore:demo-run": ("/sites/demo/{pk}/run/", _unpublished_site_template_kwargs, "post"),
    "sitestore:demo-stop": ("/sites/demo/{pk}/stop/", _unpublished_site_template_kwargs, "post"),
    # Nobody runs a demo of an unpublished template; and nobody reaches anyone else's.
    "sitestore:demo-live": ("/sites/demo/{pk}/live/", _unpublished_site_template_kwargs),
    "api-my-site-preview-run": ("/api/my-sites/{pk}/run/", _someone_elses_site_kwargs, "post"),
    "api-my-site-preview-stop": ("/api/my-sites/{pk}/stop/", _someone_elses_site_kwargs, "post"),
    "api-feedback-thread-detail": ("/api/feedback/threads/{pk}/", _someone_elses_thread_kwargs),
    "api-feedback-thread-reply": ("/api/feedback/threads/{pk}/reply/", _someone_elses_thread_kwargs, "post"),
    "api-feedback-thread-close": ("/api/feedback/threads/{pk}/close/", _someone_elses_thread_kwargs, "post"),
    # Another user's draft does not exist for anyone but its author, on every page and form of it.
    "crowdfunding:detail": ("/crowdfunding/projects/{pk}/", _someone_elses_draft_kwargs),
    "crowdfunding:edit": ("/crowdfunding/projects/{pk}/edit/", _someone_elses_draft_kwargs),
    "crowdfunding:publish": ("/crowdfunding/projects/{pk}/publish/", _someone_elses_draft_kwargs, "post"),
    "crowdfunding:donate": ("/crowdfunding/projects/{pk}/donate/", _someone_elses_draft_kwargs, "post"),
    "crowdfunding:apply": ("/crowdfunding/projects/{pk}/apply/", _someone_elses_draft_kwargs, "post"),
    "crowdfunding:promotion-submit": ("/crowdfunding/projects/{pk}/promotions/", _someone_elses_draft_kwargs, "post"),
    # The author's manage page and its actions, and withdrawing one's own application: for anyone else
    # the project, tier, application or promotion does not exist (a public project's too).
    "crowdfunding:manage": ("/crowdfunding/projects/{pk}/manage/", _someone_elses_active_project_kwargs),
    "crowdfunding:cancel": ("/crowdfunding/projects/{pk}/cancel/", _someone_elses_active_project_kwargs, "post"),
    "crowdfunding:tier-add": ("/crowdfunding/projects/{pk}/tiers/add/", _someone_elses_active_project_kwargs, "post"),
    "crowdfunding:tier-edit": ("/crowdfunding/projects/{pk}/tiers/{tier}/edit/", _someone_elses_active_project_kwargs),
    "crowdfunding:tier-delete": (
        "/crowdfunding/projects/{pk}/tiers/{tier}/delete/",
        _someone_elses_active_project_kwargs,
        "post",
    ),
    "crowdfunding:application-accept": (
        "/crowdfunding/applications/{pk}/accept/",
        _someone_elses_application_kwargs,
        "post",
    ),
    "crowdfunding:application-reject": (
        "/crowdfunding/applications/{pk}/reject/",
        _someone_elses_application_kwargs,
        "post",
    ),
    "crowdfunding:application-withdraw": (
        "/crowdfunding/applications/{pk}/withdraw/",
        _someone_elses_application_kwargs,
        "post",
    ),
    "crowdfunding:promotion-approve": (
        "/crowdfunding/promotions/{pk}/approve/",
        _someone_elses_promotion_kwargs,
        "post",
    ),
    "crowdfunding:promotion-reject": ("/crowdfunding/promotions/{pk}/reject/", _someone_elses_promotion_kwargs, "post"),
    "api-project-detail": ("/api/projects/{pk}/", _someone_elses_draft_project_kwargs),
    "api-project-publish": ("/api/projects/{pk}/publish/", _someone_elses_draft_project_kwargs, "post"),
    "api-project-cancel": ("/api/projects/{pk}/cancel/", _someone_elses_draft_project_kwargs, "post"),
    "api-project-donate": ("/api/projects/{pk}/donate/", _someone_elses_draft_project_kwargs, "post"),
    "api-project-apply": ("/api/projects/{pk}/apply/", _someone_elses_draft_project_kwargs, "post"),
    "api-project-donations": ("/api/projects/{pk}/donations/", _someone_elses_draft_project_kwargs),
    "api-project-tier-list": ("/api/projects/{project}/tiers/", _someone_elses_draft_project_kwargs),
    "api-project-tier-detail": ("/api/projects/{project}/tiers/{tier}/", _someone_elses_draft_project_kwargs),
    # Only the project's author decides on an application or a promotion; to anyone else it does not exist.
    "api-application-accept": ("/api/applications/{pk}/accept/", _application_to_someone_elses_project_kwargs, "post"),
    "api-application-reject": ("/api/applications/{pk}/reject/", _application_to_someone_elses_project_kwargs, "post"),
    "api-application-withdraw": (
        "/api/applications/{pk}/withdraw/",
        _application_to_someone_elses_project_kwargs,
        "post",
    ),
    "api-promotion-approve": ("/api/promotions/{pk}/approve/", _promotion_of_someone_elses_project_kwargs, "post"),
    "api-promotion-reject": ("/api/promotions/{pk}/reject/", _promotion_of_someone_elses_project_kwargs, "post"),
}


def test_every_route_with_an_object_id_is_checked_for_hidden_objects():
    with_ids = {route.name for route in ROUTES if SAMPLES["int"] in route.path and not route.is_admin}
    assert with_ids <= set(HIDDEN_OBJECTS), with_ids - set(HIDDEN_OBJECTS)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(HIDDEN_OBJECTS))
def test_objects_a_user_may_not_see_answer_404(client, name):
    template, make, *method = HIDDEN_OBJECTS[name]
    client.force_login(UserFactory())
    response = getattr(client, method[0] if method else "get")(template.format(**make()))
    assert response.status_code == 404
    if template.startswith("/api/"):
        assert response.json()["code"] == 404


# --- Managers on other people's mailings ------------------------------------------------------
# Managers see every mailing and its runs and attempts, and may disable any (SPEC §4.6). Every
# other action on someone else's mailing, client, message or run is the owner's: to a manager those
# objects do not exist (404) and nothing changes, nothing is sent.

SEE, DISABLE, REFUSED = 200, "disable", 404

# (route name, method, path with the objects' keys, body, expected)
MANAGER_ON_OTHERS: list[tuple[str, str, str, dict | None, int | str]] = [
    ("mailings:mailing", "get", "/mailings/{mailing}/", None, SEE),
    ("mailings:mailing-edit", "get", "/mailings/{mailing}/edit/", None, REFUSED),
    ("mailings:mailing-edit", "post", "/mailings/{mailing}/edit/", {"periodicity": "daily"}, REFUSED),
    ("mailings:mailing-delete", "post", "/mailings/{mailing}/delete/", None, REFUSED),
    ("mailings:mailing-send-now", "post", "/mailings/{mailing}/send-now/", None, REFUSED),
    ("mailings:mailing-stop", "post", "/mailings/{mailing}/stop/", None, DISABLE),
    # A manager may resume what a manager stopped; a mailing that is not stopped stays as it is.
    ("mailings:mailing-resume", "post", "/mailings/{mailing}/resume/", None, 302),
    ("mailings:run", "get", "/mailings/runs/{run}/", None, SEE),
    ("mailings:run-progress", "get", "/mailings/runs/{run}/progress/", None, SEE),
    ("mailings:run-retry", "post", "/mailings/runs/{run}/retry/", None, REFUSED),
    ("mailings:run-retry-unknown", "post", "/mailings/runs/{run}/retry-unknown/", None, REFUSED),
    ("mailings:client-edit", "get", "/mailings/clients/{client}/edit/", None, REFUSED),
    ("mailings:client-edit", "post", "/mailings/clients/{client}/edit/", {"full_name": "Hacked"}, REFUSED),
    ("mailings:client-delete", "post", "/mailings/clients/{client}/delete/", None, REFUSED),
    ("mailings:message-edit", "get", "/mailings/messages/{message}/edit/", None, REFUSED),
    ("mailings:message-edit", "post", "/mailings/messages/{message}/edit/", {"subject": "Hacked"}, REFUSED),
    ("mailings:message-delete", "post", "/mailings/messages/{message}/delete/", None, REFUSED),
    ("api-mailing-detail", "get", "/api/mailings/{mailing}/", None, SEE),
    ("api-mailing-detail", "patch", "/api/mailings/{mailing}/", {"periodicity": "daily"}, REFUSED),
    ("api-mailing-detail", "put", "/api/mailings/{mailing}/", {"periodicity": "daily"}, REFUSED),
    ("api-mailing-detail", "delete", "/api/mailings/{mailing}/", None, REFUSED),
    ("api-mailing-send-now", "post", "/api/mailings/{mailing}/send-now/", None, REFUSED),
    ("api-mailing-disable", "post", "/api/mailings/{mailing}/disable/", None, DISABLE),
    ("api-mailing-stop", "post", "/api/mailings/{mailing}/stop/", None, DISABLE),
    ("api-mailing-resume", "post", "/api/mailings/{mailing}/resume/", None, 400),
    ("api-mailing-attempts", "get", "/api/mailings/{mailing}/attempts/", None, SEE),
    ("api-mailing-runs", "get", "/api/mailings/{mailing}/runs/", None, SEE),
    ("api-mailing-retry-unknown", "post", "/api/mailings/{mailing}/runs/{run}/retry-unknown/", None, REFUSED),
    ("api-mail-client-detail", "get", "/api/clients/{client}/", None, REFUSED),
    ("api-mail-client-detail", "patch", "/api/clients/{client}/", {"full_name": "Hacked"}, REFUSED),
    ("api-mail-client-detail", "put", "/api/clients/{client}/", {"full_name": "Hacked"}, REFUSED),
    ("api-mail-client-detail", "delete", "/api/clients/{client}/", None, REFUSED),
    ("api-mail-message-detail", "get", "/api/mail-messages/{message}/", None, REFUSED),
    ("api-mail-message-detail", "patch", "/api/mail-messages/{message}/", {"subject": "Hacked"}, REFUSED),
    ("api-mail-message-detail", "put", "/api/mail-messages/{message}/", {"subject": "Hacked"}, REFUSED),
    ("api-mail-message-detail", "delete", "/api/mail-messages/{message}/", None, REFUSED),
]


def _mailings_state() -> dict:
    """Every row a mailing action could touch, to prove a refused one changed nothing."""
    from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage

    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Attempt, Client, Mailing, Mailing.clients.through, MailingRun, MailMessage)
    }


def test_every_mailing_action_has_a_manager_on_others_case():
    mailing_routes = {
        route.name
        for route in ROUTES
        if SAMPLES["int"] in route.path
        and (route.name.startswith(("mailings:", "api-mail")))
        and route.name not in {"mailings:user-block", "mailings:user-unblock"}  # about users, not mailings
    }
    assert mailing_routes <= {case[0] for case in MANAGER_ON_OTHERS}, mailing_routes - {
        case[0] for case in MANAGER_ON_OTHERS
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method", "template", "body", "expected"),
    MANAGER_ON_OTHERS,
    ids=[f"{case[1]} {case[2]}" for case in MANAGER_ON_OTHERS],
)
def test_a_manager_only_sees_and_disables_other_peoples_mailings(
    client, manager, mailoutbox, django_capture_on_commit_callbacks, name, method, template, body, expected
):
    from mailings.models import Mailing

    objects = _foreign_mailing_kwargs()
    client.force_login(manager)
    before = _mailings_state()

    with django_capture_on_commit_callbacks(execute=True):
        if template.startswith("/api/"):
            response = getattr(client, method)(template.format(**objects), body or {}, content_type="application/json")
        else:
            response = getattr(client, method)(template.format(**objects), body or {})

    assert mailoutbox == []
    if expected == DISABLE:
        assert response.status_code in {200, 302}, response.content
        mailing = Mailing.objects.get(pk=objects["mailing"])
        assert (mailing.is_active, mailing.disabled_by) == (False, manager)
        return
    assert response.status_code == expected, response.content
    assert _mailings_state() == before


@pytest.mark.django_db
def test_a_managers_csv_import_and_export_touch_only_their_own_clients(client, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mailings.models import Client

    objects = _foreign_mailing_kwargs()
    theirs = Client.objects.get(pk=objects["client"])
    client.force_login(manager)

    exported = client.get("/mailings/clients/export/")
    upload = SimpleUploadedFile("clients.csv", f"{theirs.email},Hacked,\n".encode(), content_type="text/csv")
    client.post("/mailings/clients/import/", {"file": upload})

    assert exported.status_code == 200
    assert theirs.email not in exported.content.decode()
    theirs.refresh_from_db()
    assert theirs.full_name == "Someone"
    assert Client.objects.get(owner=manager).full_name == "Hacked"  # the import went to the manager's own list


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/clients/", "/api/mail-messages/", "/mailings/clients/", "/mailings/messages/"])
def test_a_manager_does_not_list_other_peoples_clients_or_messages(client, manager, path):
    _foreign_mailing_kwargs()
    client.force_login(manager)

    response = client.get(path)

    assert response.status_code == 200
    assert b"someone@example.com" not in response.content
    assert b"Private" not in response.content
