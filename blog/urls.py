from django.urls import path

from blog import views

app_name = "blog"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_create, name="new"),
    path("<slug:slug>/", views.article_detail, name="detail"),
    path("<slug:slug>/edit/", views.article_edit, name="edit"),
    path("<slug:slug>/delete/", views.article_delete, name="delete"),
    path("<slug:slug>/publish/", views.article_publish, name="publish"),
    path("<slug:slug>/unpublish/", views.article_unpublish, name="unpublish"),
]
