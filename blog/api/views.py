from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.types import account_of
from blog import selectors, services
from blog.api.serializers import ArticleSerializer, ArticleWriteSerializer
from blog.models import Article
from core.permissions import IsBlogManager


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
