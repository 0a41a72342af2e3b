"""The crowdfunding pages, mounted at /crowdfunding/ (its API lives in crowdfunding/api/)."""

from django.urls import path

from crowdfunding import account_views, views

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

# The participant's own pages (profile, my projects, donations, team roles, promotions) and the author's manage page.
urlpatterns += [
    path("profile/", account_views.participant_profile, name="participant-profile"),
    path("my/projects/", account_views.my_projects, name="my-projects"),
    path("my/donations/", account_views.my_donations, name="my-donations"),
    path("my/roles/", account_views.my_roles, name="my-roles"),
    path("my/promotions/", account_views.my_promotions, name="my-promotions"),
    path(
        "applications/<int:application_id>/withdraw/", account_views.application_withdraw, name="application-withdraw"
    ),
    path("projects/<int:project_id>/manage/", account_views.manage, name="manage"),
    path("projects/<int:project_id>/cancel/", account_views.project_cancel, name="cancel"),
    path("projects/<int:project_id>/tiers/add/", account_views.tier_add, name="tier-add"),
    path("projects/<int:project_id>/tiers/<int:tier_id>/edit/", account_views.tier_edit, name="tier-edit"),
    path("projects/<int:project_id>/tiers/<int:tier_id>/delete/", account_views.tier_delete, name="tier-delete"),
    path("applications/<int:application_id>/accept/", account_views.application_accept, name="application-accept"),
    path("applications/<int:application_id>/reject/", account_views.application_reject, name="application-reject"),
    path("promotions/<int:promotion_id>/approve/", account_views.promotion_approve, name="promotion-approve"),
    path("promotions/<int:promotion_id>/reject/", account_views.promotion_reject, name="promotion-reject"),
]
