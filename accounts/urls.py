from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("confirm/", views.confirm, name="confirm"),
    path("confirm/<str:uidb64>/<str:code>/", views.confirm_link, name="confirm-link"),
    path("confirm-resend/", views.resend, name="confirm-resend"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/avatar/", views.avatar, name="avatar"),
    path("profile/password/", views.password_change, name="password-change"),
    path("profile/devices/", views.devices, name="devices"),
    path("profile/devices/sign-out-others/", views.devices_sign_out_others, name="devices-sign-out-others"),
    path("profile/devices/<int:pk>/sign-out/", views.device_sign_out, name="device-sign-out"),
    path("profile/delete/", views.delete_account, name="delete"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password-reset-complete",
    ),
    path("users/<str:username>/", views.public_profile, name="public-profile"),
]
