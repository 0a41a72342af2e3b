from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.types import account_of
from sitestore import selectors, services
from sitestore.api.serializers import SiteTemplateSerializer, UserSiteSerializer
from sitestore.models import UserSite


@extend_schema(tags=["sitestore"])
class SiteTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Published site templates; unpublished ones answer 404. ``POST {id}/buy/`` buys one."""

    serializer_class = SiteTemplateSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.templates_published()

    @extend_schema(request=None, responses={201: UserSiteSerializer})
    @action(detail=True, methods=["post"])
    def buy(self, request: Request, pk: str | None = None) -> Response:
        site = services.template_buy(user=account_of(request), template=self.get_object(), request=request._request)
        return Response(UserSiteSerializer(site).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["sitestore"])
class MySiteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The sites I bought; anyone else's answer 404. ``GET {id}/download/`` streams a zip."""

    serializer_class = UserSiteSerializer
    lookup_value_regex = r"\d+"
    queryset = UserSite.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UserSite.objects.none()
        return selectors.sites_of(account_of(self.request))

    @extend_schema(
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The site's files.")}
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> StreamingHttpResponse:
        site = self.get_object()
        response = StreamingHttpResponse(selectors.site_zip_stream(site), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{selectors.site_zip_filename(site)}"'
        return response
