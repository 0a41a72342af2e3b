"""Forms of the crowdfunding pages; the rules themselves (ranges, locks, seats) live in ``crowdfunding.services``.

The ranges are repeated on the fields so that the browser shows them (HTML ``min``/``max``) and a
typo is answered beside its field before any service is called.
"""

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crowdfunding.models import (
    AUTHOR_PRICE_MAX,
    FOLLOWER,
    HEADCOUNT_MAX,
    SALARY_MAX,
    SALARY_MIN,
    Donation,
    Platform,
    Project,
    ProjectRole,
    RewardTier,
    Role,
    Topic,
)
from crowdfunding.services import DONATION_MAX, LOCKED_WHEN_ACTIVE, PREORDER_QUANTITY_MAX

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _number(minimum: int, maximum: int, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=minimum, max_value=maximum, widget=forms.NumberInput(attrs={"step": 1}), **kwargs
    )


def _count_name(role: str) -> str:
    return f"{role}_count"


def _salary_name(role: str) -> str:
    return f"{role}_salary"


class ProjectForm(forms.Form):
    """Every field of a project (SPEC §4.5) with one headcount and salary row per specialist role."""

    blog_name = forms.CharField(label=_("Blog name"), min_length=2, max_length=30)
    idea = forms.CharField(label=_("Idea"), min_length=10, max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    product_name = forms.CharField(label=_("Product name"), min_length=2, max_length=30)
    author_price = _number(
        0, AUTHOR_PRICE_MAX, label=_("Your price for the product"), help_text=_("0 when the product is free.")
    )
    posts_per_month = _number(1, 100, label=_("Posts per month"))
    sites = forms.MultipleChoiceField(
        label=_("Placement sites"),
        choices=Platform.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    months = _number(3, 12, label=_("Duration in months"))
    deadline = forms.DateTimeField(label=_("Funding deadline"), widget=DATETIME_WIDGET)
    cover = forms.ImageField(
        label=_("Cover image"), required=False, widget=forms.FileInput(attrs={"accept": "image/*"})
    )

    def __init__(self, *args: Any, project: Project | None = None, **kwargs: Any) -> None:
        if project is not None:
            kwargs.setdefault("initial", self.initial_for(project))
        super().__init__(*args, **kwargs)
        for role, label in Role.choices:
            # Empty means none: an author fills in only the roles they need.
            self.fields[_count_name(role)] = _number(0, HEADCOUNT_MAX, label=label, initial=0, required=False)
            self.fields[_salary_name(role)] = _number(
                0, SALARY_MAX, label=_("%(role)s: monthly salary") % {"role": label}, initial=0, required=False
            )
        self.locked = project is not None and project.status != Project.Status.DRAFT
        if self.locked:
            # An active project keeps these as published; the team's are its rows' fields.
            for name in LOCKED_WHEN_ACTIVE:
                for field in self.specialist_field_names() if name == "specialists" else [name]:
                    self.fields[field].disabled = True
        # Set here, not at import, so that they are translated into the visitor's language.
        self.fields["deadline"].help_text = _("Between one hour and 365 days from now.")

    @staticmethod
    def initial_for(project: Project) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(project, name)
            for name in ("blog_name", "idea", "topic", "product_name", "author_price", "posts_per_month", "sites")
        }
        initial["months"] = project.months
        initial["deadline"] = project.deadline
        role: ProjectRole
        for role in project.roles.all():
            initial[_count_name(role.role)] = role.headcount
            initial[_salary_name(role.role)] = role.salary
        return initial

    @staticmethod
    def specialist_field_names() -> list[str]:
        return [name for role in Role.values for name in (_count_name(role), _salary_name(role))]

    def specialist_rows(self) -> list[tuple[str | Promise, forms.BoundField, forms.BoundField]]:
        """(role label, headcount field, salary field) per role, for the team table."""
        return [(label, self[_count_name(role)], self[_salary_name(role)]) for role, label in Role.choices]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("blog_name", "idea", "topic", "product_name", "author_price")]

    def plan_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("posts_per_month", "months", "deadline")]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for role in Role.values:
            salary = cleaned.get(_salary_name(role))
            if salary and salary < SALARY_MIN:
                self.add_error(
                    _salary_name(role),
                    _("A salary is 0 or between %(min)s and %(max)s.") % {"min": SALARY_MIN, "max": SALARY_MAX},
                )
        return cleaned

    def service_data(self) -> dict[str, Any]:
        """``data`` for the services (PROJECT_FIELDS); an active project's locked fields are left out."""
        cleaned = self.cleaned_data
        data: dict[str, Any] = {
            name: cleaned[name]
            for name in ("blog_name", "idea", "topic", "product_name", "author_price", "posts_per_month")
        }
        data.update(sites=cleaned["sites"], months=cleaned["months"], deadline=cleaned["deadline"])
        data["specialists"] = {
            role: {"count": cleaned[_count_name(role)] or 0, "salary": cleaned[_salary_name(role)] or 0}
            for role in Role.values
        }
        if self.locked:
            for name in LOCKED_WHEN_ACTIVE:
                data.pop(name)
        return data


class BudgetPreviewForm(ProjectForm):
    """The preview reads only the numbers the budget depends on: a half-typed name must not hide it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("blog_name", "idea", "topic", "product_name", "deadline", "cover"):
            del self.fields[name]

    def service_data(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        return {
            "author_price": cleaned["author_price"],
            "posts_per_month": cleaned["posts_per_month"],
            "sites": cleaned["sites"],
            "months": cleaned["months"],
            "specialists": {
                role: {"count": cleaned[_count_name(role)] or 0, "salary": cleaned[_salary_name(role)] or 0}
                for role in Role.values
            },
        }


class DonationForm(forms.Form):
    """One form for the three ways to give; ``kind`` comes from the button's hidden field."""

    kind = forms.ChoiceField(choices=Donation.Kind.choices, widget=forms.HiddenInput)
    amount = _number(1, DONATION_MAX, label=_("Amount"), required=False)
    quantity = _number(1, PREORDER_QUANTITY_MAX, label=_("Quantity"), required=False)
    tier = forms.ModelChoiceField(
        queryset=RewardTier.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This reward tier is not offered.")},
    )
    anonymous = forms.BooleanField(label=_("Donate anonymously"), required=False)
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = project.tiers.all()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        kind = cleaned.get("kind")
        if kind == Donation.Kind.FREE and cleaned.get("amount") is None:
            self.add_error("amount", _("Enter the amount."))
        if kind == Donation.Kind.PREORDER and cleaned.get("quantity") is None:
            self.add_error("quantity", _("Enter how many you pre-order."))
        if kind == Donation.Kind.TIER and cleaned.get("tier") is None:
            self.add_error("tier", _("Choose a reward tier."))
        return cleaned


class ApplicationForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    message = forms.CharField(
        label=_("Message to the author"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, roles: list[str] | None = None, **kwargs: Any) -> None:
        """``roles``: those offered to the viewer; None accepts any role (the service decides)."""
        super().__init__(*args, **kwargs)
        self.offer([*Role.values, FOLLOWER] if roles is None else roles)

    def offer(self, roles: list[str]) -> None:
        labels = {**dict(Role.choices), FOLLOWER: _("Follower (promoter)")}
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(role, labels[role]) for role in roles]


class PromotionForm(forms.Form):
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    url = forms.URLField(label=_("Link to your post"), max_length=500, assume_scheme="https")
