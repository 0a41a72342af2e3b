from django.urls import path

from mailings import views

app_name = "mailings"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("clients/", views.client_list, name="clients"),
    path("clients/new/", views.client_edit, name="client-create"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client-edit"),
    path("clients/<int:pk>/delete/", views.client_delete, name="client-delete"),
    path("clients/import/", views.client_import, name="client-import"),
    path("clients/export/", views.client_export, name="client-export"),
    path("messages/", views.message_list, name="messages"),
    path("messages/new/", views.message_edit, name="message-create"),
    path("messages/<int:pk>/edit/", views.message_edit, name="message-edit"),
    path("messages/<int:pk>/delete/", views.message_delete, name="message-delete"),
    path("list/", views.mailing_list, name="mailings"),
    path("new/", views.mailing_edit, name="mailing-create"),
    path("<int:pk>/", views.mailing_detail, name="mailing"),
    path("<int:pk>/edit/", views.mailing_edit, name="mailing-edit"),
    path("<int:pk>/delete/", views.mailing_delete, name="mailing-delete"),
    path("<int:pk>/stop/", views.mailing_stop, name="mailing-stop"),
    path("<int:pk>/resume/", views.mailing_resume, name="mailing-resume"),
    path("<int:pk>/send-now/", views.mailing_send_now, name="mailing-send-now"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/retry/", views.run_retry, name="run-retry"),
    path("runs/<int:pk>/retry-unknown/", views.run_retry_unknown, name="run-retry-unknown"),
    path("users/", views.user_list, name="users"),
    path("users/<int:pk>/block/", views.user_block, name="user-block"),
    path("users/<int:pk>/unblock/", views.user_unblock, name="user-unblock"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
