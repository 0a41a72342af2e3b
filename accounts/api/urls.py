from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="api-register"),
    path("auth/confirm/", views.ConfirmView.as_view(), name="api-confirm"),
    path("auth/confirm/resend/", views.ResendView.as_view(), name="api-confirm-resend"),
    path("auth/login/", views.LoginView.as_view(), name="api-login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="api-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="api-logout"),
    path("users/login/", views.UsernameLoginView.as_view(), name="api-users-login"),
    path("users/me/", views.MeView.as_view(), name="api-users-me"),
    path("users/", views.UserListView.as_view(), name="api-users"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="api-user-detail"),
]
