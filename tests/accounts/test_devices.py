"""Devices: browser sessions and API refresh tokens share the cap, are listed and can be signed out."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.middleware import SEEN_SESSION_KEY
from accounts.models import User, UserSession
from core.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

DEVICES = reverse("accounts:devices")
OTHERS = reverse("accounts:devices-sign-out-others")


def web_device(user: User, agent: str = "Firefox") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    response = client.post(reverse("accounts:login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def api_device(user: User, agent: str = "AgoraApp/1.0") -> dict:
    response = APIClient(HTTP_USER_AGENT=agent).post("/api/auth/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()


def refresh(tokens: dict):
    return APIClient().post("/api/auth/refresh/", {"refresh": tokens["refresh"]})


def signed_in(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def test_an_api_login_counts_towards_the_cap_and_ends_the_oldest_browser(user):
    oldest, newer = web_device(user), web_device(user)
    tokens = api_device(user)

    api_device(user)

    assert UserSession.objects.filter(user=user).count() == 3
    assert not signed_in(oldest)
    assert signed_in(newer)
    assert refresh(tokens).status_code == 200


def test_a_browser_login_ends_the_oldest_api_token(user):
    oldest = api_device(user)
    api_device(user)
    web_device(user)

    web_device(user)

    assert UserSession.objects.filter(user=user).count() == 3
    assert refresh(oldest).status_code == 401
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    assert UserSession.objects.filter(user=user, kind="api").count() == 1


def test_refreshing_keeps_one_device_that_follows_its_token(user):
    tokens = api_device(user)
    device = UserSession.objects.get(user=user)
    UserSession.objects.filter(pk=device.pk).update(last_used_at=timezone.now() - timedelta(hours=1))

    first_jti = device.refresh_jti

    rotated = refresh(tokens).json()
    assert refresh(rotated).status_code == 200

    device.refresh_from_db()
    assert UserSession.objects.filter(user=user).count() == 1
    assert device.last_used_at > timezone.now() - timedelta(minutes=1)
    assert device.refresh_jti != first_jti
    assert refresh(tokens).status_code == 401  # rotated away


def test_the_devices_page_lists_browsers_and_api_clients(user):
    client = web_device(user, agent="Firefox 130")
    api_device(user, agent="AgoraApp/2.1")

    response = client.get(DEVICES)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Firefox 130" in content and "AgoraApp/2.1" in content
    assert "API client" in content and "browser" in content
    assert "127.0.0.1" in content
    assert "this browser" in content
    assert len(response.context["devices"]) == 2


def test_signing_out_an_api_device_blacklists_its_token(user):
    client = web_device(user)
    tokens = api_device(user)
    device = UserSession.objects.get(user=user, kind="api")

    response = client.post(reverse("accounts:device-sign-out", args=[device.pk]))

    assert response.status_code == 302
    assert not UserSession.objects.filter(pk=device.pk).exists()
    assert refresh(tokens).status_code == 401
    assert signed_in(client)
    assert AuditEvent.objects.filter(action="accounts.device_signed_out", actor=user).exists()


def test_signing_out_a_browser_ends_its_session(user):
    laptop, phone = web_device(user), web_device(user)
    device = UserSession.objects.get(session_key=phone.session.session_key)

    laptop.post(reverse("accounts:device-sign-out", args=[device.pk]))

    assert not signed_in(phone)
    assert not Session.objects.filter(session_key=device.session_key).exists()
    assert signed_in(laptop)


def test_signing_out_this_browser_from_the_list_logs_out(user):
    client = web_device(user)
    device = UserSession.objects.get(user=user)

    client.post(reverse("accounts:device-sign-out", args=[device.pk]))

    assert not signed_in(client)
    assert not UserSession.objects.filter(user=user).exists()


def test_someone_elses_device_answers_404_and_stays_signed_in(user, other_user):
    client = web_device(user)
    theirs = web_device(other_user)
    their_tokens = api_device(other_user)

    for device in UserSession.objects.filter(user=other_user):
        assert client.post(reverse("accounts:device-sign-out", args=[device.pk])).status_code == 404

    assert UserSession.objects.filter(user=other_user).count() == 2
    assert signed_in(theirs)
    assert refresh(their_tokens).status_code == 200


def test_signing_out_all_other_devices_keeps_only_this_browser(user, other_user):
    client = web_device(user)
    other_browser = web_device(user)
    tokens = api_device(user)
    bystander = web_device(other_user)

    response = client.post(OTHERS, follow=True)

    assert "2 other devices are signed out." in response.content.decode()
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
    assert not signed_in(other_browser)
    assert refresh(tokens).status_code == 401
    assert signed_in(client) and signed_in(bystander)


def test_device_pages_need_post_and_a_signed_in_user(user):
    client = web_device(user)
    device = UserSession.objects.get(user=user)
    assert client.get(reverse("accounts:device-sign-out", args=[device.pk])).status_code == 405
    assert client.get(OTHERS).status_code == 405
    assert Client().get(DEVICES).status_code == 302


def test_api_logout_removes_the_device(user):
    tokens = api_device(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 204

    assert not UserSession.objects.filter(user=user).exists()


def test_a_browser_last_use_is_recorded_now_and_then(settings, user):
    client = web_device(user)
    device = UserSession.objects.get(user=user)
    UserSession.objects.filter(pk=device.pk).update(last_used_at=timezone.now() - timedelta(days=1))
    session = client.session
    session[SEEN_SESSION_KEY] = 0
    session.save()
    settings.ACCOUNTS_DEVICE_SEEN_INTERVAL = 300

    client.get(reverse("accounts:profile"))
    device.refresh_from_db()
    first = device.last_used_at
    client.get(reverse("accounts:profile"))
    device.refresh_from_db()

    assert first > timezone.now() - timedelta(minutes=1)
    assert device.last_used_at == first  # not written again within the interval


def bearer(tokens: dict) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def test_the_access_token_of_a_signed_out_device_stops_at_once(user):
    client = web_device(user)
    tokens = api_device(user)
    assert bearer(tokens).get("/api/users/me/").status_code == 200
    device = UserSession.objects.get(user=user, kind="api")

    client.post(reverse("accounts:device-sign-out", args=[device.pk]))

    response = bearer(tokens).get("/api/users/me/")
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Unauthorized"}


def test_the_access_token_of_a_device_ended_by_the_cap_stops_and_rotated_ones_keep_working(user):
    oldest = api_device(user)
    kept = api_device(user)
    rotated = refresh(kept).json()
    api_device(user)
    api_device(user)

    assert bearer(oldest).get("/api/users/me/").status_code == 401
    assert bearer(rotated).get("/api/users/me/").status_code == 200


def test_devices_whose_session_or_token_expired_are_not_listed_and_do_not_count(user):
    expired_browser = web_device(user)
    expired_app = api_device(user)
    Session.objects.filter(session_key=expired_browser.session.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    OutstandingToken.objects.filter(jti=UserSession.objects.get(user=user, kind="api").refresh_jti).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client = web_device(user)
    assert len(client.get(DEVICES).context["devices"]) == 1

    kept = [api_device(user), api_device(user)]

    assert UserSession.objects.filter(user=user).count() == 3
    assert signed_in(client)
    assert all(refresh(tokens).status_code == 200 for tokens in kept)
    assert refresh(expired_app).status_code == 401
