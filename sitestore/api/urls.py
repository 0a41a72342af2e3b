from rest_framework.routers import SimpleRouter

from sitestore.api import feedback, views

router = SimpleRouter()
router.register("site-templates", views.SiteTemplateViewSet, basename="api-site-template")
router.register("my-sites", views.MySiteViewSet, basename="api-my-site")

urlpatterns = [
    *router.urls,
    *feedback.urlpatterns,
]
