"""Factories for the crowdfunding tests (and the authorization matrix).

``ProjectFactory`` writes rows directly (fast, for lists and permissions) but stores the same budget
and ratings the services would: its ``roles`` hook creates the roles and computes them with
``crowdfunding.budget``. Tests of the rules build projects through the services with
``project_make`` / ``project_active``.
"""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from crowdfunding import budget
from crowdfunding.models import (
    FOLLOWER,
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
from tests.factories import UserFactory

# The team ``ProjectFactory`` and ``project_make`` give a project unless told otherwise.
DEFAULT_SPECIALISTS: dict[str, dict[str, int]] = {Role.VIDEOGRAPHER: {"count": 2, "salary": 20_000}}


def project_data(**overrides: Any) -> dict[str, Any]:
    """Valid ``data`` for ``services.project_create`` (PROJECT_FIELDS), with ``overrides`` applied."""
    data: dict[str, Any] = {
        "blog_name": "Morning runs",
        "idea": "A blog about running before work, with weekly plans.",
        "topic": Topic.FITNESS,
        "product_name": "Training plan",
        "author_price": 1000,
        "posts_per_month": 10,
        "sites": [Platform.YOUTUBE, Platform.VK],
        "months": 6,
        "deadline": timezone.now() + timedelta(days=30),
        "specialists": {role: dict(spec) for role, spec in DEFAULT_SPECIALISTS.items()},
    }
    data.update(overrides)
    return data


def project_make(*, author: Any = None, cover: Any = None, **overrides: Any) -> Project:
    """A draft project created through ``services.project_create`` (stored budget and ratings)."""
    from crowdfunding import services

    return services.project_create(author=author or UserFactory(), data=project_data(**overrides), cover=cover)


def project_active(*, author: Any = None, cover: Any = None, **overrides: Any) -> Project:
    """An active project: ``project_make`` then ``services.project_publish``."""
    from crowdfunding import services

    project = project_make(author=author, cover=cover, **overrides)
    return services.project_publish(project=project, actor=project.author)


def project_store_budget(project: Project) -> None:
    """Store the budget and ratings of a factory-made project from its fields and roles."""
    specialists = {role.role: (role.headcount, role.salary) for role in project.roles.all()}
    result = budget.budget_compute(
        months=project.months,
        sites=len(project.sites),
        posts_per_month=project.posts_per_month,
        author_price=project.author_price,
        specialists=specialists,
    )
    ratings = budget.ratings_compute(
        budget=result, months=project.months, followers=project.followers_joined, approved_posts=project.approved_posts
    )
    project.goal = result.goal
    project.product_price = result.product_price
    project.products_to_sell = result.products_to_sell
    project.rating_followers = ratings.followers
    project.rating_specialists = ratings.specialists
    project.rating_promotion = ratings.promotion
    project.rating_overall = ratings.overall
    project.save()


class ParticipantProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParticipantProfile

    user = factory.SubFactory(UserFactory)
    skills = "Editing, colour grading."
    experience = "Three years of wedding videos."
    professions = factory.LazyFunction(lambda: [Role.VIDEOGRAPHER.value])
    topics = factory.LazyFunction(lambda: [Topic.FITNESS.value])


class ProjectFactory(factory.django.DjangoModelFactory):
    """A draft project with a future deadline; ``roles={role: (headcount, salary)}`` sets the team
    (default: two videographers at 20,000); budget and ratings are stored after the roles."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    author = factory.SubFactory(UserFactory)
    blog_name = factory.Sequence(lambda number: f"Blog {number}")
    idea = "A blog about running before work, with weekly plans."
    topic = Topic.FITNESS
    product_name = "Training plan"
    author_price = 1000
    posts_per_month = 10
    sites = factory.LazyFunction(lambda: [Platform.YOUTUBE.value, Platform.VK.value])
    months = 6
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    status = Project.Status.DRAFT

    @factory.post_generation
    def roles(self, create: bool, extracted: Mapping[str, tuple[int, int]] | None, **kwargs: Any) -> None:
        if not create:
            return
        team = (
            extracted
            if extracted is not None
            else {role: (spec["count"], spec["salary"]) for role, spec in DEFAULT_SPECIALISTS.items()}
        )
        ProjectRole.objects.bulk_create(
            ProjectRole(project=self, role=role, headcount=count, salary=salary)
            for role, (count, salary) in team.items()
            if count
        )
        project_store_budget(self)


class ActiveProjectFactory(ProjectFactory):
    status = Project.Status.ACTIVE
    published_at = factory.LazyFunction(timezone.now)


class RewardTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardTier

    project = factory.SubFactory(ActiveProjectFactory)
    title = factory.Sequence(lambda number: f"Tier {number}")
    description = "A signed postcard."
    min_amount = 500
    quantity = 10


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A pending application row (the applicant gets no profile; ``application_submit`` checks it)."""

    class Meta:
        model = Application

    project = factory.SubFactory(ActiveProjectFactory)
    applicant = factory.SubFactory(UserFactory)
    role: str = Role.VIDEOGRAPHER.value
    message = "I would like to join."
    status = Application.Status.PENDING


class FollowerApplicationFactory(ApplicationFactory):
    role = FOLLOWER


class DonationFactory(factory.django.DjangoModelFactory):
    """A pledged free donation row; it does not move the project's counters (``donation_make`` does)."""

    class Meta:
        model = Donation

    project = factory.SubFactory(ActiveProjectFactory)
    donor = factory.SubFactory(UserFactory)
    kind = Donation.Kind.FREE
    amount = 1000
    quantity = 1
    tier = None
    anonymous = False
    comment = ""
    status = Donation.Status.PLEDGED


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    project = factory.SubFactory(ActiveProjectFactory)
    promoter = factory.SubFactory(UserFactory)
    platform = Platform.YOUTUBE
    url = factory.Sequence(lambda number: f"https://www.youtube.com/watch?v=post{number}")
    status = Promotion.Status.PENDING
