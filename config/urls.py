"""Root URL configuration: HTML pages, the admin and the API."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.views import logout_view

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Every login, the admin's included, goes through our login view so that lock-out, blocks,
    # the session cap and the audit trail apply to it.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/logout/", logout_view),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("core.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
