from django.http import HttpRequest
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenRefreshView

from accounts import selectors, services
from accounts.api.serializers import (
    ConfirmSerializer,
    LoginSerializer,
    PasswordSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
    ResendSerializer,
    TokenPairSerializer,
    TokenRefreshSerializer,
    UserMeSerializer,
    UsernameLoginSerializer,
    UserPublicSerializer,
)
from accounts.types import account_of

MessageSerializer = inline_serializer(
    "Message", {"code": serializers.IntegerField(), "message": serializers.CharField()}
)


class AuthView(APIView):
    """Public authentication endpoints: no credentials needed, stricter throttle."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"


def _django_request(request: Request) -> HttpRequest:
    # django-axes keeps its lock-out flags on Django's request, which its middleware reads.
    return request._request


def _login_response(request: Request, login: str, password: str) -> Response:
    django_request = _django_request(request)
    try:
        user = services.login_attempt(request=django_request, login=login, password=password)
    except services.LoginBlocked as error:
        return Response(
            {
                "code": 403,
                "message": error.message,
                "reason": error.reason,
                "blocked_until": error.until.isoformat() if error.until else None,
            },
            status=403,
        )
    except services.LoginError as error:
        # Wrong credentials answer 400: 401 is kept for calls made without valid credentials.
        status_code = 400 if error.status == 401 else error.status
        return Response({"code": status_code, "message": error.message}, status=status_code)
    return Response(services.token_pair_issue(request=django_request, user=user))


class RegisterView(AuthView):
    @extend_schema(request=RegisterSerializer, responses={201: UserMeSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("password_confirm")
        user = services.user_register(**data, request=_django_request(request))
        return Response(UserMeSerializer(user).data, status=status.HTTP_201_CREATED)


class ConfirmView(AuthView):
    @extend_schema(request=ConfirmSerializer, responses={200: UserMeSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = ConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.email_confirmation_confirm(**serializer.validated_data, request=_django_request(request))
        return Response(UserMeSerializer(user).data)


class ResendView(AuthView):
    @extend_schema(request=ResendSerializer, responses={202: MessageSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = ResendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.email_confirmation_resend(email=serializer.validated_data["email"])
        return Response({"code": 202, "message": "If the email awaits confirmation, a new code is sent."}, status=202)


class LoginView(AuthView):
    @extend_schema(request=LoginSerializer, responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _login_response(request, serializer.validated_data["login"], serializer.validated_data["password"])


class UsernameLoginView(AuthView):
    """Kept for the messenger's clients: the same as /api/auth/login/ with a ``username`` field."""

    @extend_schema(request=UsernameLoginSerializer, responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = UsernameLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _login_response(request, serializer.validated_data["username"], serializer.validated_data["password"])


@extend_schema(request=RefreshTokenSerializer, responses={200: TokenPairSerializer}, tags=["auth"])
class RefreshView(TokenRefreshView):
    """Rotates: answers a new access and a new refresh token; the old refresh is blacklisted."""

    serializer_class = TokenRefreshSerializer
    throttle_scope = "auth"


class LogoutView(APIView):
    @extend_schema(request=RefreshTokenSerializer, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.refresh_token_revoke(token=serializer.validated_data["refresh"], user=account_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserMeSerializer}, tags=["users"])
    def get(self, request: Request) -> Response:
        return Response(UserMeSerializer(request.user).data)

    @extend_schema(request=UserMeSerializer, responses={200: UserMeSerializer}, tags=["users"])
    def patch(self, request: Request) -> Response:
        serializer = UserMeSerializer(account_of(request), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_profile_update(
            user=account_of(request), data=dict(serializer.validated_data), request=_django_request(request)
        )
        return Response(UserMeSerializer(user).data)

    @extend_schema(request=PasswordSerializer, responses={204: None}, tags=["users"])
    def delete(self, request: Request) -> Response:
        serializer = PasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete(
            user=account_of(request), password=serializer.validated_data["password"], request=_django_request(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    parameters=[OpenApiParameter("search", str, description="Usernames starting with this text.")],
    tags=["users"],
)
class UserListView(generics.ListAPIView):
    serializer_class = UserPublicSerializer

    def get_queryset(self):
        return selectors.user_search(query=self.request.query_params.get("search", ""))


@extend_schema(tags=["users"])
class UserDetailView(generics.RetrieveAPIView):
    serializer_class = UserPublicSerializer

    def get_queryset(self):
        return selectors.user_search()
