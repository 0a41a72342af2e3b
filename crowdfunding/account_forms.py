"""Forms of the personal crowdfunding pages: the participant profile and the author's manage page.

They only shape the input; the services validate every rule and save (``core.forms.apply_errors``
puts their refusals beside the fields).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from crowdfunding.models import ParticipantProfile, RewardTier, Role, Topic


class ParticipantProfileForm(forms.Form):
    skills = forms.CharField(
        label=_("Skills"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Up to 1,000 characters."),
    )
    experience = forms.CharField(
        label=_("Experience"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Up to 1,000 characters."),
    )
    professions = forms.MultipleChoiceField(
        label=_("Professions"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You can apply to a project's team in these roles."),
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics of interest"),
        choices=Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The section home suggests projects on these topics."),
    )

    @classmethod
    def initial_from(cls, profile: ParticipantProfile | None) -> dict[str, object]:
        if profile is None:
            return {}
        return {name: getattr(profile, name) for name in ("skills", "experience", "professions", "topics")}


class RewardTierForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("Description"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    min_amount = forms.IntegerField(label=_("Minimum amount, ₽"), min_value=1)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)

    @classmethod
    def initial_from(cls, tier: RewardTier) -> dict[str, object]:
        return {name: getattr(tier, name) for name in ("title", "description", "min_amount", "quantity")}


class ProjectCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the donors)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
