"""The crowdfunding API (SPEC §6). Every write is a call to ``crowdfunding.services``, whose
``ValidationError`` (naming the field) and ``PermissionDenied`` become 400 and 403 in
``core.api.exceptions``.

Who may do what: everyone (anonymous too) reads the public projects, the top lists, a project's
tiers and its donations; everything else needs an account. A project the caller may not see (another
user's draft or a hidden one) answers 404 everywhere; a visible project that is not the caller's
answers 403 to its author's actions; applications and promotions are looked up among the caller's
own (as applicant/promoter) or their projects' (as author), so anyone else's answer 404.
"""

from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.types import account_of
from core.parsing import id_or_404
from crowdfunding import selectors, services
from crowdfunding.api.serializers import (
    ApplicationSerializer,
    ApplySerializer,
    BudgetPreviewSerializer,
    DonateSerializer,
    DonationSerializer,
    IncomingQuerySerializer,
    ParticipantProfileSerializer,
    ProjectCancelSerializer,
    ProjectListQuerySerializer,
    ProjectSerializer,
    ProjectWriteSerializer,
    PromotionSerializer,
    PromotionSubmitSerializer,
    PublicDonationSerializer,
    RewardTierSerializer,
    TopProjectsSerializer,
)
from crowdfunding.models import Application, Donation, ParticipantProfile, Project, Promotion, RewardTier

TAGS = ["crowdfunding"]


class PublicActionsPermission(BasePermission):
    """The view's ``public_actions`` for everyone, its other actions for accounts only.

    By action, not by method: a GET on a POST-only action (``donate``) must answer 401, not 405.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if view.action in view.public_actions:
            return True
        return permissions.IsAuthenticated().has_permission(request, view)


def _incoming(request: Request) -> bool:
    query = IncomingQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return bool(query.validated_data["incoming"])


def _author_only(request: Request, project: Project) -> None:
    """A visible project that is not the caller's: its author's actions are refused (403)."""
    if project.author_id != request.user.pk:
        raise PermissionDenied


# --- Participant profile ------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class ParticipantMeView(APIView):
    """My participant profile. Before I save one, ``GET`` answers 200 with an empty profile (empty
    ``skills`` and ``experience``, no professions or topics), so a client can fill in the same form."""

    def _profile(self, request: Request) -> ParticipantProfile:
        user = account_of(request)
        return selectors.participant_profile(user) or ParticipantProfile(user=user, skills="", experience="")

    @extend_schema(responses={200: ParticipantProfileSerializer})
    def get(self, request: Request) -> Response:
        return Response(ParticipantProfileSerializer(self._profile(request)).data)

    def _save(self, request: Request, *, partial: bool) -> Response:
        serializer = ParticipantProfileSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        profile = services.participant_profile_save(
            user=account_of(request), data=dict(serializer.validated_data), request=request._request
        )
        return Response(ParticipantProfileSerializer(profile).data)

    @extend_schema(request=ParticipantProfileSerializer, responses={200: ParticipantProfileSerializer})
    def put(self, request: Request) -> Response:
        return self._save(request, partial=False)

    @extend_schema(request=ParticipantProfileSerializer(partial=True), responses={200: ParticipantProfileSerializer})
    def patch(self, request: Request) -> Response:
        return self._save(request, partial=True)


# --- Projects -----------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Project]):
    """Public projects (published, not hidden) for everyone; ``?mine=1`` lists my own, drafts included.
    Another user's draft answers 404. I create drafts, change my own (a field locked once the
    project is active answers 400 naming it), publish and cancel them; anyone signed in donates to
    and applies to an active project of someone else. The cover image is uploaded on the project's
    edit page; here it is read-only (its URL, or null)."""

    serializer_class = ProjectSerializer
    permission_classes = [PublicActionsPermission]
    public_actions = {"list", "retrieve", "top", "donations"}
    lookup_value_regex = r"\d+"
    filter_backends: list[Any] = []
    queryset = Project.objects.none()

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        query = ProjectListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        if filters["mine"]:
            if not self.request.user.is_authenticated:
                # The list is public, but "my projects" needs to know who I am.
                self.permission_denied(self.request)
            projects = selectors.my_project_list(
                author=account_of(self.request),
                topic=filters.get("topic"),
                status=filters.get("status"),
                sort=filters["ordering"],
            )
        else:
            projects = selectors.project_list(
                topic=filters.get("topic"), status=filters.get("status"), sort=filters["ordering"]
            )
        return projects.prefetch_related("roles")

    def get_object(self) -> Project:
        return selectors.project_visible_or_404(viewer=self.request.user, project_id=self.kwargs["pk"])

    def _own(self) -> Project:
        project = self.get_object()
        _author_only(self.request, project)
        return project

    def _read(self, project: Project, status_code: int = status.HTTP_200_OK) -> Response:
        # Read back with its roles: the services may have replaced them.
        prefetch_related_objects([project], "roles")
        return Response(ProjectSerializer(project, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(parameters=[ProjectListQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._read(self.get_object())

    @extend_schema(request=ProjectWriteSerializer, responses={201: ProjectSerializer})
    def create(self, request: Request) -> Response:
        serializer = ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(
            author=account_of(request), data=dict(serializer.validated_data), request=request._request
        )
        return self._read(project, status.HTTP_201_CREATED)

    def _update(self, request: Request, *, partial: bool) -> Response:
        project = self._own()
        serializer = ProjectWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        project = services.project_update(
            project=project, actor=account_of(request), data=dict(serializer.validated_data), request=request._request
        )
        return self._read(project)

    @extend_schema(request=ProjectWriteSerializer, responses={200: ProjectSerializer})
    def update(self, request: Request, pk: str) -> Response:
        """Replace my project's fields (``specialists`` replaces the whole team: a role left out has none)."""
        return self._update(request, partial=False)

    @extend_schema(request=ProjectWriteSerializer(partial=True), responses={200: ProjectSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the fields given; ``specialists``, when given, replaces the whole team."""
        return self._update(request, partial=True)

    @extend_schema(request=ProjectWriteSerializer, responses={200: BudgetPreviewSerializer})
    @action(detail=False, methods=["post"], url_path="budget-preview", url_name="budget-preview")
    def budget_preview(self, request: Request) -> Response:
        """The budget of a project body, as ``{"budget": {...}}``, validated like a create; nothing is saved."""
        serializer = ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        budget = services.budget_preview(data=dict(serializer.validated_data))
        return Response(BudgetPreviewSerializer({"budget": budget}).data)

    @extend_schema(responses={200: TopProjectsSerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def top(self, request: Request) -> Response:
        """The top 5 open projects by overall rating and the top 5 by followers rating."""
        top = selectors.top_projects()
        prefetch_related_objects([*top["overall"], *top["followers"]], "roles")
        return Response(TopProjectsSerializer(top, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """Open my draft for donations and applications; its budget fields and deadline are locked from now on."""
        project = services.project_publish(project=self._own(), actor=account_of(request), request=request._request)
        return self._read(project)

    @extend_schema(request=ProjectCancelSerializer, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel my draft or active project; its pledges are refunded and the donors told."""
        project = self._own()
        serializer = ProjectCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_cancel(
            project=project,
            actor=account_of(request),
            reason=serializer.validated_data["reason"],
            request=request._request,
        )
        return self._read(project)

    @extend_schema(request=DonateSerializer, responses={201: DonationSerializer})
    @action(detail=True, methods=["post"])
    def donate(self, request: Request, pk: str) -> Response:
        """Donate freely (``amount``), pre-order (``quantity`` × product price) or on a tier (``tier``,
        ``amount`` at least its minimum); the project's ``raised`` grows by the amount."""
        project = self.get_object()
        serializer = DonateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        tier = None
        if data.get("tier") is not None:
            tier = selectors.project_tiers(project=project).filter(pk=data["tier"]).first()
            if tier is None:
                raise ValidationError({"tier": [_("This project has no such reward tier.")]})
        donation = services.donation_make(
            project=project,
            donor=account_of(request),
            kind=data["kind"],
            amount=data.get("amount"),
            quantity=data.get("quantity"),
            tier=tier,
            anonymous=data["anonymous"],
            comment=data["comment"],
            request=request._request,
        )
        return Response(DonationSerializer(donation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: PublicDonationSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def donations(self, request: Request, pk: str) -> Response:
        """The project's donations, newest first; an anonymous donor is "Anonymous", never named."""
        queryset = selectors.project_donations_public(project=self.get_object())
        # The view's own helpers are typed for projects; its paginator pages any rows.
        paginator = self.paginator
        assert paginator is not None
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(PublicDonationSerializer(page, many=True).data)

    @extend_schema(request=ApplySerializer, responses={201: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str) -> Response:
        """Apply for a specialist role with an open seat among my professions, or as a ``follower``."""
        project = self.get_object()
        serializer = ApplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_submit(
            project=project,
            applicant=account_of(request),
            role=serializer.validated_data["role"],
            message=serializer.validated_data["message"],
            request=request._request,
        )
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, parameters=[OpenApiParameter("project_pk", int, OpenApiParameter.PATH)])
class RewardTierViewSet(viewsets.ModelViewSet[RewardTier]):
    """A project's reward tiers, cheapest first, for everyone who may see the project; its author
    adds, changes (a quantity never below the tiers claimed) and deletes (only unclaimed) them."""

    serializer_class = RewardTierSerializer
    permission_classes = [PublicActionsPermission]
    public_actions = {"list", "retrieve"}
    lookup_value_regex = r"\d+"
    filter_backends: list[Any] = []
    queryset = RewardTier.objects.none()

    def _project(self) -> Project:
        return selectors.project_visible_or_404(viewer=self.request.user, project_id=self.kwargs["project_pk"])

    def get_queryset(self) -> QuerySet[RewardTier]:
        if getattr(self, "swagger_fake_view", False):
            return RewardTier.objects.none()
        return selectors.project_tiers(project=self._project())

    def get_object(self) -> RewardTier:
        tier = self.get_queryset().filter(pk=id_or_404(self.kwargs["pk"])).select_related("project").first()
        if tier is None:
            raise Http404
        if self.action not in self.public_actions:
            _author_only(self.request, tier.project)
        return tier

    def _write_data(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = RewardTierSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(request=RewardTierSerializer, responses={201: RewardTierSerializer})
    def create(self, request: Request, project_pk: str) -> Response:
        project = self._project()
        _author_only(request, project)
        tier = services.tier_create(
            project=project,
            actor=account_of(request),
            data=self._write_data(request, partial=False),
            request=request._request,
        )
        return Response(RewardTierSerializer(tier).data, status=status.HTTP_201_CREATED)

    def _update(self, request: Request, *, partial: bool) -> Response:
        tier = self.get_object()
        tier = services.tier_update(
            tier=tier,
            actor=account_of(request),
            data=self._write_data(request, partial=partial),
            request=request._request,
        )
        return Response(RewardTierSerializer(tier).data)

    def update(self, request: Request, project_pk: str, pk: str) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, project_pk: str, pk: str) -> Response:
        return self._update(request, partial=True)

    def perform_destroy(self, tier: RewardTier) -> None:
        services.tier_delete(tier=tier, actor=account_of(self.request), request=self.request._request)


# --- My applications, promotions and donations --------------------------------------------------


@extend_schema(tags=TAGS)
class ApplicationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Application]):
    """My applications, newest first; ``?incoming=1``: the applications to my projects. Their
    author accepts or rejects them, the applicant withdraws a pending one; anyone else gets 404."""

    serializer_class = ApplicationSerializer
    lookup_value_regex = r"\d+"
    filter_backends: list[Any] = []
    queryset = Application.objects.none()

    def get_queryset(self) -> QuerySet[Application]:
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        user = account_of(self.request)
        if _incoming(self.request):
            return selectors.incoming_applications(author=user)
        return selectors.my_applications(user=user)

    @extend_schema(parameters=[IncomingQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _as_author(self, pk: str) -> Application:
        return selectors.application_for_author_or_404(author=account_of(self.request), application_id=pk)

    @extend_schema(request=None, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Accept an application to my project: the applicant takes a seat (400 when none is open)."""
        application = services.application_accept(
            application=self._as_author(pk), actor=account_of(request), request=request._request
        )
        return Response(ApplicationSerializer(application).data)

    @extend_schema(request=None, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        application = services.application_reject(
            application=self._as_author(pk), actor=account_of(request), request=request._request
        )
        return Response(ApplicationSerializer(application).data)

    @extend_schema(request=None, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        """Withdraw my pending application."""
        user = account_of(request)
        application = selectors.application_own_or_404(applicant=user, application_id=pk)
        application = services.application_withdraw(application=application, actor=user, request=request._request)
        return Response(ApplicationSerializer(application).data)


@extend_schema(tags=TAGS)
class PromotionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Promotion]):
    """My promotion posts, newest first; ``?incoming=1``: those about my projects. An accepted
    follower submits one (``project, platform, url``); the project's author approves or rejects it."""

    serializer_class = PromotionSerializer
    lookup_value_regex = r"\d+"
    filter_backends: list[Any] = []
    queryset = Promotion.objects.none()

    def get_queryset(self) -> QuerySet[Promotion]:
        if getattr(self, "swagger_fake_view", False):
            return Promotion.objects.none()
        user = account_of(self.request)
        if _incoming(self.request):
            return selectors.incoming_promotions(author=user)
        return selectors.my_promotions(user=user)

    @extend_schema(parameters=[IncomingQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PromotionSubmitSerializer, responses={201: PromotionSerializer})
    def create(self, request: Request) -> Response:
        serializer = PromotionSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project = selectors.projects_public().filter(pk=data["project"]).first()
        if project is None:
            raise ValidationError({"project": [_("There is no such project.")]})
        promotion = services.promotion_submit(
            project=project,
            promoter=account_of(request),
            platform=data["platform"],
            url=data["url"],
            request=request._request,
        )
        return Response(PromotionSerializer(promotion).data, status=status.HTTP_201_CREATED)

    def _as_author(self, pk: str) -> Promotion:
        return selectors.promotion_for_author_or_404(author=account_of(self.request), promotion_id=pk)

    @extend_schema(request=None, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve a post about my project: it counts towards the promotion rating."""
        promotion = services.promotion_approve(
            promotion=self._as_author(pk), actor=account_of(request), request=request._request
        )
        return Response(PromotionSerializer(promotion).data)

    @extend_schema(request=None, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        promotion = services.promotion_reject(
            promotion=self._as_author(pk), actor=account_of(request), request=request._request
        )
        return Response(PromotionSerializer(promotion).data)


@extend_schema(tags=TAGS)
class DonationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Donation]):
    """My donations, newest first, anonymous ones included (only I see that they are mine)."""

    serializer_class = DonationSerializer
    filter_backends: list[Any] = []
    queryset = Donation.objects.none()

    def get_queryset(self) -> QuerySet[Donation]:
        if getattr(self, "swagger_fake_view", False):
            return Donation.objects.none()
        return selectors.my_donations(user=account_of(self.request))
