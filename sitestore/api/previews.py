"""``POST /api/my-sites/{id}/run/`` and ``/stop/``: the owner's live preview, as ``{status, url, expires_at}``."""

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.types import account_of
from sitestore import previews, proxy, selectors, tasks
from sitestore.models import Preview, UserSite

PreviewStateSerializer = inline_serializer(
    name="PreviewState",
    fields={
        "status": serializers.ChoiceField(choices=Preview.Status.choices),
        "url": serializers.URLField(allow_null=True, help_text="The owner-only live address while running."),
        "expires_at": serializers.DateTimeField(allow_null=True, help_text="When the preview stops by itself."),
        "error": serializers.CharField(help_text="Why the start failed (status failed), else empty."),
    },
)


def preview_state(request: Request, preview: Preview | None) -> dict[str, Any]:
    running = preview is not None and preview.status == Preview.Status.RUNNING
    return {
        "status": preview.status if preview is not None else Preview.Status.STOPPED.value,
        "url": request.build_absolute_uri(proxy.live_url(preview)) if running and preview else None,
        "expires_at": preview.expires_at if running and preview else None,
        "error": preview.error if preview is not None and preview.status == Preview.Status.FAILED else "",
    }


@extend_schema(tags=["sitestore"])
class MySitePreviewViewSet(viewsets.GenericViewSet):
    """Run and stop the live preview of one of my sites; anyone else's site answers 404."""

    lookup_value_regex = r"\d+"
    queryset = UserSite.objects.none()

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return UserSite.objects.none()
        return selectors.sites_of(account_of(self.request))

    @extend_schema(request=None, responses={200: PreviewStateSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        """Start the site (400 with a message when I already run a preview or the pool is full)."""
        site = self.get_object()
        preview = tasks.preview_start_on_a_preview_host(user=account_of(request), site=site)
        return Response(preview_state(request, preview))

    @extend_schema(request=None, responses={200: PreviewStateSerializer})
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str | None = None) -> Response:
        """Stop the site's preview; stopping one that is not running changes nothing."""
        site = self.get_object()
        user = account_of(request)
        preview = previews.preview_current(user=user, site=site)
        if preview is not None:
            preview = previews.preview_stop(
                preview=preview, reason="stopped by owner", actor=user, request=request._request
            )
        return Response(preview_state(request, preview))
