from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts import services
from accounts.models import User, UserSession


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=30)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=30)
    last_name = serializers.CharField(max_length=150)
    first_name = serializers.CharField(max_length=150)
    middle_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    password_confirm = serializers.CharField(write_only=True, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["password"] != attrs["password_confirm"]:
            raise serializers.ValidationError({"password_confirm": [_("The two passwords do not match.")]})
        return attrs


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


class UserMeSerializer(serializers.ModelSerializer):
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
