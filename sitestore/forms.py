"""Forms of the site store's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sitestore import selectors


class TemplateChoiceForm(forms.Form):
    """The template a cart button is about: only a published one, by id."""

    template = forms.ModelChoiceField(
        queryset=selectors.templates_published(),
        error_messages={
            "required": _("Choose a template."),
            "invalid_choice": _("This template is not for sale."),
        },
    )
