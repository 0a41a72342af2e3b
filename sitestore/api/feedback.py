"""Feedback API: ``/api/feedback/bot/`` (the FAQ bot) and ``/api/feedback/threads/`` (questions to the developers).

Threads are looked up among the caller's own, so another user's thread answers 404.
"""

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts.types import account_of
from core.api.pagination import CursorPagination
from sitestore import feedback_selectors as selectors
from sitestore import feedback_services as services
from sitestore.feedback_services import QUESTION_MAX, TEXT_MAX
from sitestore.models import BotMessage, Thread, ThreadMessage

# --- Serializers --------------------------------------------------------------------------------


class BotQuestionSerializer(serializers.Serializer[Any]):
    question = serializers.CharField(max_length=QUESTION_MAX, trim_whitespace=True)


class BotMessageSerializer(serializers.ModelSerializer[BotMessage]):
    class Meta:
        model = BotMessage
        fields = ["id", "question", "answer", "confident", "created_at"]
        read_only_fields = fields


class ThreadCreateSerializer(serializers.Serializer[Any]):
    # The id of one of my sites; checked by the service, which treats others' sites as missing.
    site = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    text = serializers.CharField(max_length=TEXT_MAX, trim_whitespace=True)


class ThreadReplySerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=TEXT_MAX, trim_whitespace=True)


class ThreadMessageSerializer(serializers.ModelSerializer[ThreadMessage]):
    class Meta:
        model = ThreadMessage
        fields = ["id", "text", "from_staff", "created_at"]
        read_only_fields = fields


class ThreadSerializer(serializers.ModelSerializer[Thread]):
    site_name = serializers.CharField(source="site.name", default=None, allow_null=True, read_only=True)
    message_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Thread
        fields = ["id", "subject", "status", "site", "site_name", "message_count", "created_at", "updated_at"]
        read_only_fields = fields


class ThreadDetailSerializer(ThreadSerializer):
    messages = ThreadMessageSerializer(many=True, read_only=True)

    class Meta(ThreadSerializer.Meta):
        fields = [*ThreadSerializer.Meta.fields, "messages"]
        read_only_fields = fields


# --- Views --------------------------------------------------------------------------------------


class BotConversationPagination(CursorPagination):
    """My bot conversation, newest first."""

    ordering = "-id"


@extend_schema(tags=["sitestore"])
class BotView(GenericAPIView[BotMessage]):
    """``POST {question}`` asks the FAQ bot: ``{answer, confident}``. When it is not confident the
    answer is its offer to pass the question to the developers (``POST /api/feedback/threads/``).
    ``GET`` lists my conversation, newest first."""

    serializer_class = BotMessageSerializer
    pagination_class = BotConversationPagination
    queryset = BotMessage.objects.none()

    def get_queryset(self) -> QuerySet[BotMessage]:
        if getattr(self, "swagger_fake_view", False):
            return BotMessage.objects.none()
        return selectors.bot_messages_of(account_of(self.request))

    @extend_schema(responses={200: BotMessageSerializer(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BotMessageSerializer(page, many=True).data)

    @extend_schema(request=BotQuestionSerializer, responses={200: BotMessageSerializer})
    def post(self, request: Request) -> Response:
        serializer = BotQuestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.bot_ask(user=account_of(request), question=serializer.validated_data["question"])
        return Response(BotMessageSerializer(answer).data)


@extend_schema(tags=["sitestore"])
class ThreadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Thread]):
    """My questions to the developers, latest activity first; ``POST {site?, text}`` opens one."""

    serializer_class = ThreadSerializer
    lookup_value_regex = r"\d+"
    queryset = Thread.objects.none()

    def get_queryset(self) -> QuerySet[Thread]:
        if getattr(self, "swagger_fake_view", False):
            return Thread.objects.none()
        return selectors.threads_of(account_of(self.request))

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Thread]]:
        return ThreadDetailSerializer if self.action != "list" else ThreadSerializer

    def _detail(self, thread: Thread) -> dict[str, Any]:
        # The messages come oldest first (the model's ordering), in one query.
        return ThreadDetailSerializer(self.get_queryset().get(pk=thread.pk), context={"request": self.request}).data

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._detail(self.get_object()))

    @extend_schema(request=ThreadCreateSerializer, responses={201: ThreadDetailSerializer})
    def create(self, request: Request) -> Response:
        serializer = ThreadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        thread = services.thread_open(
            user=account_of(request),
            text=serializer.validated_data["text"],
            site=serializer.validated_data.get("site"),
            request=request._request,
        )
        return Response(self._detail(thread), status=status.HTTP_201_CREATED)

    @extend_schema(request=ThreadReplySerializer, responses={201: ThreadMessageSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        thread = self.get_object()
        serializer = ThreadReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.thread_reply_by_user(
            thread=thread, user=account_of(request), text=serializer.validated_data["text"]
        )
        return Response(ThreadMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ThreadDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        thread = services.thread_close(thread=self.get_object(), actor=account_of(request), request=request._request)
        return Response(self._detail(thread))


router = SimpleRouter()
router.register("feedback/threads", ThreadViewSet, basename="api-feedback-thread")

urlpatterns = [
    path("feedback/bot/", BotView.as_view(), name="api-feedback-bot"),
    *router.urls,
]
