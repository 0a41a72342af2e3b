from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts import ratelimits, selectors, services
from accounts.forms import (
    AvatarForm,
    ConfirmForm,
    DeleteAccountForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetSetForm,
    ProfileForm,
    RegistrationForm,
    ResendForm,
)
from accounts.models import BUNDLED_AVATARS, User, UserSession
from accounts.types import AuthenticatedHttpRequest
from core.forms import apply_errors
from core.registry import home_sections, profile_panels

CODE_SENT_SESSION_KEY = "accounts_code_sent"


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and ratelimits.form_rate_limit_hit(
        request=request, form="register", email=request.POST.get("email", "")
    ):
        # Bound fields keep what was typed; the accounts are not consulted (no free probing).
        form = RegistrationForm(request.POST, check_accounts=False)
        form.is_valid()
        form.add_error(None, ratelimits.rate_limited_message())
        return render(request, "accounts/register.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "password_confirm"}
        try:
            user = services.user_register(**data, request=request)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("We have sent a 6-digit code to %(email)s.") % {"email": user.email})
            # Only this browser learns that a code just went out (see _confirm_page).
            request.session[CODE_SENT_SESSION_KEY] = {"email": user.email.lower(), "at": timezone.now().timestamp()}
            return redirect(f"{reverse('accounts:confirm')}?email={user.email}")
    return render(request, "accounts/register.html", {"form": form})


def _confirm_page(request: HttpRequest, form: ConfirmForm) -> HttpResponse:
    email = form["email"].value() or ""
    # The same page for every email: nothing here depends on whether a registration is pending.
    cooldown = services.confirmation_cooldown_left(email=email) if email else 0
    sent = request.session.get(CODE_SENT_SESSION_KEY) or {}
    if email and sent.get("email") == email.lower():
        ready_at = sent["at"] + settings.ACCOUNTS_CONFIRMATION_RESEND_COOLDOWN.total_seconds()
        cooldown = max(cooldown, int(ready_at - timezone.now().timestamp() + 0.999))
    return render(request, "accounts/confirm.html", {"form": form, "cooldown": cooldown, "email": email})


def confirm(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        if form.is_valid():
            try:
                user = services.email_confirmation_confirm(
                    email=form.cleaned_data["email"], code=form.cleaned_data["code"], request=request
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return _signed_in_after_confirmation(request, user)
    else:
        form = ConfirmForm(initial={"email": request.GET.get("email", "")})
    return _confirm_page(request, form)


def _signed_in_after_confirmation(request: HttpRequest, user: User) -> HttpResponse:
    """The code proved the mailbox: sign in here (as a login does: session cap, audit) and go home.

    An account a manager blocked meanwhile is confirmed but not signed in; the login page says why.
    """
    if user.block_is_current:
        messages.success(request, _("Your email is confirmed. You can log in now."))
        return redirect("accounts:login")
    request.session.pop(CODE_SENT_SESSION_KEY, None)
    services.session_login(request=request, user=user)
    messages.success(
        request, _("Welcome to Agora, %(name)s! Your email is confirmed.") % {"name": user.first_name or user.username}
    )
    return redirect("core:home")


def confirm_link(request: HttpRequest, uidb64: str, code: str) -> HttpResponse:
    """The emailed link pre-fills the form; confirming still takes a POST (link scanners GET).

    A bad or used link shows the empty form, as for any unknown account.
    """
    email = services.email_confirmation_link_email(uidb64=uidb64, code=code)
    return _confirm_page(request, ConfirmForm(initial={"email": email, "code": code if email else ""}))


@require_POST
def resend(request: HttpRequest) -> HttpResponse:
    form = ResendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid email address."))
        return redirect("accounts:confirm")
    email = form.cleaned_data["email"]
    if ratelimits.form_rate_limit_hit(request=request, form="resend", email=email):
        messages.error(request, ratelimits.rate_limited_message())
        return redirect(f"{reverse('accounts:confirm')}?email={email}")
    try:
        services.email_confirmation_resend(email=email)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("If %(email)s awaits confirmation, a new code is on its way.") % {"email": email})
    return redirect(f"{reverse('accounts:confirm')}?email={email}")


# How the login page names the section a visitor was sent from (by Section.key); a section not
# listed here is named by its title.
LOGIN_REASONS = {
    "shop": gettext_lazy("Log in to see the shop."),
    "sites": gettext_lazy("Log in to see the site templates."),
    "chat": gettext_lazy("Log in to see your chats."),
    "crowdfunding": gettext_lazy("Log in to see the crowdfunding projects."),
    "mailings": gettext_lazy("Log in to see your mailings."),
    "blog": gettext_lazy("Log in to read the blog."),
}


def login_reason(next_url: str) -> str:
    """Why the visitor was sent to log in, naming the section ``next_url`` (a safe local URL) belongs to."""
    try:
        namespace = resolve(urlsplit(next_url).path).namespace
    except Resolver404:
        namespace = ""
    for section in home_sections():
        if namespace and section.url_name and section.url_name.split(":")[0] == namespace:
            reason = LOGIN_REASONS.get(section.key)
            if reason is None:
                return _("Log in to open the “%(section)s” section.") % {"section": section.title}
            return str(reason)
    return _("Log in to continue.")


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    form = LoginForm(request.POST or None)
    blocked = None
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request, login=form.cleaned_data["login"], password=form.cleaned_data["password"]
            )
        except services.LoginBlocked as error:
            blocked = error
        except services.LoginError as error:
            form.add_error(None, error.message)
        else:
            services.session_login(request=request, user=user, remember=form.cleaned_data["remember"])
            return redirect(next_url or "core:home")
    context = {"form": form, "next": next_url, "blocked": blocked, "reason": login_reason(next_url) if next_url else ""}
    return render(request, "accounts/login.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.session_logout(request=request)
    messages.info(request, _("You have logged out."))
    return redirect("core:home")


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    initial = {name: getattr(user, name) for name in services.PROFILE_FIELDS}
    form = ProfileForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_profile_update(user=user, data=form.cleaned_data, request=request)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "avatar_form": AvatarForm(), "bundled_avatars": BUNDLED_AVATARS},
    )


@login_required
@require_POST
def avatar(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.user_avatar_set(
                user=request.user,
                upload=form.cleaned_data["avatar"],
                bundled=form.cleaned_data["bundled_avatar"],
                request=request,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your avatar is updated."))
    else:
        messages.error(request, _("Upload an image or pick one of the offered avatars."))
    return redirect("accounts:profile")


@login_required
def devices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The browsers and API clients signed in to this account."""
    return render(
        request,
        "accounts/devices.html",
        {
            "devices": selectors.user_devices(user=request.user),
            "current_key": request.session.session_key,
            "max_devices": settings.ACCOUNTS_MAX_SESSIONS,
        },
    )


@login_required
@require_POST
def device_sign_out(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(UserSession, pk=pk, user=request.user)
    if device.session_key and device.session_key == request.session.session_key:
        # Signing out this very browser is the ordinary logout.
        return logout_view(request)
    services.device_sign_out(device=device, request=request)
    messages.success(request, _("The device is signed out."))
    return redirect("accounts:devices")


@login_required
@require_POST
def devices_sign_out_others(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.devices_sign_out_others(user=request.user, request=request)
    messages.success(
        request,
        ngettext("%(count)d other device is signed out.", "%(count)d other devices are signed out.", count)
        % {"count": count},
    )
    return redirect("accounts:devices")


@login_required
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_password_set(user=request.user, password=form.cleaned_data["new_password1"], request=request)
        # Keep this session: it was just re-authenticated by the old password.
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password is changed."))
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_delete(user=request.user, password=form.cleaned_data["password"], request=request)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            logout(request)
            messages.info(request, _("Your account has been deleted."))
            return redirect("core:home")
    return render(request, "accounts/delete.html", {"form": form})


@login_required
def public_profile(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(User, username=username, is_active=True)
    panels = profile_panels(viewer=request.user, person=person)
    return render(request, "accounts/public_profile.html", {"person": person, "panels": panels})


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if ratelimits.form_rate_limit_hit(
            request=self.request, form="password-reset", email=form.cleaned_data["email"]
        ):
            form.add_error(None, ratelimits.rate_limited_message())
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = PasswordResetSetForm
    success_url = reverse_lazy("accounts:password-reset-complete")
