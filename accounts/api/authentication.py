from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts.models import User


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's Bearer authentication that also refuses blocked accounts at once."""

    def get_user(self, validated_token) -> User:
        user = super().get_user(validated_token)
        if user.block_is_current:
            raise AuthenticationFailed("User is blocked", code="user_blocked")
        return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """Documents our subclass in the OpenAPI schema as simplejwt's Bearer JWT scheme."""

    target_class = JWTAuthentication
