"""The crowdfunding part of `fill`: participants and projects of every kind, whose stored counters,
seats, claims, budgets and ratings agree with their rows; idempotent; --scale."""

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import User
from crowdfunding import demo, selectors
from crowdfunding.budget import FOLLOWERS_WANTED, ratings_compute
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
from crowdfunding.selectors import project_budget

pytestmark = pytest.mark.django_db


def fill(scale: int = 1) -> str:
    out = StringIO()
    demo.fill(scale=scale, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def filled(django_db_setup, django_db_blocker):
    """One filled database for the read-only checks (filling takes a couple of seconds)."""
    with django_db_blocker.unblock():
        accounts_demo.fill(scale=1, stdout=StringIO())
        fill()
    yield
    with django_db_blocker.unblock():
        for model in [Donation, RewardTier, Promotion, Application, ProjectRole, Project, ParticipantProfile]:
            model.objects.all().delete()
        User.objects.all().delete()


def counts() -> dict[str, int]:
    models: list[Any] = [User, ParticipantProfile, Project, ProjectRole, Application, Promotion, RewardTier, Donation]
    return {model.__name__: model.objects.count() for model in models}


def test_the_filler_is_registered_after_the_accounts():
    fillers = settings.DEMO_FILLERS
    assert fillers.index("crowdfunding.demo.fill") > fillers.index("accounts.demo.fill")


@pytest.mark.usefixtures("filled")
class TestTheFilledData:
    """Read-only checks of one filled database."""

    def test_fill_makes_500_participants_and_500_projects_of_every_topic_and_status(self):
        assert ParticipantProfile.objects.count() >= demo.PARTICIPANTS
        assert Project.objects.count() == demo.PROJECTS
        assert set(Project.objects.values_list("topic", flat=True)) == set(Topic.values)
        statuses = Counter(Project.objects.values_list("status", flat=True))
        assert set(statuses) == set(Project.Status.values)
        # The rankings show active projects only: most of them are.
        assert statuses[Project.Status.ACTIVE] >= 0.4 * demo.PROJECTS
        assert 0 < Project.objects.filter(is_hidden=True).count() < 0.05 * demo.PROJECTS
        for model in [ProjectRole, Application, Promotion, RewardTier, Donation]:
            assert model.objects.count() >= demo.PROJECTS, model

    def test_the_demo_people_take_part_and_author_projects(self):
        for username in demo.DEMO_PEOPLE:
            person = User.objects.get(username=username)
            assert ParticipantProfile.objects.filter(user=person).exists()
            assert Project.objects.filter(author=person).exists()

    def test_participants_have_the_demo_password(self):
        person = User.objects.filter(phone__startswith=demo.PHONE_PREFIX).first()

        assert person.check_password(accounts_demo.DEMO_PASSWORD)
        assert person.email_confirmed_at is not None
        assert person.groups.filter(name="user").exists()

    def test_profiles_and_projects_are_valid_and_plausible(self):
        for profile in ParticipantProfile.objects.all():
            profile.full_clean(exclude=["user"])
            assert set(profile.professions) <= set(Role.values)
            assert set(profile.topics) <= set(Topic.values) and profile.topics
        names = list(Project.objects.values_list("blog_name", flat=True))
        assert any(any("а" <= letter <= "я" for letter in name.lower()) for name in names)
        assert any(name.isascii() for name in names)
        for project in Project.objects.all():
            project.full_clean(exclude=["author", "cover"])
        for role in ProjectRole.objects.all():
            role.full_clean(exclude=["project"])

    def test_dates_and_money_fit_each_status(self):
        now = timezone.now()
        drafts = Project.objects.filter(status=Project.Status.DRAFT)
        assert not Donation.objects.filter(project__in=drafts).exists()
        assert not Application.objects.filter(project__in=drafts).exists()
        assert not drafts.filter(published_at__isnull=False).exists()
        active = Project.objects.filter(status=Project.Status.ACTIVE)
        assert not active.filter(deadline__lte=now).exists()
        assert not active.filter(closed_at__isnull=False).exists()
        assert not Donation.objects.filter(project__in=active).exclude(status=Donation.Status.PLEDGED).exists()
        closed = Project.objects.filter(status__in=[Project.Status.FUNDED, Project.Status.FAILED])
        assert not closed.filter(deadline__gt=now).exists()
        assert not closed.filter(closed_at__isnull=True).exists()
        for project in Project.objects.filter(status=Project.Status.FUNDED):
            assert project.raised >= project.goal
            assert set(project.donations.values_list("status", flat=True)) == {Donation.Status.COLLECTED}
        for project in Project.objects.filter(status=Project.Status.FAILED):
            assert project.raised < project.goal
        ended = Project.objects.filter(status__in=[Project.Status.FAILED, Project.Status.CANCELLED])
        assert not Donation.objects.filter(project__in=ended).exclude(status=Donation.Status.REFUNDED).exists()
        # Pending applications and promotions wait only on open projects.
        assert not Application.objects.filter(status=Application.Status.PENDING).exclude(project__in=active).exists()
        assert not Promotion.objects.filter(status=Promotion.Status.PENDING).exclude(project__in=active).exists()

    def test_project_counters_agree_with_the_rows(self):
        money = {
            row["project"]: row
            for row in Donation.objects.values("project").annotate(
                total=Sum("amount"),
                number=Count("id"),
                preordered=Sum("quantity", filter=Q(kind=Donation.Kind.PREORDER)),
            )
        }
        joined = Application.objects.filter(role=FOLLOWER, status=Application.Status.ACCEPTED)
        followers = Counter(joined.values_list("project", flat=True))
        posts = Counter(
            project
            for project, _promoter, _platform in Promotion.objects.filter(status=Promotion.Status.APPROVED)
            .values_list("project", "promoter", "platform")
            .distinct()
        )
        for project in Project.objects.all():
            row = money.get(project.pk, {})
            assert project.raised == (row.get("total") or 0), project.pk
            assert project.donations_count == (row.get("number") or 0), project.pk
            assert project.products_preordered == (row.get("preordered") or 0), project.pk
            assert project.followers_joined == followers[project.pk] <= FOLLOWERS_WANTED, project.pk
            assert project.approved_posts == posts[project.pk], project.pk
        assert Project.objects.filter(followers_joined=FOLLOWERS_WANTED).exists()

    def test_seats_and_tier_claims_agree_with_the_rows(self):
        accepted = Counter(
            Application.objects.filter(status=Application.Status.ACCEPTED)
            .exclude(role=FOLLOWER)
            .values_list("project", "role")
        )
        for role in ProjectRole.objects.all():
            assert role.seats_taken == accepted[(role.project_id, role.role)] <= role.headcount
        assert sum(accepted.values()) == ProjectRole.objects.aggregate(total=Sum("seats_taken"))["total"]
        claims = Counter(Donation.objects.filter(kind=Donation.Kind.TIER).values_list("tier", flat=True))
        for tier in RewardTier.objects.all():
            assert tier.claimed == claims[tier.pk] <= tier.quantity
        for donation in Donation.objects.filter(kind=Donation.Kind.TIER).select_related("tier"):
            assert donation.tier.project_id == donation.project_id
            assert donation.amount >= donation.tier.min_amount
        for donation in Donation.objects.filter(kind=Donation.Kind.PREORDER).select_related("project"):
            assert donation.project.author_price > 0
            assert donation.amount == donation.quantity * donation.project.product_price

    def test_teams_are_people_with_the_profession_and_nobody_joins_or_backs_their_own_project(self):
        professions = dict(ParticipantProfile.objects.values_list("user", "professions"))
        specialists = Application.objects.exclude(role=FOLLOWER).select_related("project")
        for application in specialists:
            assert application.role in professions[application.applicant_id]
            assert ProjectRole.objects.filter(project=application.project, role=application.role).exists()
        accepted = specialists.filter(status=Application.Status.ACCEPTED)
        assert all(application.salary is not None for application in accepted)
        assert not Application.objects.filter(applicant=F("project__author")).exists()
        assert not Donation.objects.filter(donor=F("project__author")).exists()
        # Promoters are accepted followers of the project they promote.
        joined = set(
            Application.objects.filter(role=FOLLOWER, status=Application.Status.ACCEPTED).values_list(
                "project", "applicant"
            )
        )
        assert set(Promotion.objects.values_list("project", "promoter")) <= joined
        # Some projects have no specialists at all (the seed crashed on those).
        assert Project.objects.filter(roles__isnull=True).exists()

    def test_stored_budgets_and_ratings_equal_the_formulas(self):
        for project in Project.objects.prefetch_related("roles"):
            result = project_budget(project=project, roles=project.roles.all())
            ratings = ratings_compute(
                budget=result,
                months=project.months,
                followers=project.followers_joined,
                approved_posts=project.approved_posts,
            )
            assert (project.goal, project.product_price, project.products_to_sell) == (
                result.goal,
                result.product_price,
                result.products_to_sell,
            )
            assert project.rating_followers == ratings.followers
            assert project.rating_specialists == ratings.specialists
            assert project.rating_promotion == ratings.promotion
            assert project.rating_overall == ratings.overall
        assert Project.objects.filter(author_price=0, products_to_sell__isnull=True).exists()
        assert Project.objects.filter(rating_promotion__gt=1).exists()

    def test_the_pages_open_on_the_demo_data_and_the_section_home_stays_cheap(self, client):
        alice = User.objects.get(username="alice")
        ParticipantProfile.objects.filter(user=alice).update(topics=Topic.values, professions=Role.values)
        client.force_login(alice)
        with CaptureQueriesContext(connection) as queries:
            home = selectors.section_home(viewer=alice)
        assert len(queries) <= 5
        assert len(home["overall"]) == 5 and len(home["by_topic"]) == len(Topic.values)
        pages = [reverse("crowdfunding:home")]
        pages += [f"{reverse('crowdfunding:list')}?sort={sort}" for sort in selectors.SORTS]
        pages += [reverse(name) for name in ["crowdfunding:my-projects", "crowdfunding:my-donations"]]
        for url in pages:
            assert client.get(url).status_code == 200, url
        # Each kind of project, seen by its author: the project page and the manage page.
        for status in Project.Status.values:
            project = Project.objects.filter(status=status).select_related("author").first()
            client.force_login(project.author)
            for name in ["crowdfunding:detail", "crowdfunding:manage"]:
                assert client.get(reverse(name, args=[project.pk])).status_code == 200, (status, name)


def test_a_second_fill_adds_nothing():
    accounts_demo.fill(scale=1, stdout=StringIO())
    assert "500 projects" in fill()
    before = counts()

    assert fill() == ""

    assert counts() == before


def test_the_filler_writes_in_bulk():
    with CaptureQueriesContext(connection) as queries:
        fill()

    rows = sum(counts().values())
    assert rows > 20 * demo.PROJECTS
    # Batches of rows, never a query per project (SQLite's variable limit makes the batches small).
    assert len(queries) < rows / 50


def test_scale_2_after_fill_tops_up_to_twice_as_many():
    fill()
    first = list(Project.objects.order_by("pk").values_list("blog_name", "topic", "status"))

    output = fill(scale=2)

    assert "500 participants" in output
    assert Project.objects.count() == 2 * demo.PROJECTS
    assert ParticipantProfile.objects.count() == 2 * demo.PARTICIPANTS
    assert list(Project.objects.order_by("pk").values_list("blog_name", "topic", "status")[: demo.PROJECTS]) == first
    assert fill(scale=2) == ""
