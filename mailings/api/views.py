"""The mailings API (SPEC §4.6, §6): owners see and change only their own clients, messages and
mailings; managers see every mailing (read-only) and may disable any. Every rule lives in
``mailings.services``; its Django ``ValidationError``/``PermissionDenied`` become 400/403 in
``core.api.exceptions``. Objects a user may not see answer 404."""

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.types import account_of
from core.api.pagination import CursorPagination, PageNumberPagination
from core.parsing import positive_int
from mailings import selectors, services
from mailings.api.serializers import (
    AttemptSerializer,
    ClientSerializer,
    ClientWriteSerializer,
    MailingRunSerializer,
    MailingRunStatsSerializer,
    MailingSerializer,
    MailingWriteSerializer,
    MailMessageSerializer,
    MailMessageWriteSerializer,
    RetryUnknownSerializer,
)
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage

TAGS = ["mailings"]


class _OwnedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """CRUD of the signed-in user's own objects; the write serializer's data goes to a service."""

    lookup_value_regex = r"\d+"
    write_serializer_class: type
    # Each subclass changes ``instance`` with the validated data through its app's service.
    perform_write: Callable[[Any, dict[str, Any]], Any]

    def _write_data(self, request: Request, instance=None) -> dict:
        serializer = self.write_serializer_class(data=request.data, partial=instance is not None and self.partial)
        serializer.is_valid(raise_exception=True)
        if instance is None:
            return serializer.validated_data
        # A PATCH keeps the current value of every field it does not name.
        return {**self.write_serializer_class(instance).data, **serializer.validated_data}

    def _created(self, instance) -> Response:
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        self.partial = kwargs.pop("partial", False)
        instance = self.get_object()
        return Response(self.get_serializer(self.perform_write(instance, self._write_data(request, instance))).data)


@extend_schema(tags=TAGS)
class ClientViewSet(_OwnedViewSet):
    """My clients (the recipients of my mailings), by name. Someone else's answer 404."""

    serializer_class = ClientSerializer
    write_serializer_class = ClientWriteSerializer
    queryset = Client.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Client.objects.none()
        return selectors.clients_of(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        """A page of my clients. The first pages are kept serialized, with my client count, per
        owner version (every client write through ``mailings.services`` moves it on, so a change
        is seen at once): a hit reads no row and runs no ``COUNT(*)``."""
        paginator = self.paginator
        assert isinstance(paginator, PageNumberPagination)  # the default class, set in settings
        per_page = paginator.get_page_size(request) or paginator.page_size
        number = paginator.cacheable_page_number(request, pages=selectors.CLIENT_API_CACHED_PAGES)
        if number is None:
            return super().list(request, *args, **kwargs)
        owner = account_of(request)
        queryset = selectors.clients_of(owner)
        key = selectors.client_api_page_key(
            owner_id=owner.pk, version=selectors.clients_version(owner), per_page=per_page, number=number
        )
        entry = cache.get(key)
        if entry is None:
            page = paginator.page_of(queryset, request)  # validates the page number (a 400 is not kept)
            rows = self.get_serializer(list(page), many=True).data
            entry = {"count": page.paginator.count, "rows": [dict(row) for row in rows]}
            cache.set(key, entry, selectors.CLIENT_PAGE_CACHE_SECONDS)
            return self.get_paginated_response(rows)
        paginator.page_of(queryset, request, count=entry["count"])  # no query: the rows are not read
        return self.get_paginated_response(entry["rows"])

    @extend_schema(request=ClientWriteSerializer, responses={201: ClientSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        return self._created(services.client_create(owner=account_of(request), **self._write_data(request)))

    @extend_schema(request=ClientWriteSerializer, responses={200: ClientSerializer})
    def update(self, request: Request, *args, **kwargs) -> Response:
        return super().update(request, *args, **kwargs)

    @extend_schema(request=ClientWriteSerializer, responses={200: ClientSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def perform_write(self, client: Client, data: dict) -> Client:
        return services.client_update(client=client, **data)

    def perform_destroy(self, client: Client) -> None:
        services.client_delete(client=client)


@extend_schema(tags=TAGS)
class MailMessageViewSet(_OwnedViewSet):
    """My messages (subject, text body, optional HTML body), newest first. One in use cannot be deleted."""

    serializer_class = MailMessageSerializer
    write_serializer_class = MailMessageWriteSerializer
    queryset = MailMessage.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MailMessage.objects.none()
        return selectors.messages_of(self.request.user)

    @extend_schema(request=MailMessageWriteSerializer, responses={201: MailMessageSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        return self._created(services.mail_message_create(owner=account_of(request), **self._write_data(request)))

    @extend_schema(request=MailMessageWriteSerializer, responses={200: MailMessageSerializer})
    def update(self, request: Request, *args, **kwargs) -> Response:
        return super().update(request, *args, **kwargs)

    @extend_schema(request=MailMessageWriteSerializer, responses={200: MailMessageSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def perform_write(self, message: MailMessage, data: dict) -> MailMessage:
        return services.mail_message_update(message=message, **data)

    def perform_destroy(self, message: MailMessage) -> None:
        services.mail_message_delete(message=message)


@extend_schema(tags=TAGS)
class MailingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """My mailings, newest first; managers see everyone's (read-only, but they may stop any).

    The owner edits a mailing only before its first send and cannot delete a ``running`` one
    (``stop`` it first; a stopped one can be resumed or deleted).
    """

    serializer_class = MailingSerializer
    lookup_value_regex = r"\d+"
    queryset = Mailing.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Mailing.objects.none()
        return selectors.mailings_visible_to(self.request.user).prefetch_related(
            Prefetch("clients", queryset=Client.objects.only("id").order_by("id"))
        )

    def _fresh(self, mailing: Mailing) -> Mailing:
        return self.get_queryset().get(pk=mailing.pk)

    def _own(self) -> Mailing:
        """The mailing, if it is mine: for a manager, someone else's exists only to read and disable (404)."""
        mailing = self.get_object()
        if mailing.owner_id != self.request.user.pk:
            raise NotFound
        return mailing

    @extend_schema(request=MailingWriteSerializer, responses={201: MailingSerializer})
    def create(self, request: Request) -> Response:
        serializer = MailingWriteSerializer(data=request.data, context={"owner": request.user})
        serializer.is_valid(raise_exception=True)
        mailing = services.mailing_create(owner=account_of(request), **serializer.validated_data)
        return Response(self.get_serializer(self._fresh(mailing)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MailingWriteSerializer, responses={200: MailingSerializer})
    def update(self, request: Request, *args, **kwargs) -> Response:
        mailing = self._own()
        serializer = MailingWriteSerializer(
            data=request.data,
            context={"owner": request.user, "time_zone": mailing.time_zone},
            partial=kwargs.get("partial", False),
        )
        serializer.is_valid(raise_exception=True)
        services.mailing_update(mailing=mailing, actor=account_of(request), **serializer.validated_data)
        return Response(self.get_serializer(self._fresh(mailing)).data)

    @extend_schema(request=MailingWriteSerializer, responses={200: MailingSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.mailing_delete(mailing=self._own(), actor=account_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: MailingRunSerializer}, summary="Send the mailing now (owner)")
    @action(detail=True, methods=["post"], url_path="send-now")
    def send_now(self, request: Request, pk: str) -> Response:
        """Start a run now; the emails go out in the background (follow them in ``attempts``)."""
        run = services.mailing_send_now(mailing=self._own(), actor=account_of(request))
        return Response(MailingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: MailingSerializer}, summary="Stop the mailing (owner or manager)")
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str) -> Response:
        """Status ``stopped``: nothing more is scheduled or retried; a run being sent ends before
        its next recipient. Stopping a stopped mailing changes nothing; a completed one is refused."""
        mailing = services.mailing_stop(mailing=self.get_object(), actor=account_of(request))
        return Response(self.get_serializer(self._fresh(mailing)).data)

    @extend_schema(request=None, responses={200: MailingSerializer}, summary="Disable the mailing (the same as stop)")
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str) -> Response:
        """The managers' name for ``stop``, kept for existing clients of the API."""
        return MailingViewSet.stop(self, request, pk)

    @extend_schema(request=None, responses={200: MailingSerializer}, summary="Resume a stopped mailing")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        """Back to ``created`` or ``running`` with the next send time computed from now (``completed``
        when none is left); a mailing a manager disabled is resumed only by a manager."""
        mailing = services.mailing_resume(mailing=self.get_object(), actor=account_of(request))
        return Response(self.get_serializer(self._fresh(mailing)).data)

    @extend_schema(
        responses={200: MailingRunStatsSerializer(many=True)}, summary="The runs of the mailing, newest first"
    )
    @action(detail=True, methods=["get"], pagination_class=CursorPagination, filter_backends=[])
    def runs(self, request: Request, pk: str) -> Response:
        """Each run with its counts: sent, failed, skipped, unknown, pending; cursor-paginated."""
        page = self.paginate_queryset(selectors.run_summaries(self.get_object()))
        return self.get_paginated_response(MailingRunStatsSerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses={202: RetryUnknownSerializer},
        summary="Send a run's unknown deliveries again (owner)",
    )
    @action(detail=True, methods=["post"], url_path=r"runs/(?P<run_id>\d+)/retry-unknown")
    def retry_unknown(self, request: Request, pk: str, run_id: str) -> Response:
        """Deliveries whose sender died mid-conversation are never re-sent by themselves: the owner
        decides (those recipients may get the email twice)."""
        run = get_object_or_404(MailingRun.objects.select_related("mailing"), mailing=self._own(), pk=run_id)
        count = services.run_retry_unknown(run=run, actor=account_of(request))
        return Response({"resending": count}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={200: AttemptSerializer(many=True)},
        summary="The delivery log of the mailing, newest first",
        parameters=[
            OpenApiParameter("status", str, enum=Attempt.Status.values, description="Only attempts in this status."),
            OpenApiParameter("run", int, description="Only the attempts of this run."),
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=CursorPagination, filter_backends=[])
    def attempts(self, request: Request, pk: str) -> Response:
        """One row per (run, recipient): status, the server's answer, tries; cursor-paginated."""
        attempts = Attempt.objects.filter(mailing=self.get_object())
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in Attempt.Status.values:
                raise ValidationError({"status": [_("Choose one of: %s.") % ", ".join(Attempt.Status.values)]})
            attempts = attempts.filter(status=wanted)
        run = request.query_params.get("run")
        if run is not None:
            attempts = attempts.filter(run_id=positive_int(run, field="run", message=_("Enter a run id.")))
        page = self.paginate_queryset(attempts)
        return self.get_paginated_response(AttemptSerializer(page, many=True).data)
