"""Reads of mailings: owners see their own; managers see every mailing (read-only)."""

from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.parsing import page_number
from core.permissions import is_manager
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage

HOME_CACHE_KEY = "mailings:home"
HOME_CACHE_SECONDS = 300
CLIENT_PAGE_CACHE_SECONDS = 300


def clients_of(owner: User) -> QuerySet[Client]:
    return Client.objects.filter(owner=owner).order_by("full_name", "id")


def clients_version_key(owner_id: int) -> str:
    """Cached client pages are keyed by a per-owner version; a write moves it on (``mailings.services``)."""
    return f"mailings:clients-version:{owner_id}"


def clients_version(owner: User) -> int:
    return int(cache.get(clients_version_key(owner.pk), 1))


# Pages of ``GET /api/clients/`` kept serialized (per owner version); later pages are read each time.
CLIENT_API_CACHED_PAGES = 10


def client_api_page_key(*, owner_id: int, version: int, per_page: int, number: int) -> str:
    return f"mailings:api-clients:{owner_id}:{version}:{per_page}:{number}"


def client_page(owner: User, page: object = 1, *, per_page: int = 25) -> Page[dict[str, Any]]:
    """One page of the owner's clients, cached per owner until one of their clients changes.

    Plain data is cached, not HTML: the page's forms carry the visitor's CSRF token, which changes
    at every login.
    """
    paginator = Paginator(clients_of(owner), per_page)
    number = page_number(page)
    key = f"mailings:clients:{owner.pk}:{clients_version(owner)}:{per_page}:{number}"
    data = cache.get(key)
    if data is None:
        page_obj = paginator.get_page(number)
        rows = [
            {"pk": client.pk, "email": client.email, "full_name": client.full_name, "comment": client.comment}
            for client in page_obj.object_list
        ]
        data = {"count": paginator.count, "number": page_obj.number, "rows": rows}
        cache.set(key, data, CLIENT_PAGE_CACHE_SECONDS)
    paginator.count = data["count"]  # overrides the cached_property: no COUNT query
    return Page(data["rows"], data["number"], paginator)


def messages_of(owner: User) -> QuerySet[MailMessage]:
    return MailMessage.objects.filter(owner=owner).order_by("-created_at", "-id")


def mailings_visible_to(user: User) -> QuerySet[Mailing]:
    mailings = Mailing.objects.select_related("message", "owner").annotate(client_count=Count("clients"))
    if not is_manager(user):
        mailings = mailings.filter(owner=user)
    return mailings.order_by("-created_at", "-id")


def mailing_if_editable(mailing: Mailing) -> QuerySet[Mailing]:
    """The mailing, if nothing of it was sent yet: ``created``, or ``stopped`` without a run."""
    # NOT EXISTS rather than a join: the update locks this row (FOR UPDATE refuses an outer join).
    never_sent = ~Exists(MailingRun.objects.filter(mailing=OuterRef("pk")))
    return Mailing.objects.filter(
        Q(status=Mailing.Status.CREATED) | Q(never_sent, status=Mailing.Status.STOPPED), pk=mailing.pk
    )


def mailing_for(user: User, mailing_id: int) -> Mailing:
    """A mailing the user may see (own, or any for managers); otherwise ``Mailing.DoesNotExist``."""
    return mailings_visible_to(user).get(pk=mailing_id)


def mailing_stats(mailing: Mailing) -> dict[str, Any]:
    counts = Attempt.objects.filter(mailing=mailing).aggregate(
        sent=Count("id", filter=Q(status=Attempt.Status.SUCCESS)),
        failed=Count("id", filter=Q(status=Attempt.Status.FAILURE)),
        skipped=Count("id", filter=Q(status=Attempt.Status.SKIPPED)),
        unknown=Count("id", filter=Q(status=Attempt.Status.UNKNOWN)),
    )
    return {
        **counts,
        "last_attempts": list(Attempt.objects.filter(mailing=mailing).order_by("-attempted_at", "-id")[:10]),
        "runs": list(run_summaries(mailing)[:10]),
    }


def run_summaries(mailing: Mailing) -> QuerySet[MailingRun]:
    return (
        MailingRun.objects.filter(mailing=mailing)
        .annotate(
            sent=Count("attempts", filter=Q(attempts__status=Attempt.Status.SUCCESS)),
            failed=Count("attempts", filter=Q(attempts__status=Attempt.Status.FAILURE)),
            skipped=Count("attempts", filter=Q(attempts__status=Attempt.Status.SKIPPED)),
            unknown=Count("attempts", filter=Q(attempts__status=Attempt.Status.UNKNOWN)),
            done=Count("attempts"),
        )
        .order_by("-scheduled_for", "-id")
    )


def run_progress(run: MailingRun) -> dict[str, Any]:
    """Where every recipient of the run stands: sent, failed, skipped, unknown or still pending
    (not started, or in flight); the five add up to ``total``."""
    summary: Any = run_summaries(run.mailing).get(pk=run.pk)  # a run with the counts annotated
    total = summary.total or run.mailing.clients.count()
    settled = summary.sent + summary.failed + summary.skipped + summary.unknown
    return {
        "run": run.pk,
        "status": summary.status,
        "total": total,
        "done": settled,
        "sent": summary.sent,
        "failed": summary.failed,
        "skipped": summary.skipped,
        "unknown": summary.unknown,
        "pending": max(0, total - settled),
        "finished": summary.status != MailingRun.Status.RUNNING,
        # A run is never shown as finished-clean while a delivery's outcome is unknown.
        "needs_attention": summary.unknown > 0,
        "percent": 100 if not total else min(100, round(settled * 100 / total)),
    }


def home_data() -> dict[str, int]:
    """The mailings section's home: cached and cleared whenever its numbers change."""
    data: dict[str, int] | None = cache.get(HOME_CACHE_KEY)
    if data is None:
        data = {
            "mailings": Mailing.objects.count(),
            "active": Mailing.objects.filter(is_active=True, status=Mailing.Status.RUNNING).count(),
            "clients": Client.objects.values(email_lower=Lower("email")).distinct().count(),
        }
        cache.set(HOME_CACHE_KEY, data, HOME_CACHE_SECONDS)
    return data


def home_user_key(user_id: int) -> str:
    return f"mailings:home:user:{user_id}"


def home_keys(owner_ids: Iterable[int]) -> list[str]:
    """The cached home numbers a change of these owners' mailings or clients makes stale."""
    return [HOME_CACHE_KEY, *(home_user_key(owner_id) for owner_id in owner_ids)]


def home_user_data(user: User) -> dict[str, int]:
    """The signed-in user's own numbers on the section's home: cached per user, cleared with
    the platform totals whenever one of the user's mailings or clients changes."""
    key = home_user_key(user.pk)
    data: dict[str, int] | None = cache.get(key)
    if data is None:
        mailings = Mailing.objects.filter(owner=user)
        data = {
            "mailings": mailings.count(),
            "active": mailings.filter(is_active=True, status=Mailing.Status.RUNNING).count(),
            "clients": clients_of(user).values(email_lower=Lower("email")).distinct().count(),
        }
        cache.set(key, data, HOME_CACHE_SECONDS)
    return data


def random_articles(count: int = 3) -> list[Any]:
    """Three random published blog articles (the blog app provides them when installed)."""
    try:
        return list(import_string("blog.selectors.random_published_articles")(count=count))
    except ImportError:
        return []


def users_for_manager(query: str = "") -> QuerySet[User]:
    """Every user, for the managers' page; ``query`` matches the username or the email."""
    users = User.objects.order_by("username", "id")
    query = (query or "").strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(email__icontains=query))
    return users


def home_stats() -> list[tuple[str, int]]:
    data = home_data()
    return [(str(_("Mailings")), data["mailings"]), (str(_("Active mailings")), data["active"])]
