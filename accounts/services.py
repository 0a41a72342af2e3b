"""Every write to accounts goes through these functions."""

import copy
import io
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import lockout
from accounts.backends import VERIFIED_BUT_REFUSED
from accounts.models import BUNDLED_AVATARS, EmailConfirmation, User, UserSession
from accounts.selectors import live_devices, user_by_login
from accounts.validators import normalize_phone
from core.emails import email_send
from core.images import verified_image
from core.request_info import client_ip
from core.services import audit_record
from core.storage import files_delete_on_commit

DEFAULT_GROUP = "user"


# --- Registration and email confirmation ---------------------------------------------------


def _registration_candidate(
    *, username: str, email: str, phone: str, last_name: str, first_name: str, middle_name: str
) -> User:
    return User(
        username=username.strip(),
        email=email.strip(),
        phone=normalize_phone(phone),
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        middle_name=middle_name.strip(),
        is_active=False,
    )


def _registration_errors(*, user: User, password: str, skip: Collection[str] = ()) -> dict[str, list[str]]:
    """Every problem of a would-be account at once (each field, each password rule)."""
    errors: dict[str, list[str]] = {}
    # The case-insensitive email constraint names no field: report it beside the email instead.
    email_taken = "email" not in skip and bool(user.email) and User.objects.filter(email__iexact=user.email).exists()
    if email_taken:
        errors["email"] = [_("A user with that email already exists.")]
    try:
        user.full_clean(exclude=["password", *skip], validate_constraints=not email_taken)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if "password" not in skip:
        try:
            validate_password(password, user)
        except ValidationError as error:
            errors.setdefault("password", []).extend(error.messages)
    return errors


def user_registration_errors(
    *,
    username: str = "",
    email: str = "",
    phone: str = "",
    last_name: str = "",
    first_name: str = "",
    middle_name: str = "",
    password: str = "",
    skip: Collection[str] = (),
) -> dict[str, list[str]]:
    """What ``user_register`` would refuse in this data, by field; nothing is written.

    Forms and the API call it with the fields they could read, naming in ``skip`` those they
    already refused themselves, so one submit reports every problem together.
    """
    user = _registration_candidate(
        username=username,
        email=email,
        phone=phone,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
    )
    return _registration_errors(user=user, password=password, skip=skip)


def user_register(
    *,
    username: str,
    email: str,
    phone: str,
    last_name: str,
    first_name: str,
    middle_name: str = "",
    password: str,
    request: HttpRequest | None = None,
) -> User:
    """Create an inactive account in the ``user`` group and email it a confirmation code."""
    user = _registration_candidate(
        username=username,
        email=email,
        phone=phone,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
    )
    errors = _registration_errors(user=user, password=password)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    with transaction.atomic():
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # A concurrent registration took the username, email or phone between check and insert.
            raise ValidationError(_("This username, email or phone was just registered. Try another.")) from None
        user.groups.add(Group.objects.get_or_create(name=DEFAULT_GROUP)[0])
        audit_record(action="accounts.registered", actor=user, target=user, request=request)
        _confirmation_issue(user=user)
    return user


def _confirmation_hash(*, user: User, code: str) -> str:
    return salted_hmac("accounts.email-confirmation", f"{user.pk}:{code}").hexdigest()


def _confirmation_issue(*, user: User) -> None:
    """Store a fresh code (replacing any old one) and email it once the transaction commits."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    EmailConfirmation.objects.update_or_create(
        user=user,
        defaults={
            "code_hash": _confirmation_hash(user=user, code=code),
            "sent_at": now,
            "expires_at": now + settings.ACCOUNTS_CONFIRMATION_CODE_TTL,
            "failed_attempts": 0,
        },
    )
    link = settings.SITE_URL + reverse(
        "accounts:confirm-link", args=[urlsafe_base64_encode(force_bytes(user.pk)), code]
    )
    context = {"user": user, "code": code, "link": link, "minutes": 15}
    transaction.on_commit(lambda: email_send(to=[user.email], template="accounts/email/confirmation", context=context))


def _resend_cooldown_key(email: str) -> str:
    digest = salted_hmac("accounts.resend-cooldown", email.strip().lower()).hexdigest()
    return f"accounts:resend-cooldown:{digest}"


def confirmation_cooldown_left(*, email: str) -> int:
    """Seconds until another code may be asked for this email (0: now).

    The cool-down starts with every request for a new code, whether or not the email awaits
    confirmation, so it never reveals which addresses have a pending registration.
    """
    ready_at = cache.get(_resend_cooldown_key(email or ""))
    if ready_at is None:
        return 0
    return max(0, int(ready_at - timezone.now().timestamp() + 0.999))


def email_confirmation_resend(*, email: str) -> None:
    """Send a new code to an unconfirmed account, honouring the cool-down.

    An unknown or already confirmed email is answered the same way as a known one, so the
    form does not reveal which addresses are registered.
    """
    cooldown = settings.ACCOUNTS_CONFIRMATION_RESEND_COOLDOWN
    ready_at = timezone.now().timestamp() + cooldown.total_seconds()
    # ``add`` is atomic (also in Redis): of two simultaneous requests only one starts the cool-down.
    if not cache.add(_resend_cooldown_key(email), ready_at, timeout=int(cooldown.total_seconds()) + 1):
        raise ValidationError(
            _("Please wait %(seconds)s seconds before asking for another code."),
            code="cooldown",
            params={"seconds": max(1, confirmation_cooldown_left(email=email))},
        )
    user = User.objects.filter(email__iexact=email.strip(), is_active=False, email_confirmed_at=None).first()
    if user is None:
        return
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        confirmation = EmailConfirmation.objects.filter(user=user).first()
        if confirmation is not None and confirmation.sent_at + cooldown > timezone.now():
            # A code went out moments ago (at registration): answer as usual, send nothing more.
            return
        _confirmation_issue(user=user)


def _confirmation_code_check(*, user: User, code: str) -> EmailConfirmation | None:
    """The locked pending confirmation if ``code`` is right; a wrong code counts towards the limit.

    Call inside a transaction: the count commits with it.
    """
    confirmation = EmailConfirmation.objects.select_for_update().filter(user=user).first()
    usable = (
        confirmation is not None
        and confirmation.expires_at > timezone.now()
        and confirmation.failed_attempts < settings.ACCOUNTS_CONFIRMATION_MAX_TRIES
    )
    if not usable or confirmation is None:
        return None
    if constant_time_compare(confirmation.code_hash, _confirmation_hash(user=user, code=(code or "").strip())):
        return confirmation
    EmailConfirmation.objects.filter(pk=confirmation.pk).update(failed_attempts=F("failed_attempts") + 1)
    return None


def email_confirmation_confirm(*, email: str, code: str, request: HttpRequest | None = None) -> User:
    """Activate the account whose pending code matches; wrong codes count towards the limit."""
    invalid = ValidationError(
        _("The code is wrong or has expired. Check the email or ask for a new code."), code="invalid_code"
    )
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=False, email_confirmed_at=None).first()
    if user is None:
        raise invalid
    with transaction.atomic():
        confirmation = _confirmation_code_check(user=user, code=code)
        if confirmation is not None:
            user.is_active = True
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["is_active", "email_confirmed_at"])
            confirmation.delete()
            audit_record(action="accounts.email_confirmed", actor=user, target=user, request=request)
            return user
    # Raised after the block commits, so the wrong try is counted.
    raise invalid


def email_confirmation_link_email(*, uidb64: str, code: str) -> str:
    """The email an emailed confirmation link pre-fills, or "" when the link is not good (any more).

    Only a link carrying the right code names the email, so account ids cannot be walked to learn
    addresses; a wrong code counts as a wrong try, so the link cannot be used to guess codes.
    """
    try:
        user_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        return ""
    user = User.objects.filter(pk=user_id, is_active=False, email_confirmed_at=None).first()
    if user is None:
        return ""
    with transaction.atomic():
        confirmation = _confirmation_code_check(user=user, code=code)
    return user.email if confirmation is not None else ""


def unconfirmed_registrations_purge() -> int:
    """Delete accounts never confirmed within the allowed time, freeing their email and phone."""
    cutoff = timezone.now() - settings.ACCOUNTS_UNCONFIRMED_TTL
    stale = User.objects.filter(
        is_active=False, email_confirmed_at=None, last_login=None, date_joined__lt=cutoff, is_superuser=False
    )
    deleted, _counts = stale.delete()
    return deleted


# --- Login, sessions and tokens ------------------------------------------------------------


class LoginError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class LoginLockedOut(LoginError):
    """Too many failures for this login and address (django-axes); answered 429."""


@dataclass
class LoginBlocked(LoginError):
    message: str
    reason: str
    until: datetime | None
    status: int = 403


def login_attempt(*, request: HttpRequest, login: str, password: str) -> User:
    """Check credentials through Django's ``authenticate`` so django-axes counts every try.

    Failures are counted per account (whichever of its username, email or phone was typed, see
    ``accounts.lockout``) and address, and per address across accounts with a larger limit.
    Raises ``LoginError``. A blocked or unconfirmed account is only named as such after its
    password was checked, so the answer never reveals which logins exist.
    """
    login = (login or "").strip()
    if "@" in login:
        login = login.lower()
    elif login.startswith("+"):
        # Other spellings of a phone ("8 912 ...") stay as typed: they may also be a digits-only username.
        login = normalize_phone(login)
    ip_address = client_ip(request)
    if settings.AXES_ENABLED and lockout.address_is_locked_out(ip_address):
        # The axes middleware answers a flagged request with the lock-out page or JSON body.
        request.axes_locked_out = True  # type: ignore[attr-defined]  # the flag django-axes reads
        _login_locked_out(request=request, login=login)
    user = authenticate(request=request, username=login, password=password or "")
    if user is not None:
        if settings.AXES_RESET_ON_SUCCESS:
            # Axes resets only on Django's login signal, which API logins do not send.
            axes_reset(ip=ip_address, username=lockout.login_key(login))
        return user
    if getattr(request, "axes_locked_out", False):
        _login_locked_out(request=request, login=login)
    refused = getattr(request, VERIFIED_BUT_REFUSED, None)
    if refused is not None:
        if refused.block_is_current:
            audit_record(action="accounts.login_blocked", actor=refused, target=refused, request=request)
            raise LoginBlocked(
                message=block_message(refused), reason=refused.blocked_reason, until=refused.blocked_until
            )
        raise LoginError(_("This account is not active. Confirm your email with the code we sent you."), status=403)
    audit_record(action="accounts.login_failed", target=user_by_login(login), request=request, details={"login": login})
    raise LoginError(_("Wrong login or password."), status=401)


def _login_locked_out(*, request: HttpRequest, login: str) -> None:
    audit_record(action="accounts.locked_out", request=request, details={"login": login})
    raise LoginLockedOut(lockout.lockout_message(), status=429)


def block_message(user: User) -> str:
    if user.blocked_until:
        until = timezone.localtime(user.blocked_until).strftime("%Y-%m-%d %H:%M %Z")
        return _("Your account is blocked until %(until)s. Reason: %(reason)s") % {
            "until": until,
            "reason": user.blocked_reason,
        }
    return _("Your account is blocked. Reason: %(reason)s") % {"reason": user.blocked_reason}


def session_login(*, request: HttpRequest, user: User, remember: bool = False) -> None:
    """Start a web session (a new session id), then end the oldest devices beyond ACCOUNTS_MAX_SESSIONS."""
    login(request, user, backend="accounts.backends.LoginBackend")
    request.session.set_expiry(settings.SESSION_REMEMBER_AGE if remember else 0)
    # Other apps carry what the visitor did anonymously over to the account (e.g. the cart).
    for hook in settings.ACCOUNTS_LOGIN_HOOKS:
        import_string(hook)(request=request, user=user)
    request.session.save()
    with transaction.atomic():
        _device_add(user=user, request=request, kind=UserSession.Kind.WEB, session_key=request.session.session_key)
        audit_record(action="accounts.login", actor=user, target=user, request=request, details={"channel": "web"})


def session_logout(*, request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        with transaction.atomic():
            UserSession.objects.filter(session_key=request.session.session_key).delete()
            audit_record(action="accounts.logout", actor=user, target=user, request=request)
    logout(request)


def _session_store() -> type[SessionBase]:
    store: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    return store


def _device_add(
    *,
    user: User,
    request: HttpRequest | None,
    kind: str,
    session_key: str | None = None,
    refresh_jti: str | None = None,
) -> UserSession:
    """Record a signed-in device, then end the oldest ones beyond the cap (browsers and API clients alike)."""
    # Lock the user row so that two simultaneous logins cannot both stay under the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    lookup = {"session_key": session_key} if session_key else {"refresh_jti": refresh_jti}
    device, _created = UserSession.objects.update_or_create(
        **lookup,
        defaults={
            "user": user,
            "kind": kind,
            "last_used_at": timezone.now(),
            "ip_address": client_ip(request) if request is not None else None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else "",
        },
    )
    # Devices whose session or token expired on their own no longer count (nor show).
    user.active_sessions.exclude(pk__in=live_devices().filter(user=user).values("pk")).delete()
    for old in list(user.active_sessions.order_by("-created_at", "-id"))[settings.ACCOUNTS_MAX_SESSIONS :]:
        _device_end(old)
    return device


def _device_end(device: UserSession) -> None:
    """Sign one device out: its browser session is deleted, or its current refresh token blacklisted."""
    if device.session_key:
        _session_store()(session_key=device.session_key).delete()
    if device.refresh_jti:
        token = OutstandingToken.objects.filter(jti=device.refresh_jti).first()
        if token is not None:
            BlacklistedToken.objects.get_or_create(token=token)
    device.delete()


def _sessions_end(*, user: User, keep: str | None = None) -> None:
    for user_session in user.active_sessions.filter(kind=UserSession.Kind.WEB).exclude(session_key=keep or ""):
        _device_end(user_session)


def device_seen(*, session_key: str) -> None:
    """Note that a browser session was used now (called at most every few minutes per session)."""
    UserSession.objects.filter(session_key=session_key).update(last_used_at=timezone.now())


def device_sign_out(*, device: UserSession, request: HttpRequest | None = None) -> None:
    """The owner signs one of their devices out (the Devices page)."""
    with transaction.atomic():
        _device_end(device)
        audit_record(
            action="accounts.device_signed_out",
            actor=device.user,
            target=device.user,
            request=request,
            details={"kind": device.kind, "ip": device.ip_address, "user_agent": device.user_agent},
        )


def devices_sign_out_others(*, user: User, request: HttpRequest) -> int:
    """Sign out every device but the browser making the request."""
    with transaction.atomic():
        others = list(user.active_sessions.exclude(session_key=request.session.session_key or ""))
        for device in others:
            _device_end(device)
        audit_record(
            action="accounts.devices_signed_out",
            actor=user,
            target=user,
            request=request,
            details={"count": len(others)},
        )
    return len(others)


DEVICE_CLAIM = "device"


def token_pair_issue(*, request: HttpRequest, user: User) -> dict[str, str]:
    """JWT access + refresh tokens for an API login: a new device, recorded in the audit trail."""
    refresh = RefreshToken.for_user(user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        device = _device_add(user=user, request=request, kind=UserSession.Kind.API, refresh_jti=refresh["jti"])
        # Copied into every access token and kept through rotations: a signed-out device's
        # access tokens stop working at once, not only its refresh token.
        refresh[DEVICE_CLAIM] = device.pk
        audit_record(action="accounts.login", actor=user, target=user, request=request, details={"channel": "api"})
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def refresh_token_rotated(*, user_id: int, old_jti: str, new_jti: str, request: HttpRequest | None = None) -> None:
    """A refresh token was rotated: its device follows the new token and was used now.

    A token issued before devices were recorded becomes a device here (and counts towards the cap).
    """
    with transaction.atomic():
        moved = UserSession.objects.filter(refresh_jti=old_jti, user_id=user_id).update(
            refresh_jti=new_jti, last_used_at=timezone.now()
        )
        if not moved:
            user = User.objects.get(pk=user_id)
            _device_add(user=user, request=request, kind=UserSession.Kind.API, refresh_jti=new_jti)


def refresh_token_revoke(*, token: str, user: User) -> None:
    """Blacklist one refresh token (API logout); a token of someone else is refused."""
    try:
        refresh = RefreshToken(token)  # type: ignore[arg-type]  # simplejwt reads the encoded token too
    except TokenError:
        raise ValidationError({"refresh": [_("The token is invalid or expired.")]}) from None
    if str(refresh.payload.get("user_id")) != str(user.pk):
        raise ValidationError({"refresh": [_("This token does not belong to you.")]})
    with transaction.atomic():
        refresh.blacklist()
        UserSession.objects.filter(refresh_jti=refresh["jti"]).delete()
        audit_record(action="accounts.logout", actor=user, target=user, details={"channel": "api"})


def _tokens_revoke(*, user: User) -> None:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    user.active_sessions.filter(kind=UserSession.Kind.API).delete()


# --- Profile, avatar, password, deletion ---------------------------------------------------

PROFILE_FIELDS = ("last_name", "first_name", "middle_name", "phone", "birth_date", "newsletter")


def _profile_values(data: dict[str, Any]) -> dict[str, Any]:
    """The submitted profile fields as stored (the phone normalised)."""
    return {name: normalize_phone(value) if name == "phone" else value for name, value in data.items()}


def user_profile_errors(*, user: User, data: dict[str, Any], skip: Collection[str] = ()) -> dict[str, list[str]]:
    """What ``user_profile_update`` would refuse in ``data``, by field; nothing is written.

    Only the submitted fields are checked, minus those in ``skip`` (already refused by a form), so
    one submit reports every problem together.
    """
    errors: dict[str, list[str]] = {
        name: [_("This field cannot be changed here.")] for name in sorted(set(data) - set(PROFILE_FIELDS))
    }
    checked = {name: value for name, value in data.items() if name in PROFILE_FIELDS and name not in skip}
    for name in ("last_name", "first_name"):
        if name in checked and not str(checked[name] or "").strip():
            errors[name] = [_("This field is required.")]
    candidate = copy.copy(user)
    for name, value in _profile_values(checked).items():
        setattr(candidate, name, value)
    try:
        candidate.full_clean(exclude=[field.name for field in User._meta.fields if field.name not in checked])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    return errors


def user_profile_update(*, user: User, data: dict[str, Any], request: HttpRequest | None = None) -> User:
    """Change the editable profile fields; validation errors (all of them at once) change nothing."""
    errors = user_profile_errors(user=user, data=data)
    if errors:
        raise ValidationError(errors)
    changed = []
    for name, value in _profile_values(data).items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if not changed:
        return user
    with transaction.atomic():
        user.save(update_fields=changed)
        audit_record(
            action="accounts.profile_updated", actor=user, target=user, request=request, details={"fields": changed}
        )
    return user


def _avatar_image(upload: "UploadedFile[bytes]") -> bytes:
    """Verify the upload is a real image with Pillow and shrink it to at most AVATAR_MAX_SIDE."""
    image = verified_image(
        upload, field="avatar", max_mb=settings.AVATAR_MAX_MB, max_side=settings.AVATAR_MAX_SIDE
    ).convert("RGBA")
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


def user_avatar_set(
    *, user: User, upload: "UploadedFile[bytes] | None" = None, bundled: str = "", request: HttpRequest | None = None
) -> User:
    """Use an uploaded image or one of the bundled avatars; the previous upload is deleted."""
    if upload is None and bundled not in BUNDLED_AVATARS:
        raise ValidationError({"bundled_avatar": [_("Choose one of the offered avatars.")]})
    content = _avatar_image(upload) if upload is not None else None
    old_file = (user.avatar.name or "") if user.avatar else ""
    with transaction.atomic():
        if content is not None:
            user.avatar.save("avatar.png", ContentFile(content), save=False)
            user.bundled_avatar = ""
        else:
            user.avatar = ""
            user.bundled_avatar = bundled
        user.save(update_fields=["avatar", "bundled_avatar"])
        audit_record(action="accounts.avatar_changed", actor=user, target=user, request=request)
        files_delete_on_commit(user.avatar.storage, [old_file])
    return user


def user_password_set(*, user: User, password: str, request: HttpRequest | None = None, reason: str = "change") -> User:
    """Set a new password (change or reset): other sessions and all API tokens end."""
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _tokens_revoke(user=user)
        current = request.session.session_key if request is not None and reason == "change" else None
        _sessions_end(user=user, keep=current)
        audit_record(action=f"accounts.password_{reason}", actor=user, target=user, request=request)
    return user


def user_delete(*, user: User, password: str, request: HttpRequest | None = None) -> None:
    """Delete one's own account after re-entering the password."""
    if not user.check_password(password or ""):
        raise ValidationError({"password": [_("The password is not correct.")]})
    _user_remove(user=user, actor=None, request=request)


def _user_remove(*, user: User, actor: User | None, request: HttpRequest | None) -> None:
    """The one way an account is deleted: tokens and sessions end, the avatar file goes, audited."""
    avatar_name = (user.avatar.name or "") if user.avatar else ""
    storage = user.avatar.storage
    with transaction.atomic():
        _tokens_revoke(user=user)
        _sessions_end(user=user)
        # Other apps tidy up what the account leaves behind (e.g. chat files and ownership).
        for hook in settings.ACCOUNTS_DELETE_HOOKS:
            import_string(hook)(user=user)
        audit_record(
            action="accounts.deleted", actor=actor, target=user, request=request, details={"username": user.username}
        )
        user.delete()
        files_delete_on_commit(storage, [avatar_name])


# --- Moderation (admin and managers) -------------------------------------------------------


def user_block(
    *, user: User, reason: str, until: datetime | None, actor: User | None, request: HttpRequest | None = None
) -> User:
    """Block with a reason and optional end: sessions and tokens end now; the user is emailed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give a reason for the block.")]})
    if until is not None and until <= timezone.now():
        raise ValidationError({"until": [_("The end of the block must be in the future.")]})
    with transaction.atomic():
        user.is_blocked = True
        user.blocked_reason = reason
        user.blocked_until = until
        user.blocked_at = timezone.now()
        user.save(update_fields=["is_blocked", "blocked_reason", "blocked_until", "blocked_at"])
        _tokens_revoke(user=user)
        _sessions_end(user=user)
        audit_record(
            action="accounts.blocked",
            actor=actor,
            target=user,
            request=request,
            details={"reason": reason, "until": until.isoformat() if until else None},
        )
        context = {"user": user, "reason": reason, "until": until}
        transaction.on_commit(lambda: email_send(to=[user.email], template="accounts/email/blocked", context=context))
    return user


def user_unblock(*, user: User, actor: User | None, request: HttpRequest | None = None) -> User:
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, is_blocked=True).update(
            is_blocked=False, blocked_reason="", blocked_until=None, blocked_at=None
        )
        if updated:
            audit_record(action="accounts.unblocked", actor=actor, target=user, request=request)
    user.refresh_from_db(fields=["is_blocked", "blocked_reason", "blocked_until", "blocked_at"])
    return user


def expired_blocks_lift() -> int:
    """Unblock everyone whose block end has passed. The conditional update makes reruns no-ops."""
    lifted = 0
    for user in User.objects.filter(is_blocked=True, blocked_until__lte=timezone.now()):
        with transaction.atomic():
            updated = User.objects.filter(pk=user.pk, is_blocked=True, blocked_until__lte=timezone.now()).update(
                is_blocked=False, blocked_reason="", blocked_until=None, blocked_at=None
            )
            if updated:
                audit_record(action="accounts.unblocked", target=user, details={"automatic": True})
                lifted += 1
    return lifted


# Fields whose values the audit trail names but never records (secrets).
_SECRET_FIELDS = {"password"}


def user_save_by_staff(
    *, user: User, fields: list[str], created: bool, actor: User | None, request: HttpRequest | None = None
) -> User:
    """Save an account added or edited in the admin (already validated by the admin's form).

    A new account joins the ``user`` role; an account switched off loses its sessions and tokens
    at once, as with the bulk action. The changed fields are audited (secrets only by name).
    """
    with transaction.atomic():
        was_active = not created and User.objects.filter(pk=user.pk, is_active=True).exists()
        user.save()
        if created:
            user.groups.add(Group.objects.get_or_create(name=DEFAULT_GROUP)[0])
        elif was_active and not user.is_active:
            _tokens_revoke(user=user)
            _sessions_end(user=user)
        changes = {
            name: ("***" if name in _SECRET_FIELDS else _audit_value(getattr(user, name, ""))) for name in fields
        }
        audit_record(
            action="accounts.created_by_staff" if created else "accounts.updated_by_staff",
            actor=actor,
            target=user,
            request=request,
            details={"fields": changes},
        )
    return user


def _audit_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def user_roles_set_by_staff(
    *,
    user: User,
    groups: QuerySet[Group] | list[Group],
    permissions: QuerySet[Permission] | list[Permission],
    actor: User | None,
    request: HttpRequest | None = None,
) -> User:
    """Set an account's roles (groups) and direct permissions from the admin, audited when they change.

    Every account keeps the ``user`` role (SPEC: every registered person has it).
    """
    wanted_groups = {group.pk: group for group in groups}
    default = Group.objects.get_or_create(name=DEFAULT_GROUP)[0]
    wanted_groups.setdefault(default.pk, default)
    wanted_permissions = {permission.pk: permission for permission in permissions}
    with transaction.atomic():
        current_groups = set(user.groups.values_list("pk", flat=True))
        current_permissions = set(user.user_permissions.values_list("pk", flat=True))
        if current_groups == set(wanted_groups) and current_permissions == set(wanted_permissions):
            return user
        user.groups.set(wanted_groups.values())
        user.user_permissions.set(wanted_permissions.values())
        audit_record(
            action="accounts.roles_changed",
            actor=actor,
            target=user,
            request=request,
            details={
                "groups_added": sorted(g.name for pk, g in wanted_groups.items() if pk not in current_groups),
                "groups_removed": sorted(
                    Group.objects.filter(pk__in=current_groups - set(wanted_groups)).values_list("name", flat=True)
                ),
                "permissions": sorted(p.codename for p in wanted_permissions.values()),
            },
        )
    return user


def user_password_set_by_staff(
    *, user: User, password: str | None, actor: User | None, request: HttpRequest | None = None
) -> User:
    """A superuser sets an account's password in the admin (``None``: password login disabled).

    Like a reset, the account's API tokens and other sessions end; the acting admin's own session
    survives when they change their own password.
    """
    if password is not None:
        validate_password(password, user)
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        _tokens_revoke(user=user)
        own = actor is not None and actor.pk == user.pk and request is not None
        _sessions_end(user=user, keep=request.session.session_key if own and request is not None else None)
        audit_record(
            action="accounts.password_set_by_staff",
            actor=actor,
            target=user,
            request=request,
            details={"password_login": password is not None},
        )
    return user


def superuser_ensure(*, username: str, email: str, phone: str, password: str) -> tuple[User, bool]:
    """Create the superuser unless an account with this username exists (idempotent, for ``csu``).

    The username is the operator's choice (the default "root" is a reserved word for sign-ups);
    email, phone and password follow the usual rules. Returns the account and whether it was created.
    """
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, False
    if not password:
        raise ValidationError({"password": [_("Give a password.")]})
    user = User(
        username=username,
        email=email.strip(),
        phone=normalize_phone(phone),
        is_staff=True,
        is_superuser=True,
        is_active=True,
        email_confirmed_at=timezone.now(),
    )
    user.full_clean(exclude=["username", "password"])
    validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Another csu run created it a moment ago: the command stays idempotent.
            existing = User.objects.filter(username=username).first()
            if existing is None:
                raise ValidationError(_("This username, email or phone was just registered. Try another.")) from None
            return existing, False
        user.groups.add(Group.objects.get_or_create(name=DEFAULT_GROUP)[0])
        audit_record(action="accounts.superuser_created", target=user, details={"username": username})
    return user, True


def users_set_active(
    *, users: QuerySet[User], active: bool, actor: User | None, request: HttpRequest | None = None
) -> int:
    with transaction.atomic():
        changed = list(users.exclude(is_active=active).values_list("pk", flat=True))
        User.objects.filter(pk__in=changed).update(is_active=active)
        if not active:
            for user in User.objects.filter(pk__in=changed):
                _tokens_revoke(user=user)
                _sessions_end(user=user)
        audit_record(
            action="accounts.activated" if active else "accounts.deactivated",
            actor=actor,
            request=request,
            details={"users": changed},
        )
    return len(changed)


def users_delete_inactive(
    *, users: QuerySet[User], days: int, actor: User | None, request: HttpRequest | None = None
) -> int:
    """Delete, among ``users``, accounts with no login for ``days`` days (never staff)."""
    if days < 1:
        raise ValidationError({"days": [_("Enter a number of days of at least 1.")]})
    cutoff = timezone.now() - timedelta(days=days)
    stale = users.filter(is_staff=False, is_superuser=False).filter(
        Q(last_login__lt=cutoff) | Q(last_login=None, date_joined__lt=cutoff)
    )
    with transaction.atomic():
        names = list(stale.values_list("username", flat=True))
        users_delete(users=stale, actor=actor, request=request)
        audit_record(
            action="accounts.inactive_deleted", actor=actor, request=request, details={"days": days, "users": names}
        )
    return len(names)


def users_delete(*, users: QuerySet[User], actor: User | None, request: HttpRequest | None = None) -> int:
    """Staff deletion of accounts (admin delete and bulk delete), each through ``_user_remove``."""
    deleted = 0
    with transaction.atomic():
        for user in users:
            _user_remove(user=user, actor=actor, request=request)
            deleted += 1
    return deleted


def user_test_email_send(*, user: User, actor: User | None, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        audit_record(action="accounts.test_email_sent", actor=actor, target=user, request=request)
        transaction.on_commit(
            lambda: email_send(to=[user.email], template="accounts/email/test", context={"user": user})
        )
