"""Serializers of the crowdfunding API (SPEC §6): field names are the contract.

Input serializers check shapes, types and the ranges a schema can state; every other rule (a salary
of 0 or 10,000–100,000, a deadline within a year, locked fields) is the services', whose
``ValidationError`` names the field and becomes the same 400.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.parsing import ID_MAX
from crowdfunding import selectors
from crowdfunding.budget import FOLLOWERS_WANTED, Budget
from crowdfunding.models import (
    AUTHOR_PRICE_MAX,
    FOLLOWER,
    HEADCOUNT_MAX,
    SALARY_MAX,
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
from crowdfunding.services import DONATION_MAX, PREORDER_QUANTITY_MAX, TIER_QUANTITY_MAX

# --- Participant profile ------------------------------------------------------------------------


class ParticipantProfileSerializer(serializers.ModelSerializer[ParticipantProfile]):
    """My participant profile; ``professions`` are specialist roles and ``topics`` topics, in snake_case."""

    skills = serializers.CharField(max_length=1000)
    experience = serializers.CharField(max_length=1000)
    # A PUT without a list empties it; a PATCH leaves it as it is.
    professions = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), default=list)
    topics = serializers.ListField(child=serializers.ChoiceField(choices=Topic.choices), default=list)

    class Meta:
        model = ParticipantProfile
        fields = ["skills", "experience", "professions", "topics"]


# --- Projects -----------------------------------------------------------------------------------


class SpecialistSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(min_value=0, max_value=HEADCOUNT_MAX, help_text=_("Headcount of the role."))
    salary = serializers.IntegerField(
        min_value=0, max_value=SALARY_MAX, help_text=_("Monthly salary: 0, or 10,000 to 100,000.")
    )


class SpecialistOutSerializer(SpecialistSerializer):
    seats_taken = serializers.IntegerField(help_text=_("Accepted specialists in the role."))
    open_seats = serializers.IntegerField()


class SpecialistsSerializer(serializers.Serializer[Any]):
    """``{role: {"count": n, "salary": s}}``; a role left out has no headcount."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {role: SpecialistSerializer(required=False) for role in Role.values}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in Role.values)
            if unknown:
                raise serializers.ValidationError(
                    {key: [_("Unknown role. Choose among: %s.") % ", ".join(Role.values)] for key in unknown}
                )
        value: dict[str, Any] = super().to_internal_value(data)
        return {role: dict(spec) for role, spec in value.items()}


class SpecialistsOutSerializer(serializers.Serializer[Any]):
    """The project's roles with a headcount, each with its seats."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {role: SpecialistOutSerializer(required=False) for role in Role.values}


class BudgetSerializer(serializers.Serializer[Budget]):
    """SPEC §4.5's budget; ``products_to_sell`` is null when the author's price is 0."""

    months_ratio = serializers.FloatField()
    sites_ratio = serializers.FloatField()
    posts_ratio = serializers.FloatField()
    specialists_pay = serializers.IntegerField()
    specialists_count = serializers.IntegerField()
    follower_pay = serializers.IntegerField(help_text=_("Pay per follower (promoter)."))
    total_follower_pay = serializers.IntegerField()
    goal = serializers.IntegerField(help_text=_("The project amount: specialists' pay + total follower pay."))
    product_price = serializers.IntegerField()
    products_to_sell = serializers.IntegerField(allow_null=True)

    def to_representation(self, budget: Budget) -> dict[str, Any]:
        return budget.as_dict()


class BudgetPreviewSerializer(serializers.Serializer[Any]):
    budget = BudgetSerializer()


class RatingsSerializer(serializers.Serializer[Project]):
    followers = serializers.FloatField(source="rating_followers")
    specialists = serializers.FloatField(source="rating_specialists")
    promotion = serializers.FloatField(source="rating_promotion")
    overall = serializers.FloatField(source="rating_overall")


class ProjectWriteSerializer(serializers.Serializer[Any]):
    """The project body of ``POST``/``PUT``/``PATCH /api/projects/`` and the budget preview."""

    blog_name = serializers.CharField(min_length=2, max_length=30)
    idea = serializers.CharField(min_length=10, max_length=2000)
    topic = serializers.ChoiceField(choices=Topic.choices)
    product_name = serializers.CharField(min_length=2, max_length=30)
    author_price = serializers.IntegerField(min_value=0, max_value=AUTHOR_PRICE_MAX)
    posts_per_month = serializers.IntegerField(min_value=1, max_value=100)
    sites = serializers.ListField(child=serializers.ChoiceField(choices=Platform.choices), min_length=1)
    months = serializers.IntegerField(min_value=3, max_value=12)
    deadline = serializers.DateTimeField(help_text=_("At least 1 hour and at most 365 days ahead."))
    specialists = SpecialistsSerializer()


class ProjectSerializer(serializers.ModelSerializer[Project]):
    """A project with its stored budget and ratings; ``specialists`` in the shape of the body."""

    author = serializers.CharField(source="author.username", read_only=True)
    cover = serializers.ImageField(read_only=True, allow_null=True)
    progress_percent = serializers.IntegerField(read_only=True)
    followers_wanted = serializers.SerializerMethodField()
    budget = serializers.SerializerMethodField()
    ratings = RatingsSerializer(source="*", read_only=True)
    specialists = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "author",
            "blog_name",
            "idea",
            "topic",
            "product_name",
            "author_price",
            "posts_per_month",
            "sites",
            "months",
            "deadline",
            "cover",
            "status",
            "is_hidden",
            "published_at",
            "closed_at",
            "raised",
            "progress_percent",
            "donations_count",
            "products_preordered",
            "followers_joined",
            "followers_wanted",
            "approved_posts",
            "budget",
            "ratings",
            "specialists",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_followers_wanted(self, project: Project) -> int:
        return FOLLOWERS_WANTED

    @extend_schema_field(BudgetSerializer)
    def get_budget(self, project: Project) -> dict[str, Any]:
        # The roles come prefetched with the project: no query per project in a list.
        return BudgetSerializer(selectors.project_budget(project=project, roles=project.roles.all())).data

    @extend_schema_field(SpecialistsOutSerializer)
    def get_specialists(self, project: Project) -> dict[str, dict[str, int]]:
        roles: list[ProjectRole] = list(project.roles.all())
        return {
            role.role: {
                "count": role.headcount,
                "salary": role.salary,
                "seats_taken": role.seats_taken,
                "open_seats": role.open_seats,
            }
            for role in roles
        }


class TopProjectsSerializer(serializers.Serializer[Any]):
    overall = ProjectSerializer(many=True, help_text=_("The top 5 open projects by overall rating."))
    followers = ProjectSerializer(many=True, help_text=_("The top 5 open projects by followers rating."))


class ProjectListQuerySerializer(serializers.Serializer[Any]):
    """The list's query parameters; a value outside its choices answers 400 naming the parameter."""

    topic = serializers.ChoiceField(choices=Topic.choices, required=False)
    status = serializers.ChoiceField(choices=Project.Status.choices, required=False)
    ordering = serializers.ChoiceField(
        choices=selectors.SORTS,
        default="newest",
        help_text=_("newest, ending (soonest deadline first), funded (most raised), rating (overall)."),
    )
    mine = serializers.BooleanField(
        default=False, help_text=_("1: my own projects, drafts included (needs credentials).")
    )


class ProjectCancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, allow_blank=True, default="")


# --- Tiers, donations, applications, promotions -------------------------------------------------


class RewardTierSerializer(serializers.ModelSerializer[RewardTier]):
    remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = RewardTier
        fields = ["id", "title", "description", "min_amount", "quantity", "claimed", "remaining"]
        read_only_fields = ["id", "claimed", "remaining"]
        extra_kwargs = {
            "min_amount": {"max_value": DONATION_MAX},
            "quantity": {"max_value": TIER_QUANTITY_MAX},
        }


class DonateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Donation.Kind.choices)
    amount = serializers.IntegerField(
        min_value=1,
        max_value=DONATION_MAX,
        required=False,
        allow_null=True,
        help_text=_("Free donation: the amount. Tier: at least the tier's minimum (default: the minimum)."),
    )
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=PREORDER_QUANTITY_MAX,
        required=False,
        allow_null=True,
        help_text=_("Pre-order: products at the product price."),
    )
    tier = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, allow_null=True, help_text=_("Tier: the reward tier's id.")
    )
    anonymous = serializers.BooleanField(default=False)
    comment = serializers.CharField(max_length=500, allow_blank=True, default="")


class DonationSerializer(serializers.ModelSerializer[Donation]):
    """A donation as its donor sees it (never anyone else: the public list names no donor)."""

    project_name = serializers.CharField(source="project.blog_name", read_only=True)
    tier_title = serializers.CharField(source="tier.title", default="", read_only=True)

    class Meta:
        model = Donation
        fields = [
            "id",
            "project",
            "project_name",
            "kind",
            "amount",
            "quantity",
            "tier",
            "tier_title",
            "anonymous",
            "comment",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class PublicDonationSerializer(serializers.ModelSerializer[Donation]):
    """A donation as everyone sees it: an anonymous donor is "Anonymous", never their id or username."""

    name = serializers.SerializerMethodField()
    tier_title = serializers.CharField(source="tier.title", default="", read_only=True)

    class Meta:
        model = Donation
        fields = ["id", "name", "kind", "amount", "quantity", "tier_title", "comment", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_name(self, donation: Donation) -> str:
        return str(selectors.donor_name(donation))


class ApplySerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=[*Role.choices, (FOLLOWER, _("Follower"))])
    message = serializers.CharField(max_length=1000, allow_blank=True, default="")


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    project_name = serializers.CharField(source="project.blog_name", read_only=True)
    applicant = serializers.CharField(source="applicant.username", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "project",
            "project_name",
            "applicant",
            "role",
            "message",
            "status",
            "salary",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class PromotionSubmitSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    platform = serializers.ChoiceField(choices=Platform.choices)
    url = serializers.URLField(max_length=500)


class PromotionSerializer(serializers.ModelSerializer[Promotion]):
    project_name = serializers.CharField(source="project.blog_name", read_only=True)
    promoter = serializers.CharField(source="promoter.username", read_only=True)

    class Meta:
        model = Promotion
        fields = ["id", "project", "project_name", "promoter", "platform", "url", "status", "created_at", "decided_at"]
        read_only_fields = fields


class IncomingQuerySerializer(serializers.Serializer[Any]):
    incoming = serializers.BooleanField(default=False, help_text=_("1: those to my projects, instead of my own."))
