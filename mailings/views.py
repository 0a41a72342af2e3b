"""Mailing pages. Owners see and change only their own objects (others get 404); managers see all
mailings and may stop them, but cannot edit other people's mailings, messages or clients."""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.types import AuthenticatedHttpRequest
from core.forms import apply_errors
from core.permissions import is_manager
from core.unsubscribe import UnsubscribeFlow, UnsubscribeTexts, unsubscribe_page
from mailings import selectors, sending, services
from mailings.forms import ClientForm, ClientImportForm, MailingForm, MailMessageForm, UserBlockForm, UserSearchForm
from mailings.models import Client, Mailing, MailingRun, MailMessage

PAGE_SIZE = 25


def _render(request: HttpRequest, template: str, context: dict, **kwargs) -> HttpResponse:
    """Render a page of the section; the section's menu shows the managers' links to managers."""
    return render(request, template, {"is_manager": is_manager(request.user), **context}, **kwargs)


def home(request: HttpRequest) -> HttpResponse:
    """The section's front page: the visitor's own numbers (managers also the platform's), cached,
    and three random published articles."""
    user = request.user if isinstance(request.user, User) else None
    return render(
        request,
        "mailings/home.html",
        {
            "own": selectors.home_user_data(user) if user else None,
            "platform": selectors.home_data() if user and is_manager(user) else None,
            "articles": selectors.random_articles(),
        },
    )


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    mailings = selectors.mailings_visible_to(request.user).filter(owner=request.user)
    return _render(
        request,
        "mailings/dashboard.html",
        {
            "mailings": mailings[:10],
            "mailing_count": mailings.count(),
            "client_count": selectors.clients_of(request.user).count(),
            "message_count": selectors.messages_of(request.user).count(),
        },
    )


# --- Clients -------------------------------------------------------------------------------


@login_required
def client_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = selectors.client_page(request.user, request.GET.get("page"), per_page=PAGE_SIZE)
    return _render(request, "mailings/client_list.html", {"page": page, "import_form": ClientImportForm()})


def _own_client(request: AuthenticatedHttpRequest, pk: int) -> Client:
    return get_object_or_404(Client, pk=pk, owner=request.user)


@login_required
def client_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    client = _own_client(request, pk) if pk else None
    initial = {"email": client.email, "full_name": client.full_name, "comment": client.comment} if client else None
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if client:
                services.client_update(client=client, **form.cleaned_data)
            else:
                services.client_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The client is saved."))
            return redirect("mailings:clients")
    return _render(
        request,
        "mailings/form.html",
        {"form": form, "title": _("Edit client") if client else _("New client"), "back": "mailings:clients"},
    )


@login_required
@require_POST
def client_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    services.client_delete(client=_own_client(request, pk))
    messages.info(request, _("The client is deleted."))
    return redirect("mailings:clients")


def _import_refused(request: AuthenticatedHttpRequest, form: ClientImportForm, problems: list[str]) -> HttpResponse:
    """The clients page again with one alert for the whole file (its first bad lines, then how many more)."""
    page = selectors.client_page(request.user, 1, per_page=PAGE_SIZE)
    return _render(
        request,
        "mailings/client_list.html",
        {"page": page, "import_form": form, "import_errors": problems},
    )


@login_required
@require_POST
def client_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ClientImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_refused(request, form, [str(error) for errors in form.errors.values() for error in errors])
    try:
        result = services.clients_import_csv(
            owner=request.user,
            content=form.cleaned_data["file"].read(),
            update_existing=form.cleaned_data["update_existing"],
        )
    except ValidationError as error:
        return _import_refused(request, form, error.messages)
    messages.success(
        request,
        ngettext("%(count)s client imported.", "%(count)s clients imported.", result.created)
        % {"count": result.created},
    )
    if result.updated:
        messages.info(
            request,
            ngettext("%(count)s client updated.", "%(count)s clients updated.", result.updated)
            % {"count": result.updated},
        )
    if result.unchanged:
        messages.info(
            request,
            ngettext(
                "%(count)s client was already on your list and is unchanged.",
                "%(count)s clients were already on your list and are unchanged.",
                result.unchanged,
            )
            % {"count": result.unchanged},
        )
    return redirect("mailings:clients")


@login_required
@require_GET
def client_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    # The byte order mark makes spreadsheet programs (Excel) read the file as UTF-8: Cyrillic shows.
    response = HttpResponse(
        "\ufeff" + services.clients_export_csv(owner=request.user), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="clients.csv"'
    return response


# --- Messages ------------------------------------------------------------------------------


@login_required
def message_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.messages_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "mailings/message_list.html", {"page": page})


@login_required
def message_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    message = get_object_or_404(MailMessage, pk=pk, owner=request.user) if pk else None
    initial = {"subject": message.subject, "body": message.body, "body_html": message.body_html} if message else None
    form = MailMessageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if message:
                services.mail_message_update(message=message, **form.cleaned_data)
            else:
                services.mail_message_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The message is saved."))
            return redirect("mailings:messages")
    return _render(
        request,
        "mailings/form.html",
        {"form": form, "title": _("Edit message") if message else _("New message"), "back": "mailings:messages"},
    )


@login_required
@require_POST
def message_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        services.mail_message_delete(message=get_object_or_404(MailMessage, pk=pk, owner=request.user))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(request, _("The message is deleted."))
    return redirect("mailings:messages")


# --- Mailings ------------------------------------------------------------------------------


def _visible_mailing(request: AuthenticatedHttpRequest, pk: int) -> Mailing:
    try:
        return selectors.mailing_for(request.user, pk)
    except Mailing.DoesNotExist:
        raise Http404 from None


def _own_mailing(request: AuthenticatedHttpRequest, pk: int) -> Mailing:
    return get_object_or_404(Mailing, pk=pk, owner=request.user)


@login_required
def mailing_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Own mailings; managers see everyone's (with the owner shown)."""
    mailings = selectors.mailings_visible_to(request.user)
    page = Paginator(mailings, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "mailings/mailing_list.html", {"page": page})


def _local(value, zone: str):
    """The form's wall-clock time, read in the mailing's own time zone."""
    return value.replace(tzinfo=None).replace(tzinfo=ZoneInfo(zone))


@login_required
def mailing_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    mailing = _own_mailing(request, pk) if pk else None
    if mailing and not selectors.mailing_if_editable(mailing).exists():
        messages.error(request, _("A mailing can be edited only before its first send."))
        return redirect("mailings:mailing", pk=mailing.pk)
    initial = None
    if mailing:
        zone = ZoneInfo(mailing.time_zone)
        initial = {
            "message": mailing.message,
            "clients": mailing.clients.all(),
            "start_at": mailing.start_at.astimezone(zone).replace(tzinfo=None),
            "end_at": mailing.end_at.astimezone(zone).replace(tzinfo=None),
            "periodicity": mailing.periodicity,
            "time_zone": mailing.time_zone,
            "is_active": mailing.is_active,
        }
    form = MailingForm(request.POST or None, initial=initial, owner=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["start_at"] = _local(data["start_at"], data["time_zone"])
        data["end_at"] = _local(data["end_at"], data["time_zone"])
        data["clients"] = list(data["clients"])
        try:
            if mailing:
                mailing = services.mailing_update(mailing=mailing, actor=request.user, **data)
            else:
                mailing = services.mailing_create(owner=request.user, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The mailing is saved."))
            return redirect("mailings:mailing", pk=mailing.pk)
    return _render(
        request,
        "mailings/form.html",
        {
            "form": form,
            "title": _("Edit mailing") if mailing else _("New mailing"),
            "back": "mailings:mailings",
            "wide_choices": True,
            "hint": _mailing_form_hint(form),
        },
    )


def _mailing_form_hint(form: MailingForm) -> str:
    # Both are model choice fields, limited to the owner's own messages and clients.
    if not form.fields["message"].queryset.exists():  # type: ignore[attr-defined]
        return _("Write a message first: a mailing sends one of your messages.")
    if not form.fields["clients"].queryset.exists():  # type: ignore[attr-defined]
        return _("Add clients first: a mailing is sent to your clients.")
    return ""


@login_required
def mailing_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mailing = _visible_mailing(request, pk)
    return _render(
        request,
        "mailings/mailing_detail.html",
        {
            "mailing": mailing,
            "stats": selectors.mailing_stats(mailing),
            "is_owner": mailing.owner_id == request.user.pk,
            "can_stop": mailing.owner_id == request.user.pk or is_manager(request.user),
            "can_edit": mailing.owner_id == request.user.pk and selectors.mailing_if_editable(mailing).exists(),
            # A mailing a manager disabled is resumed only by a manager (``services.mailing_resume``).
            "can_resume": mailing.status == Mailing.Status.STOPPED
            and (is_manager(request.user) or mailing.disabled_by_id in (None, request.user.pk)),
        },
    )


def _action(request: AuthenticatedHttpRequest, mailing: Mailing, perform) -> HttpResponse:
    """Run an action on a mailing already looked up for this user; a refused rule becomes a message."""
    try:
        result = perform(mailing)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        result = None
    if isinstance(result, HttpResponse):
        return result
    return redirect("mailings:mailing", pk=mailing.pk)


@login_required
@require_POST
def mailing_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def delete(mailing: Mailing) -> HttpResponse:
        services.mailing_delete(mailing=mailing, actor=request.user)
        messages.info(request, _("The mailing is deleted."))
        return redirect("mailings:mailings")

    # Deleting is the owner's: for anyone else (managers included) the mailing does not exist here.
    return _action(request, _own_mailing(request, pk), delete)


@login_required
@require_POST
def mailing_stop(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def stop(mailing: Mailing) -> None:
        services.mailing_stop(mailing=mailing, actor=request.user)
        messages.info(request, _("The mailing is stopped."))

    return _action(request, _visible_mailing(request, pk), stop)


@login_required
@require_POST
def mailing_resume(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def resume(mailing: Mailing) -> None:
        mailing = services.mailing_resume(mailing=mailing, actor=request.user)
        if mailing.status == Mailing.Status.COMPLETED:
            messages.info(request, _("No send time is left before the end: the mailing is completed."))
        else:
            messages.success(request, _("The mailing is resumed."))

    return _action(request, _visible_mailing(request, pk), resume)


@login_required
@require_http_methods(["GET", "POST"])
def mailing_send_now(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (how many clients get the email now); the confirm button POSTs."""
    # Sending is the owner's decision: a manager sees someone else's mailing but cannot send it.
    mailing = _own_mailing(request, pk)
    if request.method == "GET":
        return _render(
            request,
            "mailings/send_now_confirm.html",
            {"mailing": mailing, "client_count": mailing.clients.count()},
        )

    def send(mailing: Mailing) -> HttpResponse:
        run = services.mailing_send_now(mailing=mailing, actor=request.user)
        messages.success(request, _("Sending has started."))
        return redirect("mailings:run", pk=run.pk)

    return _action(request, mailing, send)


def _visible_run(request: AuthenticatedHttpRequest, pk: int) -> MailingRun:
    run = get_object_or_404(MailingRun.objects.select_related("mailing__message"), pk=pk)
    _visible_mailing(request, run.mailing_id)
    return run


def _own_run(request: AuthenticatedHttpRequest, pk: int) -> MailingRun:
    """A run of one of the user's own mailings (re-sending is the owner's decision), else 404."""
    return get_object_or_404(MailingRun.objects.select_related("mailing__message"), pk=pk, mailing__owner=request.user)


@login_required
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _visible_run(request, pk)
    attempts = Paginator(run.attempts.order_by("status", "email", "id"), 50).get_page(request.GET.get("page"))
    return _render(
        request,
        "mailings/run_detail.html",
        {
            "run": run,
            "progress": selectors.run_progress(run),
            "attempts": attempts,
            # Managers see anyone's run, but only the owner may re-send from it.
            "is_owner": run.mailing.owner_id == request.user.pk,
        },
    )


@login_required
@require_GET
def run_progress(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(selectors.run_progress(_visible_run(request, pk)))


@login_required
@require_POST
def run_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _own_run(request, pk)
    count = services.run_retry_failed(run=run, actor=request.user)
    messages.info(
        request,
        ngettext("%(count)s failed delivery will be retried.", "%(count)s failed deliveries will be retried.", count)
        % {"count": count},
    )
    return redirect("mailings:run", pk=run.pk)


@login_required
@require_POST
def run_retry_unknown(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The owner decides to send again the deliveries a crashed sender left unknown."""
    run = _own_run(request, pk)
    try:
        count = services.run_retry_unknown(run=run, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("mailings:run", pk=run.pk)
    messages.info(
        request,
        ngettext(
            "%(count)s delivery with an unknown outcome will be sent again.",
            "%(count)s deliveries with an unknown outcome will be sent again.",
            count,
        )
        % {"count": count},
    )
    return redirect("mailings:run", pk=run.pk)


@csrf_exempt  # RFC 8058 one-click only: ``unsubscribe_page`` checks the CSRF token of every other POST.
@require_http_methods(["GET", "HEAD", "POST"])  # HEAD: link checkers, which change nothing either
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every mailing: a page that asks (GET changes nothing), unsubscribes on the
    confirm button, and offers an undo; the mail client's one-click POST unsubscribes at once."""
    return unsubscribe_page(
        request,
        token=token,
        flow=UnsubscribeFlow(
            find=sending.unsubscribe_find,
            unsubscribe=lambda token: sending.unsubscribe(token=token),
            resubscribe=lambda token: services.unsubscribe_undo(token=token),
            texts=UnsubscribeTexts(
                question=_("Receive no more emails from this sender?"),
                done=_("You are unsubscribed"),
                done_detail=_("%(email)s will receive no more emails from this sender."),
                undone=_("You are subscribed again"),
                undone_detail=_("%(email)s will receive this sender's emails again."),
            ),
        ),
    )


# --- Managers: users -----------------------------------------------------------------------


def _manager_only(request: AuthenticatedHttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404


@login_required
@require_GET
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Managers only: every user, searchable by username or email, with block and unblock."""
    _manager_only(request)
    search = UserSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(selectors.users_for_manager(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        "mailings/user_list.html",
        {
            "page": page,
            "search": search,
            "query_string": urlencode({"q": query}) if query else "",
            "block_form": UserBlockForm(),
        },
    )


def _back_to_users(request: AuthenticatedHttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("mailings:users")


@login_required
@require_POST
def user_block(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    target = get_object_or_404(User, pk=pk)
    form = UserBlockForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(map(str, errors))
            messages.error(request, f"{label}: {text}" if label else text)
        return _back_to_users(request)
    try:
        services.manager_user_block(actor=request.user, user=target, request=request, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(user)s is blocked and has been told why.") % {"user": target.username})
    return _back_to_users(request)


@login_required
@require_POST
def user_unblock(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    target = get_object_or_404(User, pk=pk)
    try:
        services.manager_user_unblock(actor=request.user, user=target, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(user)s is unblocked.") % {"user": target.username})
    return _back_to_users(request)
