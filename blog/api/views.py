from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.types import account_of
from blog import selectors, services
from blog.api.serializers import ArticleSerializer, ArticleWriteSerializer
from blog.cache import cache_version
from blog.models import Article
from core.api.pagination import PageNumberPagination
from core.cache import versioned_get_or_set
from core.permissions import IsBlogManager, is_blog_manager


class ReadForAllWriteForBlogManagers(IsBlogManager):
    """Anyone (anonymous included) reads; only blog managers write (anonymous: 401, others: 403)."""

    def has_permission(self, request: Request, view: object) -> bool:
        return request.method in permissions.SAFE_METHODS or super().has_permission(request, view)


@extend_schema(tags=["blog"])
class ArticleViewSet(viewsets.ModelViewSet):
    """Published articles, newest first, for everyone; blog managers also see drafts (which are 404
    for everyone else) and create (``title, body, is_published``), change and delete articles."""

    serializer_class = ArticleSerializer
    permission_classes = [ReadForAllWriteForBlogManagers]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = Article.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Article.objects.none()
        return selectors.visible_articles(self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        if is_blog_manager(request.user):
            return super().list(request, *args, **kwargs)
        return self._public_page(request)

    def _public_page(self, request: Request) -> Response:
        """A page of the published list, the same for every reader: its first pages are kept
        serialized, with the exact count, per blog version (every article write through
        ``blog.services`` replaces it, so a change is seen at once). A hit runs no ``COUNT(*)`` and
        no serializer; one query reads what changes without a new version: the view counts and
        the authors' names."""
        paginator = self.paginator
        assert isinstance(paginator, PageNumberPagination)  # the default class, set in settings
        queryset = selectors.published_articles()  # what get_queryset() gives a reader (checked above)
        per_page = paginator.get_page_size(request) or paginator.page_size
        number = paginator.cacheable_page_number(request, pages=selectors.API_CACHED_PAGES)
        if number is None:
            return super().list(request)
        key = selectors.api_page_key(
            base=request.build_absolute_uri("/"), per_page=per_page, number=number, version=cache_version()
        )
        computed: list[Any] = []

        def serialized_page() -> dict[str, Any]:
            page = paginator.page_of(queryset, request)  # validates the page number (a 400 is not kept)
            computed.append(self.get_serializer(list(page), many=True).data)
            return {"count": page.paginator.count, "rows": [dict(row) for row in computed[0]]}

        # Kept in this process's memory too (the key holds the version): a hit unpickles nothing.
        entry = versioned_get_or_set(key, serialized_page, timeout=settings.BLOG_LIST_CACHE_SECONDS)
        if computed:  # just read and serialized: fresh as it is
            return self.get_paginated_response(computed[0])
        paginator.page_of(queryset, request, count=entry["count"])  # no query: the rows are not read
        live = selectors.api_live_fields([row["id"] for row in entry["rows"]])
        results: list[dict[str, Any]] = []
        for row in entry["rows"]:
            if row["id"] in live:  # deleted since: the version has moved on, but not yet in this read
                views, author = live[row["id"]]
                results.append({**row, "views": views, "author": author})
        return self.get_paginated_response(results)

    def _read(self, article: Article) -> dict:
        return ArticleSerializer(self.get_queryset().get(pk=article.pk), context=self.get_serializer_context()).data

    @extend_schema(request=ArticleWriteSerializer, responses={201: ArticleSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = ArticleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.article_create(
            actor=account_of(request), request=request._request, **serializer.validated_data
        )
        return Response(self._read(article), status=status.HTTP_201_CREATED)

    @extend_schema(request=ArticleWriteSerializer(partial=True), responses={200: ArticleSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        article = self.get_object()
        serializer = ArticleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {name: value for name, value in serializer.validated_data.items() if name in request.data}
        services.article_update(article=article, actor=account_of(request), data=data, request=request._request)
        return Response(self._read(article))

    def perform_destroy(self, article: Article) -> None:
        services.article_delete(article=article, actor=account_of(self.request), request=self.request._request)
