from rest_framework.routers import SimpleRouter

from blog.api import views

router = SimpleRouter()
router.register("articles", views.ArticleViewSet, basename="api-article")

urlpatterns = router.urls
