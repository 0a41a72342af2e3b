from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts.models import User, UserSession
from accounts.services import DEVICE_CLAIM


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's Bearer authentication that also refuses blocked accounts and signed-out devices at once."""

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]  # simplejwt types it generically
        user = super().get_user(validated_token)
        assert isinstance(user, User)
        if user.block_is_current:
            raise AuthenticationFailed("User is blocked", code="user_blocked")
        device = validated_token.get(DEVICE_CLAIM)
        if device is not None and not UserSession.objects.filter(pk=device, user=user).exists():
            # The device was signed out (Devices page, the device cap, logout): its tokens end now.
            raise AuthenticationFailed("Device signed out", code="device_signed_out")
        return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """Documents our subclass in the OpenAPI schema as simplejwt's Bearer JWT scheme."""

    target_class = "accounts.api.authentication.JWTAuthentication"
