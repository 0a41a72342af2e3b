"""The project's URLs plus uploaded media, for the browser tests' live server only.

The test settings run with ``DEBUG = False``, so ``config.urls`` does not serve ``MEDIA_URL``;
without this, an uploaded avatar would show as a broken image in the browser.
"""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from config.urls import handler404, handler500
from config.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]

urlpatterns = [
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    *project_urlpatterns,
]
