"""Every API route lives under /api/; each app contributes its own ``api/urls.py``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("accounts.api.urls")),
    path("", include("shop.api.urls")),
    path("", include("chat.api.urls")),
    path("", include("mailings.api.urls")),
    path("", include("blog.api.urls")),
    path("", include("sitestore.api.urls")),
    path("", include("crowdfunding.api.urls")),
]
