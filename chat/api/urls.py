from django.urls import path
from rest_framework.routers import SimpleRouter

from chat.api import views

router = SimpleRouter()
router.register("chats", views.ChatViewSet, basename="api-chat")
router.register("messages", views.MessageViewSet, basename="api-message")

urlpatterns = [
    path("attachments/<int:pk>/", views.AttachmentDownloadView.as_view(), name="api-attachment-download"),
    *router.urls,
]
