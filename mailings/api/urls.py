from rest_framework.routers import SimpleRouter

from mailings.api import views

router = SimpleRouter()
router.register("clients", views.ClientViewSet, basename="api-mail-client")
router.register("mail-messages", views.MailMessageViewSet, basename="api-mail-message")
router.register("mailings", views.MailingViewSet, basename="api-mailing")

urlpatterns = router.urls
