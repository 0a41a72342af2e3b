from django.templatetags.static import static
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sitestore.models import SiteTemplate, UserSite


class SiteTemplateSerializer(serializers.ModelSerializer):
    screenshots = serializers.SerializerMethodField()

    class Meta:
        model = SiteTemplate
        fields = [
            "id",
            "name",
            "slug",
            "kind",
            "about",
            "explanation",
            "price",
            "purchases",
            "features",
            "screenshots",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_screenshots(self, template: SiteTemplate) -> list[str]:
        """Static URLs of the screenshots (the model keeps their static paths)."""
        return [static(path) for path in template.screenshots]


class SiteTemplateBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SiteTemplate
        fields = ["id", "name", "slug", "kind"]
        read_only_fields = fields


class UserSiteSerializer(serializers.ModelSerializer):
    template = SiteTemplateBriefSerializer(read_only=True)

    class Meta:
        model = UserSite
        # Never the directory: URLs and answers carry ids, not paths.
        fields = ["id", "name", "about", "stage", "started_at", "template"]
        read_only_fields = fields
