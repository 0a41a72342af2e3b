"""Reads of the crowdfunding section: visibility, lists and rankings, teams, backers and money.

The rankings read the ratings stored on each project (refreshed by the services in the transaction
of every change), so the section home costs the same few queries whatever the number of projects.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.parsing import id_or_404
from core.registry import ProfilePanel
from crowdfunding.budget import FOLLOWERS_WANTED, Budget, budget_compute
from crowdfunding.models import (
    FOLLOWER,
    Application,
    Donation,
    ParticipantProfile,
    Project,
    ProjectRole,
    Promotion,
    RewardTier,
    Role,
    Topic,
)

TOP_SIZE = 5
PERSONAL_TOP_SIZE = 3
SORTS = ("newest", "ending", "funded", "rating")
# The public name of a donation whose donor asked to stay anonymous (or deleted their account).
ANONYMOUS = gettext_lazy("Anonymous")

Viewer = User | AnonymousUser


def projects_public() -> QuerySet[Project]:
    """Projects everyone may see: published once (a draft cancelled unpublished stays private) and
    not hidden by moderators."""
    return Project.objects.filter(published_at__isnull=False, is_hidden=False)


def projects_ranked() -> QuerySet[Project]:
    """The projects the rankings choose from: open for money and people."""
    return Project.objects.filter(status=Project.Status.ACTIVE, is_hidden=False).select_related("author")


def _visible_to(viewer: Viewer) -> Q:
    visible = Q(published_at__isnull=False, is_hidden=False)
    if viewer.is_authenticated:
        visible |= Q(author_id=viewer.pk)
    return visible


def project_visible_or_404(*, viewer: Viewer, project_id: object) -> Project:
    """A public project, or the viewer's own draft or hidden one; anything else is a 404."""
    project = Project.objects.filter(_visible_to(viewer), pk=id_or_404(project_id)).select_related("author").first()
    if project is None:
        raise Http404
    return project


def project_own_or_404(*, author: Viewer, project_id: object) -> Project:
    """The author's own project in any status; another user's (or a missing one) is a 404."""
    project = Project.objects.filter(pk=id_or_404(project_id), author_id=author.pk).select_related("author").first()
    if project is None:
        raise Http404
    return project


def project_list(*, topic: str | None = None, status: str | None = None, sort: str = "newest") -> QuerySet[Project]:
    """Public projects filtered by topic and status (the callers' forms refuse unknown values), sorted."""
    return projects_sorted(_filtered(projects_public(), topic=topic, status=status), sort=sort)


def _filtered(projects: QuerySet[Project], *, topic: str | None, status: str | None) -> QuerySet[Project]:
    projects = projects.select_related("author")
    if topic:
        projects = projects.filter(topic=topic)
    if status:
        projects = projects.filter(status=status)
    return projects


def _top(projects: QuerySet[Project], field: str, size: int = TOP_SIZE) -> list[Project]:
    return list(projects.order_by(f"-{field}", "-id")[:size])


def top_projects() -> dict[str, list[Project]]:
    """The top 5 open projects by overall rating and by followers rating (two queries)."""
    ranked = projects_ranked()
    return {"overall": _top(ranked, "rating_overall"), "followers": _top(ranked, "rating_followers")}


def participant_profile(user: Viewer) -> ParticipantProfile | None:
    if not user.is_authenticated:
        return None
    return ParticipantProfile.objects.filter(user_id=user.pk).first()


def top_by_topics(topics: Iterable[str]) -> list[tuple[str, Promise | str, list[Project]]]:
    """The top 3 open projects of each topic, in one query (a window ranks them within each topic)."""
    chosen = [topic for topic in Topic.values if topic in set(topics)]
    if not chosen:
        return []
    ranked = (
        projects_ranked()
        .filter(topic__in=chosen)
        .annotate(
            place=Window(RowNumber(), partition_by=[F("topic")], order_by=[F("rating_overall").desc(), F("id").desc()])
        )
        .filter(place__lte=PERSONAL_TOP_SIZE)
        .order_by("topic", "place")
    )
    by_topic: dict[str, list[Project]] = {topic: [] for topic in chosen}
    for project in ranked:
        by_topic[project.topic].append(project)
    labels = dict(Topic.choices)
    return [(topic, labels[topic], by_topic[topic]) for topic in chosen]


def top_for_professions(professions: Iterable[str]) -> list[Project]:
    """The top 3 open projects by specialists rating with an open seat for one of ``professions``."""
    chosen = [role for role in professions if role in Role.values]
    if not chosen:
        return []
    open_seat = ProjectRole.objects.filter(project=OuterRef("pk"), role__in=chosen, seats_taken__lt=F("headcount"))
    return _top(projects_ranked().filter(Exists(open_seat)), "rating_specialists", PERSONAL_TOP_SIZE)


def section_home(*, viewer: Viewer) -> dict[str, Any]:
    """Everything the section home shows; a constant number of queries whatever the data size."""
    sections: dict[str, Any] = {**top_projects(), "profile": None, "by_topic": [], "for_professions": []}
    profile = participant_profile(viewer)
    if profile is not None:
        sections["profile"] = profile
        sections["by_topic"] = top_by_topics(profile.topics)
        sections["for_professions"] = top_for_professions(profile.professions)
    return sections


def project_roles(*, project: Project) -> list[ProjectRole]:
    return list(project.roles.all())


def project_budget(*, project: Project, roles: Iterable[ProjectRole] | None = None) -> Budget:
    """The budget breakdown of a stored project (the same function the services store it with)."""
    roles = project_roles(project=project) if roles is None else roles
    return budget_compute(
        months=project.months,
        sites=len(project.sites),
        posts_per_month=project.posts_per_month,
        author_price=project.author_price,
        specialists={role.role: (role.headcount, role.salary) for role in roles},
    )


def project_specialists(*, roles: Iterable[ProjectRole]) -> dict[str, dict[str, int]]:
    """The SPEC §6 ``specialists`` shape: ``{role: {"count": n, "salary": s}}`` for the roles with a headcount."""
    return {role.role: {"count": role.headcount, "salary": role.salary} for role in roles}


def project_team(*, project: Project) -> list[dict[str, Any]]:
    """Per specialist role: headcount, salary, seats taken and open, and the accepted members (two queries).

    Only the team is listed: nothing here says whether a member also donated (anonymous donors stay so).
    """
    accepted = (
        Application.objects.filter(project=project, status=Application.Status.ACCEPTED)
        .exclude(role=FOLLOWER)
        .select_related("applicant")
        .order_by("decided_at", "id")
    )
    members: dict[str, list[Application]] = {}
    for application in accepted:
        members.setdefault(application.role, []).append(application)
    labels = dict(Role.choices)
    order = {role: index for index, role in enumerate(Role.values)}
    roles = sorted(project_roles(project=project), key=lambda role: order[role.role])
    return [
        {
            "role": role.role,
            "label": labels[role.role],
            "headcount": role.headcount,
            "salary": role.salary,
            "seats_taken": role.seats_taken,
            "open_seats": role.open_seats,
            "members": [application.applicant for application in members.get(role.role, [])],
        }
        for role in roles
    ]


def project_followers(*, project: Project, limit: int = 50) -> list[User]:
    """The accepted promoters of a project, first joined first (bounded)."""
    applications = (
        Application.objects.filter(project=project, role=FOLLOWER, status=Application.Status.ACCEPTED)
        .select_related("applicant")
        .order_by("decided_at", "id")[:limit]
    )
    return [application.applicant for application in applications]


def donor_name(donation: Donation) -> str | Promise:
    """How a donation is signed in public: the donor's username, or "Anonymous"."""
    if donation.anonymous or donation.donor is None:
        return ANONYMOUS
    return donation.donor.username


def project_backers(*, project: Project, limit: int = 20) -> list[dict[str, Any]]:
    """The latest donations as the public sees them: an anonymous donor is never named (one query)."""
    donations = (
        Donation.objects.filter(project=project)
        .exclude(status=Donation.Status.REFUNDED)
        .select_related("donor", "tier")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        {
            "name": donor_name(donation),
            "anonymous": donation.anonymous or donation.donor is None,
            "kind": donation.kind,
            "kind_label": donation.get_kind_display(),
            "amount": donation.amount,
            "tier": donation.tier.title if donation.tier else "",
            "comment": donation.comment,
            "created_at": donation.created_at,
        }
        for donation in donations
    ]


def project_money(*, project: Project) -> dict[str, int]:
    """The author's money view: raised, committed (the accepted team's salaries, joined followers' pay), remaining."""
    budget = project_budget(project=project)
    salaries = (
        Application.objects.filter(project=project, status=Application.Status.ACCEPTED)
        .exclude(role=FOLLOWER)
        .aggregate(total=Sum("salary"))["total"]
        or 0
    )
    team_pay = salaries * project.months
    follower_pay = budget.follower_pay * project.followers_joined
    committed = team_pay + follower_pay
    return {
        "raised": project.raised,
        "goal": project.goal,
        "team_pay": team_pay,
        "follower_pay": follower_pay,
        "committed": committed,
        "remaining": project.raised - committed,
    }


def project_promotions(*, project: Project, approved_only: bool = True) -> QuerySet[Promotion]:
    promotions = Promotion.objects.filter(project=project).select_related("promoter")
    if approved_only:
        promotions = promotions.filter(status=Promotion.Status.APPROVED)
    return promotions.order_by("-created_at", "-id")


def applicant_roles(*, project: Project, user: Viewer) -> list[str]:
    """What ``user`` may apply for now: open roles among their professions, and ``follower`` while the pool has room."""
    if not user.is_authenticated or user.pk == project.author_id or project.status != Project.Status.ACTIVE:
        return []
    profile = participant_profile(user)
    professions = set(profile.professions) if profile else set()
    taken = set(
        Application.objects.filter(
            project=project,
            applicant_id=user.pk,
            status__in=[Application.Status.PENDING, Application.Status.ACCEPTED],
        ).values_list("role", flat=True)
    )
    roles = [
        role.role
        for role in project.roles.filter(seats_taken__lt=F("headcount"))
        if role.role in professions and role.role not in taken
    ]
    if project.followers_joined < FOLLOWERS_WANTED and FOLLOWER not in taken:
        roles.append(FOLLOWER)
    return roles


def is_accepted_follower(*, project: Project, user: Viewer) -> bool:
    return bool(
        user.is_authenticated
        and Application.objects.filter(
            project=project, applicant_id=user.pk, role=FOLLOWER, status=Application.Status.ACCEPTED
        ).exists()
    )


def my_projects(*, user: User) -> QuerySet[Project]:
    return Project.objects.filter(author=user).order_by("-created_at", "-id")


def my_donations(*, user: User) -> QuerySet[Donation]:
    return Donation.objects.filter(donor=user).select_related("project", "tier").order_by("-created_at", "-id")


def my_applications(*, user: User) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).select_related("project").order_by("-created_at", "-id")


def my_promotions(*, user: User) -> QuerySet[Promotion]:
    return Promotion.objects.filter(promoter=user).select_related("project").order_by("-created_at", "-id")


def incoming_applications(*, author: User) -> QuerySet[Application]:
    """Applications to the author's projects, newest first."""
    return (
        Application.objects.filter(project__author=author)
        .select_related("project", "applicant")
        .order_by("-created_at", "-id")
    )


def incoming_promotions(*, author: User) -> QuerySet[Promotion]:
    return (
        Promotion.objects.filter(project__author=author)
        .select_related("project", "promoter")
        .order_by("-created_at", "-id")
    )


def application_for_author_or_404(*, author: Viewer, application_id: object) -> Application:
    """An application to one of the author's projects; anything else is a 404."""
    application = (
        Application.objects.filter(pk=id_or_404(application_id), project__author_id=author.pk)
        .select_related("project", "applicant")
        .first()
    )
    if application is None:
        raise Http404
    return application


def application_own_or_404(*, applicant: Viewer, application_id: object) -> Application:
    """One of the applicant's own applications; anything else is a 404."""
    application = (
        Application.objects.filter(pk=id_or_404(application_id), applicant_id=applicant.pk)
        .select_related("project")
        .first()
    )
    if application is None:
        raise Http404
    return application


def promotion_for_author_or_404(*, author: Viewer, promotion_id: object) -> Promotion:
    """A promotion of one of the author's projects; anything else is a 404."""
    promotion = (
        Promotion.objects.filter(pk=id_or_404(promotion_id), project__author_id=author.pk)
        .select_related("project", "promoter")
        .first()
    )
    if promotion is None:
        raise Http404
    return promotion


def home_stats() -> "list[tuple[str | Promise, int]]":
    """Numbers for the crowdfunding widget on the platform home page (one query)."""
    totals = Project.objects.filter(is_hidden=False).aggregate(
        active=Count("id", filter=Q(status=Project.Status.ACTIVE)),
        funded=Count("id", filter=Q(status=Project.Status.FUNDED)),
        raised=Sum("raised", filter=Q(status__in=[Project.Status.ACTIVE, Project.Status.FUNDED])),
    )
    return [
        (gettext_lazy("Open projects"), totals["active"]),
        (gettext_lazy("Funded projects"), totals["funded"]),
        (gettext_lazy("Raised"), totals["raised"] or 0),
    ]


def profile_panel(*, viewer: Viewer, person: User) -> ProfilePanel | None:
    """``person``'s participant profile and public projects, for their public profile page."""
    profile = ParticipantProfile.objects.filter(user=person).first()
    projects = list(projects_public().filter(author=person).order_by("-published_at", "-id")[: PERSONAL_TOP_SIZE * 2])
    if profile is None and not projects:
        return None
    labels_roles = dict(Role.choices)
    labels_topics = dict(Topic.choices)
    return ProfilePanel(
        "crowdfunding/profile_panel.html",
        {
            "profile": profile,
            "professions": [labels_roles[role] for role in profile.professions if role in labels_roles]
            if profile
            else [],
            "topics": [labels_topics[topic] for topic in profile.topics if topic in labels_topics] if profile else [],
            "projects": projects,
        },
    )


def tier_own_or_404(*, author: Viewer, project_id: object, tier_id: object) -> RewardTier:
    """A reward tier of one of the author's projects, addressed through that project; anything else is a 404."""
    tier = (
        RewardTier.objects.filter(pk=id_or_404(tier_id), project_id=id_or_404(project_id), project__author_id=author.pk)
        .select_related("project")
        .first()
    )
    if tier is None:
        raise Http404
    return tier


def projects_sorted(projects: QuerySet[Project], *, sort: str) -> QuerySet[Project]:
    """``projects`` in one of SORTS."""
    if sort == "ending":
        # Open projects first, nearest deadline first; closed ones after them.
        return projects.annotate(closed=~Q(status=Project.Status.ACTIVE)).order_by("closed", "deadline", "-id")
    if sort == "funded":
        return projects.order_by("-raised", "-id")
    if sort == "rating":
        return projects.order_by("-rating_overall", "-id")
    # Newest published first; among an author's own, the unpublished drafts come first.
    return projects.order_by(F("published_at").desc(nulls_first=True), "-created_at", "-id")


def my_project_list(
    *, author: User, topic: str | None = None, status: str | None = None, sort: str = "newest"
) -> QuerySet[Project]:
    """The author's own projects in any status (drafts and hidden ones too), filtered and sorted like
    ``project_list``."""
    return projects_sorted(_filtered(Project.objects.filter(author=author), topic=topic, status=status), sort=sort)


def project_tiers(*, project: Project) -> QuerySet[RewardTier]:
    """A project's reward tiers, cheapest first."""
    return RewardTier.objects.filter(project=project).order_by("min_amount", "id")


def project_donations_public(*, project: Project) -> QuerySet[Donation]:
    """A project's donations as the public lists them (refunded ones left out), newest first; name
    each with ``donor_name`` so that an anonymous donor is never named."""
    return (
        Donation.objects.filter(project=project)
        .exclude(status=Donation.Status.REFUNDED)
        .select_related("donor", "tier")
        .order_by("-created_at", "-id")
    )
