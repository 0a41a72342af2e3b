"""Root URL configuration: HTML pages, the admin and the API."""

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from accounts.views import logout_view
from core.views import admin_login, public_media

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Every login, the admin's included, goes through our login view so that lock-out, blocks,
    # the session cap and the audit trail apply to it.
    path("admin/login/", admin_login),
    path("admin/logout/", logout_view),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("shop/", include("shop.urls")),
    path("chat/", include("chat.urls")),
    path("blog/", include("blog.urls")),
    path("mailings/", include("mailings.urls")),
    path("sites/", include("sitestore.urls")),
    path("crowdfunding/", include("crowdfunding.urls")),
    path("", include("core.urls")),
]

if settings.SERVE_PUBLIC_MEDIA:
    # Only public uploads (avatars, product images); private files are served by permission-checked
    # views and never from MEDIA_URL. Large deployments serve these from the proxy or object storage.
    public_prefixes = "|".join(re.escape(prefix) for prefix in settings.PUBLIC_MEDIA_PREFIXES)
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.strip('/'))}/(?P<path>(?:{public_prefixes}).*)$",
            public_media,
            name="public-media",
        )
    ]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
