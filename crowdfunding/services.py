"""Every write of the crowdfunding section goes through these functions (SPEC §4.5).

Counters that concurrent requests change — seats taken, followers joined, tier claims, raised money
and pre-ordered products — only move with conditional ``F()`` updates: of two requests racing for
the last seat (or the last reward), the database lets exactly one UPDATE match, on SQLite and
PostgreSQL alike. The stored budget and ratings are recomputed (``project_ratings_refresh``) in the
transaction of every change that affects them, so pages and rankings only read them.
"""

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.images import jpeg_bytes, verified_image
from core.services import audit_record, changes_apply, fields_check
from core.storage import files_delete_on_commit
from crowdfunding import budget, emails
from crowdfunding.models import (
    FOLLOWER,
    HEADCOUNT_MAX,
    SALARY_MAX,
    SALARY_MIN,
    Application,
    Donation,
    ParticipantProfile,
    Platform,
    Project,
    ProjectRole,
    Promotion,
    RewardTier,
    Role,
    Topic,
)

logger = logging.getLogger(__name__)

PROJECT_FIELDS = (
    "blog_name",
    "idea",
    "topic",
    "product_name",
    "author_price",
    "posts_per_month",
    "sites",
    "months",
    "deadline",
    "specialists",
)
# The fields a model field validates (type, length, range, choices); sites and specialists are lists
# and maps the services check themselves.
PROJECT_SCALAR_FIELDS = (
    "blog_name",
    "idea",
    "topic",
    "product_name",
    "author_price",
    "posts_per_month",
    "months",
    "deadline",
)
# What the budget depends on, and the deadline: fixed once donors have seen the goal (SPEC: "goal
# and deadline are locked once a project is active"). The topic too: donors and applicants chose
# the project in its topic's ranking. An active project's author still edits the blog's name, idea,
# product name, cover and reward tiers.
LOCKED_WHEN_ACTIVE = ("months", "sites", "posts_per_month", "specialists", "author_price", "deadline", "topic")
BUDGET_FIELDS = ("months", "sites", "posts_per_month", "author_price", "specialists")
PROFILE_FIELDS = ("skills", "experience", "professions", "topics")
TIER_FIELDS = ("title", "description", "min_amount", "quantity")
DEADLINE_MIN_AHEAD = timedelta(hours=1)
DEADLINE_MAX_AHEAD = timedelta(days=365)
DONATION_MAX = 10_000_000
PREORDER_QUANTITY_MAX = 100
TIER_QUANTITY_MAX = 1_000_000
# Reward tiers a project may offer: every one is listed on the project page.
TIERS_MAX = 20
# Posts one promoter may have waiting for the author's decision on one project.
PENDING_POSTS_MAX = 20
COVER_MAX_MB = 5
COVER_MAX_SIDE = 1600
# Stored under the field's upload_to with a unique suffix; this only carries the extension.
COVER_NAME = "cover.jpg"
CLOSED_STATUSES = (Project.Status.FUNDED, Project.Status.FAILED, Project.Status.CANCELLED)

Specialists = dict[str, tuple[int, int]]


# --- Checking input --------------------------------------------------------------------------


def _whole(value: object) -> int | None:
    """``value`` as an int when it is a whole number (or its digits); None otherwise (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def _choices_clean(
    value: object, *, allowed: list[str], field: str, unknown: str, errors: dict[str, list[str]]
) -> list[str]:
    """A list of distinct ``allowed`` values in the given order; errors name ``field``."""
    if not isinstance(value, list | tuple):
        errors[field] = [_("Choose from the list.")]
        return []
    chosen: list[str] = []
    for item in value:
        if item not in allowed:
            errors[field] = [unknown % {"value": item}]
            return []
        if item not in chosen:
            chosen.append(item)
    return chosen


def _sites_clean(value: object, errors: dict[str, list[str]]) -> list[str]:
    sites = _choices_clean(
        value, allowed=Platform.values, field="sites", unknown=_("“%(value)s” is not a known site."), errors=errors
    )
    if not sites and "sites" not in errors:
        errors["sites"] = [_("Choose at least one site.")]
    return sites


def _specialists_clean(value: object, errors: dict[str, list[str]]) -> Specialists:
    """``{role: {"count": n, "salary": s}}`` as ``{role: (n, s)}`` for the roles with a headcount."""
    if not isinstance(value, Mapping):
        errors["specialists"] = [_("Give a headcount and a salary for each role.")]
        return {}
    team: Specialists = {}
    problems: list[str] = []
    for role, spec in value.items():
        if role not in Role.values:
            problems.append(_("“%(value)s” is not a known role.") % {"value": role})
            continue
        label = Role(role).label
        if not isinstance(spec, Mapping):
            problems.append(_("%(role)s: give a headcount and a salary.") % {"role": label})
            continue
        count = _whole(spec.get("count", 0) or 0)
        salary = _whole(spec.get("salary", 0) or 0)
        if count is None or not 0 <= count <= HEADCOUNT_MAX:
            problems.append(_("%(role)s: enter a headcount from 0 to %(max)s.") % {"role": label, "max": HEADCOUNT_MAX})
            continue
        if salary is None or not (salary == 0 or SALARY_MIN <= salary <= SALARY_MAX):
            problems.append(
                _("%(role)s: enter a monthly salary of 0 or from %(min)s to %(max)s.")
                % {"role": label, "min": f"{SALARY_MIN:,}", "max": f"{SALARY_MAX:,}"}
            )
            continue
        if count:
            team[role] = (count, salary)
    if problems:
        errors["specialists"] = problems
    return team


def _text_lengths_check(instance: models.Model, names: Iterable[str], errors: dict[str, list[str]]) -> None:
    """Enforce a ``TextField``'s ``max_length``: Django's model validation leaves it to forms."""
    for name in names:
        field = instance._meta.get_field(name)
        value = getattr(instance, name)
        if not isinstance(field, models.TextField) or not isinstance(value, str) or name in errors:
            continue
        if field.max_length is not None and len(value) > field.max_length:
            errors[name] = [
                _("Write at most %(max)s characters (it has %(length)s).")
                % {"max": field.max_length, "length": len(value)}
            ]


def _deadline_check(deadline: datetime, errors: dict[str, list[str]]) -> None:
    now = timezone.now()
    if not now + DEADLINE_MIN_AHEAD <= deadline <= now + DEADLINE_MAX_AHEAD:
        errors["deadline"] = [_("Set the deadline from one hour to 365 days from now.")]


def _project_clean(
    project: Project, data: Mapping[str, Any], *, fields: tuple[str, ...]
) -> tuple[list[str] | None, Specialists | None, dict[str, list[str]]]:
    """Validate ``fields`` of ``data`` and set the scalar ones on ``project`` in memory (cleaned).

    Returns the sites and team when given (None otherwise) and the errors per field; a field missing
    from ``data`` but listed in ``fields`` is checked as empty, so a create names every gap.
    """
    errors: dict[str, list[str]] = {}
    scalar = [name for name in PROJECT_SCALAR_FIELDS if name in fields]
    for name in scalar:
        value = data.get(name)
        setattr(project, name, value.strip() if isinstance(value, str) else value)
    excluded = [field.name for field in Project._meta.fields if field.name not in scalar]
    try:
        project.clean_fields(exclude=excluded)
    except ValidationError as error:
        errors.update(error.message_dict)
    _text_lengths_check(project, scalar, errors)
    if "deadline" in scalar and "deadline" not in errors and timezone.is_naive(project.deadline):
        project.deadline = timezone.make_aware(project.deadline)
    sites = _sites_clean(data.get("sites"), errors) if "sites" in fields else None
    team = _specialists_clean(data.get("specialists", {}), errors) if "specialists" in fields else None
    return sites, team, errors


def _budget_of(project: Project, sites: list[str], team: Specialists) -> budget.Budget:
    return budget.budget_compute(
        months=project.months,
        sites=len(sites),
        posts_per_month=project.posts_per_month,
        author_price=project.author_price,
        specialists=team,
    )


def _cover_content(cover: "UploadedFile[bytes]") -> "ContentFile[bytes]":
    image = verified_image(cover, field="cover", max_mb=COVER_MAX_MB, max_side=COVER_MAX_SIDE)
    return ContentFile(jpeg_bytes(image), name=COVER_NAME)


def _author_check(project: Project, actor: User) -> None:
    if actor.pk != project.author_id:
        raise PermissionDenied(_("Only the author can do this."))


def _open_check(project: Project) -> None:
    """Applications and donations are taken only while a project is active and before its deadline,
    and not while moderators keep it hidden."""
    if project.status != Project.Status.ACTIVE or project.is_hidden or project.deadline <= timezone.now():
        raise ValidationError(_("This project is not open for applications or donations."))


# --- Participant profile ---------------------------------------------------------------------


def participant_profile_save(
    *, user: User, data: dict[str, Any], request: HttpRequest | None = None
) -> ParticipantProfile:
    """Create or update the user's participant profile; ``data`` may hold only the changed fields."""
    fields_check(data, allowed=PROFILE_FIELDS)
    profile = ParticipantProfile.objects.filter(user=user).first()
    created = profile is None
    if profile is None:
        profile = ParticipantProfile(user=user)
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    for name in ("skills", "experience"):
        if name in data:
            value = data[name]
            changes[name] = value.strip() if isinstance(value, str) else value
    if "professions" in data:
        changes["professions"] = _choices_clean(
            data["professions"],
            allowed=Role.values,
            field="professions",
            unknown=_("“%(value)s” is not a known profession."),
            errors=errors,
        )
    if "topics" in data:
        changes["topics"] = _choices_clean(
            data["topics"],
            allowed=Topic.values,
            field="topics",
            unknown=_("“%(value)s” is not a known topic."),
            errors=errors,
        )
    try:
        changes_apply(profile, changes, allowed=PROFILE_FIELDS)
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    _text_lengths_check(profile, [name for name in ("skills", "experience") if name in changes], errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if created:
            profile.save()
        else:
            profile.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action="crowdfunding.profile_created" if created else "crowdfunding.profile_updated",
            actor=user,
            target=profile,
            request=request,
            details={"fields": sorted(changes)},
        )
    return profile


# --- Projects --------------------------------------------------------------------------------


def budget_preview(*, data: dict[str, Any]) -> budget.Budget:
    """The budget of ``data`` checked as ``project_create`` checks the budget's fields; saves nothing.

    Only the budget's fields are read (the live preview posts the whole form while the author is
    still typing the rest); a missing or bad one answers a ``ValidationError`` naming it.
    """
    project = Project()
    sites, team, errors = _project_clean(project, data, fields=BUDGET_FIELDS)
    if errors:
        raise ValidationError(errors)
    assert sites is not None and team is not None  # both are in BUDGET_FIELDS
    return _budget_of(project, sites, team)


def project_create(
    *,
    author: User,
    data: dict[str, Any],
    cover: "UploadedFile[bytes] | None" = None,
    request: HttpRequest | None = None,
) -> Project:
    """A draft project with its roles, stored budget and ratings."""
    fields_check(data, allowed=PROJECT_FIELDS)
    project = Project(author=author, status=Project.Status.DRAFT)
    sites, team, errors = _project_clean(project, data, fields=PROJECT_FIELDS)
    if "deadline" not in errors:
        _deadline_check(project.deadline, errors)
    content = None
    if cover:
        try:
            content = _cover_content(cover)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    assert sites is not None and team is not None
    project.sites = sites
    try:
        with transaction.atomic():
            if content is not None:
                project.cover.save(COVER_NAME, content, save=False)
            project.save()
            ProjectRole.objects.bulk_create(
                ProjectRole(project=project, role=role, headcount=count, salary=salary)
                for role, (count, salary) in team.items()
            )
            project_ratings_refresh(project=project)
            audit_record(action="crowdfunding.project_created", actor=author, target=project, request=request)
    except Exception:
        _cover_discard(project, content)
        raise
    return project


def _cover_discard(project: Project, content: "ContentFile[bytes] | None") -> None:
    # The file is written before the rows commit: when they do not, it must not stay behind.
    if content is not None and project.cover.name:
        project.cover.storage.delete(project.cover.name)


def _team_of(project: Project) -> Specialists:
    return {role.role: (role.headcount, role.salary) for role in project.roles.all()}


def project_update(
    *,
    project: Project,
    actor: User,
    data: dict[str, Any],
    cover: "UploadedFile[bytes] | bool | None" = None,
    request: HttpRequest | None = None,
) -> Project:
    """Change a draft, or the free fields of an active project; closed projects are read-only.

    ``data`` may hold any of PROJECT_FIELDS; a locked field sent unchanged (a form posts them all)
    is not a change. ``cover``: an upload replaces it, ``False`` removes it, ``None`` keeps it.
    """
    fields_check(data, allowed=PROJECT_FIELDS)
    _author_check(project, actor)
    current = Project.objects.get(pk=project.pk)
    if current.status in CLOSED_STATUSES:
        raise ValidationError(_("A closed project cannot be changed."))
    old_sites, old_team = list(current.sites), _team_of(current)
    given = tuple(name for name in PROJECT_FIELDS if name in data)
    originals = {name: getattr(current, name) for name in PROJECT_SCALAR_FIELDS}
    sites, team, errors = _project_clean(current, data, fields=given)
    changed = [name for name in PROJECT_SCALAR_FIELDS if name in given and name not in errors]
    changed = [name for name in changed if getattr(current, name) != originals[name]]
    if sites is not None and sites != old_sites:
        changed.append("sites")
    if team is not None and team != old_team:
        changed.append("specialists")
    if current.status == Project.Status.ACTIVE:
        for name in LOCKED_WHEN_ACTIVE:
            if name in changed:
                errors[name] = [_("This cannot be changed once the project is published.")]
    if "deadline" in changed and "deadline" not in errors:
        _deadline_check(current.deadline, errors)
    content = None
    if cover:
        try:
            content = _cover_content(cover)  # type: ignore[arg-type]  # truthy: an upload, not True
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if sites is not None:
        current.sites = sites
    old_cover = current.cover.name if cover is not None and current.cover else ""
    try:
        with transaction.atomic():
            # Checked against a publish, cancel or close that committed since the read above.
            status = Project.objects.select_for_update().values_list("status", flat=True).get(pk=current.pk)
            if status != current.status:
                raise ValidationError(_("The project changed meanwhile: reload it and try again."))
            update_fields = [name for name in changed if name != "specialists"]
            if content is not None:
                current.cover.save(COVER_NAME, content, save=False)
                update_fields.append("cover")
            elif cover is False:
                current.cover = ""
                update_fields.append("cover")
            current.save(update_fields=[*update_fields, "updated_at"])
            if team is not None and "specialists" in changed:
                # Only a draft gets here (the team is locked once active), and a draft has no members.
                current.roles.all().delete()
                ProjectRole.objects.bulk_create(
                    ProjectRole(project=current, role=role, headcount=count, salary=salary)
                    for role, (count, salary) in team.items()
                )
            if set(changed) & set(BUDGET_FIELDS):
                project_ratings_refresh(project=current)
            audit_record(
                action="crowdfunding.project_updated",
                actor=actor,
                target=current,
                request=request,
                details={"fields": sorted(set(changed) | ({"cover"} if cover is not None else set()))},
            )
            if old_cover:
                files_delete_on_commit(current.cover.storage, [old_cover])
    except Exception:
        _cover_discard(current, content)
        raise
    project.refresh_from_db()
    return project


def project_publish(*, project: Project, actor: User, request: HttpRequest | None = None) -> Project:
    """Open a draft for applications and donations. A draft whose deadline is too near (or passed)
    is refused until the author moves the deadline: donors must get the time the page promises."""
    _author_check(project, actor)
    with transaction.atomic():
        current = Project.objects.select_for_update().get(pk=project.pk)
        if current.status != Project.Status.DRAFT:
            raise ValidationError(_("Only a draft can be published."))
        errors: dict[str, list[str]] = {}
        _deadline_check(current.deadline, errors)
        if errors:
            raise ValidationError(errors)
        Project.objects.filter(pk=current.pk, status=Project.Status.DRAFT).update(
            status=Project.Status.ACTIVE, published_at=timezone.now(), updated_at=timezone.now()
        )
        audit_record(action="crowdfunding.project_published", actor=actor, target=current, request=request)
    project.refresh_from_db()
    return project


def project_cancel(*, project: Project, actor: User, reason: str = "", request: HttpRequest | None = None) -> Project:
    """The author (or staff) cancels a draft or active project: every pledge is refunded, and its
    donors and team are told once the cancellation commits."""
    return _project_cancel(project=project, actor=actor, reason=reason, request=request, deleting=False)


def _project_cancel(
    *, project: Project, actor: User, reason: str, request: HttpRequest | None, deleting: bool
) -> Project:
    if actor.pk != project.author_id and not actor.is_staff:
        raise PermissionDenied(_("Only the author or a moderator can cancel a project."))
    reason = (reason or "").strip()
    with transaction.atomic():
        current = Project.objects.select_for_update().get(pk=project.pk)
        now = timezone.now()
        cancelled = Project.objects.filter(
            pk=current.pk, status__in=[Project.Status.DRAFT, Project.Status.ACTIVE]
        ).update(status=Project.Status.CANCELLED, closed_at=now, updated_at=now)
        if not cancelled:
            raise ValidationError(_("Only a draft or an active project can be cancelled."))
        refunded = Donation.objects.filter(project=current, status=Donation.Status.PLEDGED).update(
            status=Donation.Status.REFUNDED, updated_at=now
        )
        audit_record(
            action="crowdfunding.project_cancelled",
            actor=actor,
            target=current,
            request=request,
            details={"reason": reason, "refunded": refunded},
        )
        current.refresh_from_db()
        emails.project_cancelled_notify(
            project=current, reason=reason, linked=not deleting, tell_author=actor.pk != current.author_id
        )
    project.refresh_from_db()
    return project


def project_hide(*, project: Project, actor: User, hidden: bool, request: HttpRequest | None = None) -> Project:
    """Moderation: a hidden project is seen only by its author and staff."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only moderators can hide projects."))
    with transaction.atomic():
        changed = (
            Project.objects.filter(pk=project.pk)
            .exclude(is_hidden=hidden)
            .update(is_hidden=hidden, updated_at=timezone.now())
        )
        if changed:
            audit_record(
                action="crowdfunding.project_hidden" if hidden else "crowdfunding.project_shown",
                actor=actor,
                target=project,
                request=request,
            )
    project.refresh_from_db()
    return project


def project_ratings_refresh(*, project: Project) -> Project:
    """Recompute and store the budget and ratings from the project's fields, roles and counters.

    Runs inside the caller's transaction; the row lock makes it read the counters as the last
    committed change left them, so two concurrent accepts cannot store a stale followers rating.
    """
    current = Project.objects.select_for_update().get(pk=project.pk)
    result = _budget_of(current, list(current.sites), _team_of(current))
    ratings = budget.ratings_compute(
        budget=result, months=current.months, followers=current.followers_joined, approved_posts=current.approved_posts
    )
    stored = {
        "goal": result.goal,
        "product_price": result.product_price,
        "products_to_sell": result.products_to_sell,
        "rating_followers": ratings.followers,
        "rating_specialists": ratings.specialists,
        "rating_promotion": ratings.promotion,
        "rating_overall": ratings.overall,
    }
    for name, value in stored.items():
        setattr(current, name, value)
        setattr(project, name, value)
    current.save(update_fields=list(stored))
    for name in ("followers_joined", "approved_posts"):
        setattr(project, name, getattr(current, name))
    return project


def projects_ratings_refresh(*, actor: User, project_ids: list[int] | None = None) -> int:
    """Staff: recompute the stored budget and ratings of the given projects (all when None)."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only staff can refresh ratings."))
    projects = Project.objects.all() if project_ids is None else Project.objects.filter(pk__in=project_ids)
    refreshed = 0
    for project in projects.only("pk").iterator():
        with transaction.atomic():
            project_ratings_refresh(project=project)
        refreshed += 1
    with transaction.atomic():
        audit_record(
            action="crowdfunding.ratings_refreshed",
            actor=actor,
            details={"projects": refreshed if project_ids is None else sorted(project_ids)},
        )
    return refreshed


def projects_close_due(*, now: datetime | None = None) -> int:
    """The deadline job: each active project past its deadline becomes funded (raised ≥ goal, its
    pledges collected) or failed (all or nothing: its pledges refunded); author, team and donors
    are emailed. Each project closes in its own transaction through a conditional update, so two
    runners at once close it (and email about it) once. Drafts past their deadline stay drafts:
    they took no money, and publishing them is refused until the deadline is moved. Returns how
    many projects this run closed."""
    now = now or timezone.now()
    due = Project.objects.filter(status=Project.Status.ACTIVE, deadline__lte=now).values_list("pk", flat=True)
    closed = 0
    for project_id in list(due):
        with transaction.atomic():
            project = Project.objects.select_for_update().get(pk=project_id)
            if project.status != Project.Status.ACTIVE or project.deadline > now:
                continue
            funded = project.raised >= project.goal
            outcome = Project.Status.FUNDED if funded else Project.Status.FAILED
            claimed = Project.objects.filter(pk=project.pk, status=Project.Status.ACTIVE).update(
                status=outcome, closed_at=now, updated_at=now
            )
            if not claimed:
                continue
            Donation.objects.filter(project=project, status=Donation.Status.PLEDGED).update(
                status=Donation.Status.COLLECTED if funded else Donation.Status.REFUNDED, updated_at=now
            )
            project.refresh_from_db()
            audit_record(
                action="crowdfunding.project_funded" if funded else "crowdfunding.project_failed",
                target=project,
                details={"raised": project.raised, "goal": project.goal},
            )
            emails.project_closed_notify(project=project)
        closed += 1
    return closed


# --- Reward tiers ----------------------------------------------------------------------------


def _tiers_editable_check(project: Project) -> None:
    if project.status in CLOSED_STATUSES:
        raise ValidationError(_("A closed project cannot be changed."))


def _tier_limits_check(tier: RewardTier) -> None:
    errors: dict[str, list[str]] = {}
    _text_lengths_check(tier, ["description"], errors)
    if tier.min_amount > DONATION_MAX:
        errors["min_amount"] = [_("Enter an amount of at most %(max)s.") % {"max": f"{DONATION_MAX:,}"}]
    if tier.quantity > TIER_QUANTITY_MAX:
        errors["quantity"] = [_("Enter a quantity of at most %(max)s.") % {"max": f"{TIER_QUANTITY_MAX:,}"}]
    if errors:
        raise ValidationError(errors)


def tier_create(
    *, project: Project, actor: User, data: dict[str, Any], request: HttpRequest | None = None
) -> RewardTier:
    """A reward tier on a draft or active project (title, description, minimum amount, quantity)."""
    _author_check(project, actor)
    _tiers_editable_check(project)
    tier = RewardTier(project=project)
    fields = changes_apply(tier, data, allowed=TIER_FIELDS)
    _tier_limits_check(tier)
    with transaction.atomic():
        # The project's row lock makes two concurrent additions count each other.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if RewardTier.objects.filter(project=project).count() >= TIERS_MAX:
            raise ValidationError(_("A project offers at most %(max)s reward tiers.") % {"max": TIERS_MAX})
        tier.save()
        audit_record(
            action="crowdfunding.tier_created", actor=actor, target=tier, request=request, details={"fields": fields}
        )
    return tier


def tier_update(
    *, tier: RewardTier, actor: User, data: dict[str, Any], request: HttpRequest | None = None
) -> RewardTier:
    """Change a tier; its quantity never goes below what donors already claimed."""
    _author_check(tier.project, actor)
    _tiers_editable_check(tier.project)
    with transaction.atomic():
        # Locked, so a claim cannot slip in between the check and the save.
        current = RewardTier.objects.select_for_update().get(pk=tier.pk)
        # Checked before the model's validation, whose check constraint would refuse the same
        # quantity with a message naming no field.
        quantity = _whole(data.get("quantity"))
        if quantity is not None and quantity < current.claimed:
            raise ValidationError(
                {"quantity": [_("%(claimed)s of this reward are already claimed.") % {"claimed": current.claimed}]}
            )
        fields = changes_apply(current, data, allowed=TIER_FIELDS)
        _tier_limits_check(current)
        if fields:
            current.save(update_fields=[*fields, "updated_at"])
            audit_record(
                action="crowdfunding.tier_updated",
                actor=actor,
                target=current,
                request=request,
                details={"fields": fields},
            )
    tier.refresh_from_db()
    return tier


def tier_delete(*, tier: RewardTier, actor: User, request: HttpRequest | None = None) -> None:
    """Delete a tier nobody has claimed (donations keep the tier they chose)."""
    _author_check(tier.project, actor)
    _tiers_editable_check(tier.project)
    with transaction.atomic():
        current = RewardTier.objects.select_for_update().get(pk=tier.pk)
        if current.claimed or Donation.objects.filter(tier=current).exists():
            raise ValidationError(_("A reward that donors have claimed cannot be deleted."))
        audit_record(
            action="crowdfunding.tier_deleted",
            actor=actor,
            target=current,
            request=request,
            details={"title": current.title},
        )
        current.delete()


# --- Team: applications ----------------------------------------------------------------------


def application_submit(
    *, project: Project, applicant: User, role: str, message: str = "", request: HttpRequest | None = None
) -> Application:
    """Apply for a specialist role (the applicant's profile lists the profession, a seat is open)
    or for the follower pool (not full yet)."""
    _open_check(project)
    if applicant.pk == project.author_id:
        raise ValidationError(_("You cannot join your own project's team."))
    message = (message or "").strip()
    if len(message) > 1000:
        raise ValidationError({"message": [_("Write at most 1000 characters.")]})
    if role == FOLLOWER:
        if project.followers_joined >= budget.FOLLOWERS_WANTED:
            raise ValidationError({"role": [_("The project has all the followers it wants.")]})
    elif role in Role.values:
        professions = ParticipantProfile.objects.filter(user=applicant).values_list("professions", flat=True).first()
        if not professions or role not in professions:
            raise ValidationError(
                {"role": [_("Add this profession to your participant profile to apply for this role.")]}
            )
        if not ProjectRole.objects.filter(project=project, role=role, seats_taken__lt=F("headcount")).exists():
            raise ValidationError({"role": [_("This project has no open seat for this role.")]})
    else:
        raise ValidationError({"role": [_("Choose a role of the project or the follower pool.")]})
    already = Application.objects.filter(
        project=project,
        applicant=applicant,
        role=role,
        status__in=[Application.Status.PENDING, Application.Status.ACCEPTED],
    )
    if already.exists():
        raise ValidationError({"role": [_("You have already applied for this role.")]})
    try:
        with transaction.atomic():
            application = Application.objects.create(project=project, applicant=applicant, role=role, message=message)
            audit_record(
                action="crowdfunding.application_submitted",
                actor=applicant,
                target=application,
                request=request,
                details={"project": project.pk, "role": role},
            )
            emails.application_submitted_notify(application=application)
    except IntegrityError:
        # A double submit: the partial unique constraint let only the first one in.
        raise ValidationError({"role": [_("You have already applied for this role.")]}) from None
    return application


def _application_decide(application: Application, *, status: str, now: datetime, salary: int | None = None) -> None:
    decided = Application.objects.filter(pk=application.pk, status=Application.Status.PENDING).update(
        status=status, decided_at=now, salary=salary, updated_at=now
    )
    if not decided:
        raise ValidationError(_("This application has already been decided."))


def application_accept(*, application: Application, actor: User, request: HttpRequest | None = None) -> Application:
    """The author takes a pending applicant into the team: one seat of the role (or one place in the
    follower pool) is claimed with a conditional update; none left → "no open seat", nothing changes."""
    project = application.project
    _author_check(project, actor)
    no_seat = _("There is no open seat for this role any more.")
    with transaction.atomic():
        if project.status != Project.Status.ACTIVE:
            raise ValidationError(_("Only an active project takes new team members."))
        now = timezone.now()
        if application.role == FOLLOWER:
            _application_decide(application, status=Application.Status.ACCEPTED, now=now)
            joined = Project.objects.filter(
                pk=project.pk, status=Project.Status.ACTIVE, followers_joined__lt=budget.FOLLOWERS_WANTED
            ).update(followers_joined=F("followers_joined") + 1)
            if not joined:
                raise ValidationError(no_seat)
        else:
            role = ProjectRole.objects.filter(project=project, role=application.role).first()
            if role is None:
                raise ValidationError(no_seat)
            _application_decide(application, status=Application.Status.ACCEPTED, now=now, salary=role.salary)
            seated = ProjectRole.objects.filter(pk=role.pk, seats_taken__lt=F("headcount")).update(
                seats_taken=F("seats_taken") + 1
            )
            if not seated:
                raise ValidationError(no_seat)
        project_ratings_refresh(project=project)
        audit_record(
            action="crowdfunding.application_accepted",
            actor=actor,
            target=application,
            request=request,
            details={"project": project.pk, "role": application.role},
        )
        emails.application_decided_notify(application=application, accepted=True)
    application.refresh_from_db()
    return application


def application_reject(*, application: Application, actor: User, request: HttpRequest | None = None) -> Application:
    _author_check(application.project, actor)
    with transaction.atomic():
        _application_decide(application, status=Application.Status.REJECTED, now=timezone.now())
        audit_record(
            action="crowdfunding.application_rejected",
            actor=actor,
            target=application,
            request=request,
            details={"project": application.project_id, "role": application.role},
        )
        emails.application_decided_notify(application=application, accepted=False)
    application.refresh_from_db()
    return application


def application_withdraw(*, application: Application, actor: User, request: HttpRequest | None = None) -> Application:
    """The applicant takes back a pending application (an accepted seat stays taken)."""
    if actor.pk != application.applicant_id:
        raise PermissionDenied(_("Only the applicant can withdraw an application."))
    with transaction.atomic():
        _application_decide(application, status=Application.Status.WITHDRAWN, now=timezone.now())
        audit_record(
            action="crowdfunding.application_withdrawn",
            actor=actor,
            target=application,
            request=request,
            details={"project": application.project_id, "role": application.role},
        )
    application.refresh_from_db()
    return application


def _seat_free(application: Application) -> None:
    """Give back the seat (or follower place) of an accepted application; the counter never goes below 0."""
    if application.role == FOLLOWER:
        Project.objects.filter(pk=application.project_id, followers_joined__gt=0).update(
            followers_joined=F("followers_joined") - 1
        )
    else:
        ProjectRole.objects.filter(project_id=application.project_id, role=application.role, seats_taken__gt=0).update(
            seats_taken=F("seats_taken") - 1
        )


# --- Promotions ------------------------------------------------------------------------------


def promotion_submit(
    *, project: Project, promoter: User, platform: str, url: str, request: HttpRequest | None = None
) -> Promotion:
    """An accepted follower submits a link to their post about the project on one platform."""
    if project.status not in (Project.Status.ACTIVE, Project.Status.FUNDED):
        raise ValidationError(_("This project does not take promotions."))
    is_follower = Application.objects.filter(
        project=project, applicant=promoter, role=FOLLOWER, status=Application.Status.ACCEPTED
    ).exists()
    if not is_follower:
        raise PermissionDenied(_("Only the project's followers can submit promotions."))
    errors: dict[str, list[str]] = {}
    if platform not in Platform.values:
        errors["platform"] = [_("Choose a platform from the list.")]
    url = (url or "").strip()
    try:
        if len(url) > 500:
            raise ValidationError(_("Enter a link of at most 500 characters."))
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        errors["url"] = error.messages
    if errors:
        raise ValidationError(errors)
    duplicate = ValidationError({"url": [_("This link has already been submitted.")]})
    if Promotion.objects.filter(project=project, url=url).exists():
        raise duplicate
    waiting = Promotion.objects.filter(project=project, promoter=promoter, status=Promotion.Status.PENDING)
    if waiting.count() >= PENDING_POSTS_MAX:
        raise ValidationError(
            _("%(count)s of your posts are waiting for the author: submit more once they are decided.")
            % {"count": PENDING_POSTS_MAX}
        )
    try:
        with transaction.atomic():
            promotion = Promotion.objects.create(project=project, promoter=promoter, platform=platform, url=url)
            audit_record(
                action="crowdfunding.promotion_submitted",
                actor=promoter,
                target=promotion,
                request=request,
                details={"project": project.pk, "platform": platform},
            )
    except IntegrityError:
        raise duplicate from None
    return promotion


def _approved_posts_recount(project_id: int) -> None:
    """Store the number of distinct (promoter, platform) approved posts (the promotion rating's input).

    Called with the project row locked, so concurrent decisions count one after the other.
    """
    posts = (
        Promotion.objects.filter(project_id=project_id, status=Promotion.Status.APPROVED)
        .values("promoter", "platform")
        .distinct()
        .count()
    )
    Project.objects.filter(pk=project_id).update(approved_posts=posts)


def _promotion_decide(promotion: Promotion, *, actor: User, status: str, request: HttpRequest | None) -> Promotion:
    project = promotion.project
    _author_check(project, actor)
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        now = timezone.now()
        decided = Promotion.objects.filter(pk=promotion.pk, status=Promotion.Status.PENDING).update(
            status=status, decided_at=now, updated_at=now
        )
        if not decided:
            raise ValidationError(_("This promotion has already been decided."))
        if status == Promotion.Status.APPROVED:
            _approved_posts_recount(project.pk)
            project_ratings_refresh(project=project)
        audit_record(
            action=f"crowdfunding.promotion_{status}",
            actor=actor,
            target=promotion,
            request=request,
            details={"project": project.pk},
        )
    promotion.refresh_from_db()
    return promotion


def promotion_approve(*, promotion: Promotion, actor: User, request: HttpRequest | None = None) -> Promotion:
    return _promotion_decide(promotion, actor=actor, status=Promotion.Status.APPROVED, request=request)


def promotion_reject(*, promotion: Promotion, actor: User, request: HttpRequest | None = None) -> Promotion:
    return _promotion_decide(promotion, actor=actor, status=Promotion.Status.REJECTED, request=request)


# --- Donations -------------------------------------------------------------------------------


def _amount_check(value: object, *, minimum: int, field: str = "amount") -> int:
    amount = _whole(value)
    if amount is None or not minimum <= amount <= DONATION_MAX:
        raise ValidationError(
            {
                field: [
                    _("Enter an amount from %(min)s to %(max)s.") % {"min": f"{minimum:,}", "max": f"{DONATION_MAX:,}"}
                ]
            }
        )
    return amount


def donation_make(
    *,
    project: Project,
    donor: User,
    kind: str,
    amount: int | None = None,
    quantity: int | None = None,
    tier: RewardTier | None = None,
    anonymous: bool = False,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Donation:
    """Pledge money to an active project until its deadline (all or nothing).

    ``free``: any ``amount`` from 1 to 10,000,000. ``preorder``: ``quantity`` (1–100) products at
    the product price (``amount`` is computed, not taken). ``tier``: at least the tier's minimum
    (the default), claiming one of its limited rewards with a conditional update.
    """
    _open_check(project)
    if donor.pk == project.author_id:
        raise ValidationError(_("You cannot donate to your own project."))
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": [_("Write at most 500 characters.")]})
    count = 1
    if kind == Donation.Kind.FREE:
        value = _amount_check(amount, minimum=1)
        tier = None
    elif kind == Donation.Kind.PREORDER:
        if not project.product_price:
            raise ValidationError({"kind": [_("This project's product is free: it cannot be pre-ordered.")]})
        wanted = _whole(quantity if quantity is not None else 1)
        if wanted is None or not 1 <= wanted <= PREORDER_QUANTITY_MAX:
            raise ValidationError(
                {"quantity": [_("Enter a quantity from 1 to %(max)s.") % {"max": PREORDER_QUANTITY_MAX}]}
            )
        count = wanted
        value = count * project.product_price
        tier = None
    elif kind == Donation.Kind.TIER:
        if tier is None or tier.project_id != project.pk:
            raise ValidationError({"tier": [_("Choose a reward of this project.")]})
        value = _amount_check(tier.min_amount if amount is None else amount, minimum=tier.min_amount)
    else:
        raise ValidationError({"kind": [_("Choose a free donation, a pre-order or a reward.")]})
    with transaction.atomic():
        now = timezone.now()
        # The deadline job closes a project under the same row lock: a pledge lands before the close
        # (and is collected or refunded with the rest) or is refused.
        counted = Project.objects.filter(
            pk=project.pk, status=Project.Status.ACTIVE, is_hidden=False, deadline__gt=now
        ).update(
            raised=F("raised") + value,
            donations_count=F("donations_count") + 1,
            products_preordered=F("products_preordered") + (count if kind == Donation.Kind.PREORDER else 0),
        )
        if not counted:
            raise ValidationError(_("This project is not open for applications or donations."))
        if tier is not None:
            claimed = RewardTier.objects.filter(pk=tier.pk, claimed__lt=F("quantity")).update(claimed=F("claimed") + 1)
            if not claimed:
                raise ValidationError({"tier": [_("This reward is sold out.")]})
        donation = Donation.objects.create(
            project=project,
            donor=donor,
            kind=kind,
            amount=value,
            quantity=count,
            tier=tier,
            anonymous=bool(anonymous),
            comment=comment,
        )
        audit_record(
            action="crowdfunding.donation_made",
            actor=donor,
            target=donation,
            request=request,
            details={"project": project.pk, "kind": kind, "amount": value},
        )
        emails.donation_received_notify(donation=donation)
    project.refresh_from_db(fields=["raised", "donations_count", "products_preordered"])
    return donation


# --- Account deletion ------------------------------------------------------------------------


def participant_account_deleted(*, user: User) -> None:
    """Before an account is deleted (``ACCOUNTS_DELETE_HOOKS``), inside its transaction.

    Its open projects are cancelled (pledges refunded, donors emailed once the deletion commits) and
    then go with the account; its pending applications are withdrawn, its accepted seats freed and
    the ratings of those projects refreshed; its donations stay, without the donor (SET_NULL).
    """
    for project in Project.objects.filter(author=user, status__in=[Project.Status.DRAFT, Project.Status.ACTIVE]):
        _project_cancel(
            project=project, actor=user, reason=_("The author deleted their account."), request=None, deleting=True
        )
    now = timezone.now()
    Application.objects.filter(applicant=user, status=Application.Status.PENDING).update(
        status=Application.Status.WITHDRAWN, decided_at=now, updated_at=now
    )
    touched: set[int] = set()
    for application in Application.objects.filter(applicant=user, status=Application.Status.ACCEPTED).exclude(
        project__author=user
    ):
        Project.objects.select_for_update().get(pk=application.project_id)
        _seat_free(application)
        Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN, updated_at=now)
        touched.add(application.project_id)
    promoted = (
        Promotion.objects.filter(promoter=user, status=Promotion.Status.APPROVED)
        .exclude(project__author=user)
        .values_list("project_id", flat=True)
    )
    for project_id in set(promoted):
        Project.objects.select_for_update().get(pk=project_id)
        # Their posts go with the account: the promotion rating counts only the posts that stay.
        Promotion.objects.filter(project_id=project_id, promoter=user).delete()
        _approved_posts_recount(project_id)
        touched.add(project_id)
    for project_id in sorted(touched):
        project_ratings_refresh(project=Project.objects.get(pk=project_id))
    # The projects go with the account (refunded above). Their donations first: a donation PROTECTs
    # its reward tier, and Django refuses to cascade from the project to a tier still referenced.
    Donation.objects.filter(project__author=user).delete()
    Project.objects.filter(author=user).delete()
