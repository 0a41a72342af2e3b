from rest_framework.routers import SimpleRouter

from sitestore.api import feedback, previews, views

router = SimpleRouter()
router.register("site-templates", views.SiteTemplateViewSet, basename="api-site-template")
router.register("my-sites", views.MySiteViewSet, basename="api-my-site")
# Only detail actions (run, stop): the routes above keep the list and the detail.
router.register("my-sites", previews.MySitePreviewViewSet, basename="api-my-site-preview")

urlpatterns = [
    *router.urls,
    *feedback.urlpatterns,
]
