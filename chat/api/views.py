from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.types import account_of
from chat import selectors, services
from chat.api.serializers import (
    ChatCreateSerializer,
    ChatRenameSerializer,
    ChatSerializer,
    MemberRemoveSerializer,
    MembersAddSerializer,
    MessageCreateSerializer,
    MessageEditSerializer,
    MessageSerializer,
    message_list_data,
)
from chat.models import Chat, Membership, Message
from core.api.pagination import CursorPagination
from core.parsing import id_or_404, positive_int


def _chat(request: Request, chat_id: object) -> Chat:
    try:
        return selectors.chat_for_member(account_of(request), id_or_404(chat_id))
    except Chat.DoesNotExist:
        raise NotFound from None


def _id_param(request: Request, name: str, message: str) -> int | None:
    """A query parameter holding an object id (0 for ``after``: from the start); None when absent."""
    value = request.query_params.get(name)
    return None if value is None else positive_int(value, field=name, message=message, minimum=0)


def _with_members(queryset):
    return queryset.select_related("created_by").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user").order_by("joined_at", "id"))
    )


@extend_schema(tags=["chat"])
class ChatViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """My chats, newest activity first. Non-members get 404 for everything about a chat."""

    serializer_class = ChatSerializer
    lookup_value_regex = r"\d+"
    queryset = Chat.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Chat.objects.none()
        return _with_members(selectors.chats_of(account_of(self.request)))

    @extend_schema(request=ChatCreateSerializer, responses={201: ChatSerializer})
    def create(self, request: Request) -> Response:
        serializer = ChatCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chat = services.chat_create(creator=account_of(request), **serializer.validated_data)
        return Response(ChatSerializer(self.get_queryset().get(pk=chat.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChatRenameSerializer, responses={200: ChatSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        chat = self.get_object()
        serializer = ChatRenameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.chat_rename(chat=chat, member=account_of(request), title=serializer.validated_data["title"])
        return Response(ChatSerializer(self.get_queryset().get(pk=chat.pk)).data)

    def perform_destroy(self, chat: Chat) -> None:
        services.chat_delete(chat=chat, owner=account_of(self.request))

    @extend_schema(
        methods=["POST"], request=MembersAddSerializer, responses={200: ChatSerializer}, summary="Add members"
    )
    @extend_schema(
        methods=["DELETE"],
        request=MemberRemoveSerializer,
        responses={200: ChatSerializer, 204: None},
        summary="Remove a member (owner) or leave (your own username)",
        parameters=[OpenApiParameter("username", str, description="Instead of the body, for clients that send none.")],
    )
    @action(detail=True, methods=["post", "delete"])
    def members(self, request: Request, pk: str) -> Response:
        chat = self.get_object()
        if request.method == "POST":
            serializer: serializers.Serializer[Any] = MembersAddSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.chat_members_add(
                chat=chat, member=account_of(request), usernames=serializer.validated_data["members"]
            )
        else:
            # Some HTTP clients send no body with DELETE: the query string may carry the username.
            data = request.data or {"username": request.query_params.get("username", "")}
            serializer = MemberRemoveSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            username = serializer.validated_data["username"]
            if username == account_of(request).username:
                services.chat_leave(chat=chat, user=account_of(request))
                return Response(status=status.HTTP_204_NO_CONTENT)
            if chat.my_role != Membership.Role.OWNER:
                # Before looking the name up: a member learns nothing about who exists or belongs.
                raise PermissionDenied
            user = User.objects.filter(username=username).first()
            if user is None:
                raise ValidationError({"username": ["This user is not a member of the chat."]})
            services.chat_member_remove(chat=chat, owner=account_of(request), user=user)
        return Response(ChatSerializer(self.get_queryset().get(pk=chat.pk)).data)


class MessagePagination(CursorPagination):
    """Newest page first (``next`` goes back in time), each page ordered oldest → newest.

    With ``?after=<id>`` a client catches up instead: the first page holds the oldest messages
    after that id and ``next`` goes forward, so a poller that misses many messages loses none.
    """

    page_size = 50
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        return ("id",) if request.query_params.get("after") is not None else ("-id",)

    def page_ids(
        self, request: Request, view: APIView, *, chat_id: int, after: int | None, changed_since: datetime | None
    ) -> list[int]:
        """The page's message ids, oldest → newest; the view reads their rows (``selectors.message_rows``).

        Only the ids: "chat = X ORDER BY id" selecting only the id is an index-only scan of (chat, id).
        Asked for whole rows, PostgreSQL walks the primary key backwards instead and filters out every
        newer message of the other chats (33 ms behind 300k of them, against 0.2 ms this way;
        tests/chat/test_api.py checks the plan).
        """
        rows: Any
        if changed_since is None and request.query_params.get(self.cursor_query_param) is None:
            # A first page (the newest, or the first after ``after``): every chat opened and every poll.
            # Its ids are read in one SQL statement and handed to DRF, which needs no query for a page
            # without a cursor, so its links are DRF's own (0.4 ms less than compiling the queryset).
            size = self.get_page_size(request) or self.page_size  # the query's (clamped to 100) or 50
            ids = selectors.first_page_ids(chat_id, after=after, limit=size + 1)
            rows = _FirstPage({"id": pk} for pk in ids)
        else:
            messages = Message.objects.filter(chat_id=chat_id)
            if after is not None:
                messages = messages.filter(id__gt=after)
            if changed_since is not None:
                messages = messages.filter(changed_at__gt=changed_since)
            rows = messages.values("id")
        page = self.paginate_queryset(rows, request, view) or []
        ids = [row["id"] for row in page]
        return ids[::-1] if self.ordering[0].startswith("-") else ids


class _FirstPage(list[dict[str, int]]):
    """The rows of a first page, already read in the pagination's order (one more than the page, as DRF
    reads): without a cursor, DRF only orders its queryset and slices it."""

    def order_by(self, *fields: str) -> "_FirstPage":
        return self


@extend_schema(tags=["chat"])
class MessageViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MessageSerializer
    pagination_class = MessagePagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    lookup_value_regex = r"\d+"
    queryset = Message.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return (
            Message.objects.filter(chat__memberships__user=account_of(self.request))
            .select_related("author")
            .prefetch_related("attachments")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("chat", int, required=True, description="The chat whose messages to list."),
            OpenApiParameter(
                "after",
                int,
                description="Only messages with a larger id (new ones), oldest first; `next` then goes forward.",
            ),
            OpenApiParameter(
                "changed_since",
                OpenApiTypes.DATETIME,
                description="Only messages sent, edited or deleted after this moment (ISO 8601): how a "
                "client learns of edits and deletions. Use the largest `changed_at` it has seen.",
            ),
        ]
    )
    def list(self, request: Request) -> Response:
        if not request.query_params.get("chat"):
            raise ValidationError({"chat": [_("This parameter is required.")]})
        user = account_of(request)
        chat_id = id_or_404(_id_param(request, "chat", _("Enter a chat id.")))
        # The membership alone: no chat row, and no join to the memberships for every page.
        last_read = selectors.member_last_read(user, chat_id)
        if last_read is None:
            raise NotFound
        after = _id_param(request, "after", _("Enter a message id."))
        changed_since = request.query_params.get("changed_since")
        moment = None
        if changed_since is not None:
            try:
                moment = parse_datetime(changed_since)
            except ValueError:
                moment = None
            if moment is None:
                raise ValidationError({"changed_since": [_("Enter a date and time in ISO 8601 format.")]})
        paginator = self.paginator
        assert isinstance(paginator, MessagePagination)
        ids = paginator.page_ids(request, self, chat_id=chat_id, after=after, changed_since=moment)
        # One query for the page: the messages with their authors' names and attachments as values,
        # serialised without DRF's fields (the same JSON as ``MessageSerializer``, which the schema shows).
        page = selectors.message_rows(chat_id, ids, contiguous=moment is None)
        if page and page[-1]["id"] > last_read:
            # Every page read (also one reached through ``next`` while catching up) counts as read;
            # the mark never moves backwards, so going back to older pages (or reading the newest
            # page again) leaves it alone and costs no UPDATE.
            services.chat_mark_read(chat=chat_id, user=user, up_to=page[-1]["id"])
        return self.get_paginated_response(message_list_data(page, request=request))

    @extend_schema(
        request={"application/json": MessageCreateSerializer, "multipart/form-data": MessageCreateSerializer},
        responses={201: MessageSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chat = _chat(request, serializer.validated_data["chat"])
        # Every part named "file" or "files" (the serializer's field keeps only one "file").
        uploads = [*request.FILES.getlist("file"), *request.FILES.getlist("files")]
        message = services.message_send(
            chat=chat, author=account_of(request), text=serializer.validated_data["text"], uploads=uploads
        )
        message = self.get_queryset().get(pk=message.pk)
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MessageEditSerializer, responses={200: MessageSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = MessageEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.message_edit(
                message_id=id_or_404(pk), user=account_of(request), text=serializer.validated_data["text"]
            )
        except Message.DoesNotExist:
            raise NotFound from None
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    def destroy(self, request: Request, pk: str) -> Response:
        try:
            services.message_delete(message_id=id_or_404(pk), user=account_of(request))
        except Message.DoesNotExist:
            raise NotFound from None
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["chat"], responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
class AttachmentDownloadView(APIView):
    """Download an attachment (members only) under its original name."""

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # The file is no JSON: "Accept: application/octet-stream" must not end in 406 (errors stay JSON).
        return super().perform_content_negotiation(request, force=True)

    def get(self, request: Request, pk: int) -> FileResponse:
        try:
            return selectors.attachment_download(account_of(request), pk)
        except Http404:
            raise NotFound from None
