from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts import services
from accounts.models import User, UserSession


def _readable_values(serializer: serializers.Serializer, data: Any, errors: dict[str, Any]) -> dict[str, Any]:
    """The submitted fields that passed their own checks, when others did not."""
    values: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        return values
    for name, field in serializer.fields.items():
        if field.read_only or name in errors or name not in data:
            continue
        try:
            values[name] = field.run_validation(data[name])
        except (serializers.ValidationError, DjangoValidationError):
            continue
    return values


def _merged(errors: dict[str, Any], found: dict[str, list[str]]) -> dict[str, Any]:
    for field, messages in found.items():
        errors[field] = [*errors.get(field, []), *messages]
    return errors


class AllErrorsMixin:
    """Every field's problems in one answer: the service also checks what the serializer could read.

    DRF stops at the fields' own errors; ``service_errors(attrs, skip)`` adds what the service would
    refuse among the fields that passed (``skip``: those that did not).
    """

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        try:
            attrs: dict[str, Any] = super().to_internal_value(data)  # type: ignore[misc]  # a Serializer's
            errors: dict[str, Any] = {}
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            errors = dict(error.detail)
            attrs = _readable_values(self, data, errors)  # type: ignore[arg-type]  # mixed into a Serializer
        errors = _merged(errors, self.service_errors(attrs, skip=set(errors)))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def service_errors(self, attrs: dict[str, Any], *, skip: set[str]) -> dict[str, list[str]]:
        """What the service would refuse among ``attrs`` (every serializer using the mixin says)."""
        raise NotImplementedError(f"{type(self).__name__} uses AllErrorsMixin without service_errors()")


class RegisterSerializer(AllErrorsMixin, serializers.Serializer):
    username = serializers.CharField(max_length=30)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=30)
    last_name = serializers.CharField(max_length=150)
    first_name = serializers.CharField(max_length=150)
    middle_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    password_confirm = serializers.CharField(write_only=True, trim_whitespace=False)

    def service_errors(self, attrs: dict[str, Any], *, skip: set[str]) -> dict[str, list[str]]:
        fields = {name: value for name, value in attrs.items() if name != "password_confirm"}
        found = services.user_registration_errors(**fields, skip=skip)
        if attrs.get("password") and attrs.get("password_confirm") and attrs["password"] != attrs["password_confirm"]:
            found["password_confirm"] = [str(_("The two passwords do not match."))]
        return found


class ConfirmSerializer(serializers.Serializer):
    email = serializers.EmailField()
    code = serializers.CharField(min_length=6, max_length=6)


class ResendSerializer(serializers.Serializer):
    email = serializers.EmailField()


class LoginSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text=_("Email, phone or username."))
    password = serializers.CharField(trim_whitespace=False)


class UsernameLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254)
    password = serializers.CharField(trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshTokenSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's rotating refresh that refuses deleted and blocked accounts with a 401.

    simplejwt 5.5 answers the token of a deleted account with a 500 and still refreshes a
    blocked one whose tokens were not revoked.
    """

    def validate(self, attrs: dict) -> dict:
        user_id: Any = self.token_class(attrs["refresh"]).payload.get(jwt_settings.USER_ID_CLAIM)
        user = User.objects.filter(pk=user_id).first()
        if user is None or not user.is_active or user.block_is_current:
            raise AuthenticationFailed(str(self.error_messages["no_active_account"]), "no_active_account")
        payload = self.token_class(attrs["refresh"]).payload
        device = payload.get(services.DEVICE_CLAIM)
        if device is not None and not UserSession.objects.filter(pk=device, user=user).exists():
            # The device was signed out or expired: its token chain ends with it.
            raise AuthenticationFailed(str(self.error_messages["no_active_account"]), "no_active_account")
        old_jti: Any = payload.get(jwt_settings.JTI_CLAIM)
        data = super().validate(attrs)
        # The device listed on the Devices page follows its token through the rotation.
        # simplejwt declares a Token, but reads the encoded string too.
        new_jti: Any = self.token_class(data["refresh"]).payload.get(jwt_settings.JTI_CLAIM)  # type: ignore[arg-type]
        request = self.context.get("request")
        services.refresh_token_rotated(
            user_id=user.pk, old_jti=old_jti, new_jti=new_jti, request=getattr(request, "_request", request)
        )
        return data


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False)


class UserPublicSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    avatar_url = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "middle_name", "full_name", "avatar_url"]
        read_only_fields = fields


class UserMeSerializer(AllErrorsMixin, serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    avatar_url = serializers.CharField(read_only=True)
    groups: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "phone",
            "last_name",
            "first_name",
            "middle_name",
            "full_name",
            "birth_date",
            "newsletter",
            "avatar_url",
            "groups",
            "date_joined",
        ]
        read_only_fields = ["id", "username", "email", "full_name", "avatar_url", "groups", "date_joined"]
        # Validation of these lives in the service (phone normalisation, uniqueness); the raw
        # input may be longer than the stored "+7XXXXXXXXXX" ("+7 (912) 345-67-89").
        extra_kwargs = {"phone": {"validators": [], "max_length": 30}}

    def service_errors(self, attrs: dict[str, Any], *, skip: set[str]) -> dict[str, list[str]]:
        # Only PATCH /api/users/me/ writes through this serializer, always with the account as instance.
        assert isinstance(self.instance, User)
        return services.user_profile_errors(user=self.instance, data=attrs, skip=skip)
