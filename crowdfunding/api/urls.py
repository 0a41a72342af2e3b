from django.urls import path
from rest_framework.routers import SimpleRouter

from crowdfunding.api import views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="api-project")
router.register(r"projects/(?P<project_pk>\d+)/tiers", views.RewardTierViewSet, basename="api-project-tier")
router.register("applications", views.ApplicationViewSet, basename="api-application")
router.register("promotions", views.PromotionViewSet, basename="api-promotion")
router.register("donations", views.DonationViewSet, basename="api-donation")

urlpatterns = [
    path("participants/me/", views.ParticipantMeView.as_view(), name="api-participant-me"),
    *router.urls,
]
