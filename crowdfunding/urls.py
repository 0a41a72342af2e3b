"""The crowdfunding pages, mounted at /crowdfunding/ (its API lives in crowdfunding/api/)."""

from django.urls import path

from crowdfunding import views

app_name = "crowdfunding"

# Each part of the section adds its own pages here: the public pages and the author's forms, then
# the participant's "My …" pages and the author's manage page.
urlpatterns: list = []

# Section home, the project list, the project page with its forms, create/edit with the live budget preview.
urlpatterns += [
    path("", views.home, name="home"),
    path("projects/", views.project_list, name="list"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/budget-preview/", views.budget_preview, name="budget-preview"),
    path("projects/<int:project_id>/", views.project_detail, name="detail"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="edit"),
    path("projects/<int:project_id>/publish/", views.project_publish, name="publish"),
    path("projects/<int:project_id>/donate/", views.donate, name="donate"),
    path("projects/<int:project_id>/apply/", views.apply, name="apply"),
    path("projects/<int:project_id>/promotions/", views.promotion_submit, name="promotion-submit"),
]
