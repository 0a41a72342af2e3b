from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.chat_list, name="list"),
    path("new/", views.chat_create, name="create"),
    path("<int:pk>/", views.chat_detail, name="detail"),
    path("<int:pk>/send/", views.message_send, name="send"),
    path("<int:pk>/poll/", views.poll, name="poll"),
    path("<int:pk>/edit/", views.chat_edit, name="edit"),
    path("messages/<int:pk>/edit/", views.message_edit, name="message-edit"),
    path("messages/<int:pk>/delete/", views.message_delete, name="message-delete"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
