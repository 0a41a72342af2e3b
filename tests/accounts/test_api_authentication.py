"""The API's JWT authentication: one query for a signed-in device, and every refusal still holds."""

import pytest
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import AccessToken

from accounts.api.authentication import JWTAuthentication
from accounts.models import User, UserSession
from accounts.services import DEVICE_CLAIM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def device_of(user: User) -> UserSession:
    return UserSession.objects.create(user=user, kind=UserSession.Kind.API, refresh_jti=f"jti-{user.pk}")


def request_with(token: AccessToken) -> Request:
    return Request(RequestFactory().get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def token_for(user: User, device: UserSession | None) -> AccessToken:
    token = AccessToken.for_user(user)
    if device is not None:
        token[DEVICE_CLAIM] = device.pk
    return token


def refusal_code(token: AccessToken) -> str:
    with pytest.raises(AuthenticationFailed) as refused:
        JWTAuthentication().authenticate(request_with(token))
    detail = refused.value.detail
    assert isinstance(detail, dict)  # simplejwt answers with a dict holding its code
    return str(detail["code"])


def test_a_signed_in_device_is_authenticated_in_one_query(django_assert_num_queries):
    user = UserFactory()
    token = token_for(user, device_of(user))

    with django_assert_num_queries(1):
        authenticated, _token = JWTAuthentication().authenticate(request_with(token))

    assert authenticated == user


def test_a_token_naming_another_users_device_is_refused():
    user, other = UserFactory(), UserFactory()
    token = token_for(user, device_of(other))

    assert refusal_code(token) == "device_signed_out"


def test_a_token_of_a_signed_out_device_is_refused():
    user = UserFactory()
    device = device_of(user)
    token = token_for(user, device)
    device.delete()

    assert refusal_code(token) == "device_signed_out"


def test_a_token_of_a_deleted_user_is_refused():
    user = UserFactory()
    token = token_for(user, device_of(user))
    User.objects.filter(pk=user.pk).delete()

    assert refusal_code(token) == "user_not_found"


def test_a_token_of_a_deactivated_user_is_refused():
    user = UserFactory()
    token = token_for(user, device_of(user))
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert refusal_code(token) == "user_inactive"


def test_a_token_issued_before_a_password_change_is_refused():
    user = UserFactory()
    token = token_for(user, device_of(user))
    user.set_password("An0ther-Secret!")
    user.save(update_fields=["password"])

    assert refusal_code(token) == "password_changed"


def test_a_token_of_a_blocked_user_is_refused_with_or_without_a_device():
    user = UserFactory()
    with_device, without_device = token_for(user, device_of(user)), token_for(user, None)
    User.objects.filter(pk=user.pk).update(is_blocked=True)

    assert refusal_code(with_device) == "user_blocked"
    assert refusal_code(without_device) == "user_blocked"


def test_a_token_without_a_device_still_authenticates_its_user():
    user = UserFactory()

    authenticated, _token = JWTAuthentication().authenticate(request_with(token_for(user, None)))

    assert authenticated == user
