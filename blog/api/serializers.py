from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from blog.models import Article
from blog.services import BODY_MAX, TITLE_MAX


class ArticleSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text=_("The article's page on the site."))

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "body",
            "image",
            "author",
            "is_published",
            "published_at",
            "publish_at",
            "views",
            "created_at",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    def get_author(self, article: Article) -> str | None:
        return article.author.get_full_name() if article.author else None

    def get_url(self, article: Article) -> str:
        request = self.context.get("request")
        path = article.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class ArticleWriteSerializer(serializers.Serializer):
    """What blog managers send; the rules themselves are checked by ``blog.services``."""

    title = serializers.CharField(max_length=TITLE_MAX)
    body = serializers.CharField(max_length=BODY_MAX)
    is_published = serializers.BooleanField(default=False)
    publish_at = serializers.DateTimeField(required=False, allow_null=True)
    image = serializers.ImageField(
        required=False, allow_null=True, help_text=_("multipart only; null removes the image (PATCH).")
    )
