import datetime as dt
from typing import cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.timezones import time_zone_choices
from mailings.models import Client, Mailing, MailMessage

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class WallClockField(forms.DateTimeField):
    """A naive wall-clock time: the view reads it in the zone chosen on the form.

    A plain ``DateTimeField`` would read it in the server's zone first (and refuse the hour that a
    daylight-saving change skips there, even when it exists in the chosen zone).
    """

    widget = DATETIME_WIDGET

    def to_python(self, value):
        with timezone.override(dt.UTC):
            result = super().to_python(value)
        return result.replace(tzinfo=None) if result else result


class ClientForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ClientImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        error_messages={"required": _("Choose a CSV file.")},
        help_text=_(
            "Columns: email, full name, comment. A header row is optional. "
            "Nothing is imported unless every row is valid."
        ),
    )
    update_existing = forms.BooleanField(
        label=_("Update clients already on my list"),
        required=False,
        help_text=_("Otherwise a client whose email is already on your list keeps its name and comment."),
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        # Checked from the upload's size, before the file is read into memory.
        if upload.size > settings.MAILINGS_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(size)s).")
                % {"size": filesizeformat(settings.MAILINGS_IMPORT_MAX_BYTES)}
            )
        return upload


class MailMessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    body_html = forms.CharField(
        label=_("HTML version"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Optional; without it the text is sent as simple HTML."),
    )


class MailingForm(forms.Form):
    message = forms.ModelChoiceField(label=_("Message"), queryset=MailMessage.objects.none())
    clients = forms.ModelMultipleChoiceField(
        label=_("Clients"), queryset=Client.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    start_at = WallClockField(label=_("First send"))
    end_at = WallClockField(label=_("End"))
    periodicity = forms.ChoiceField(label=_("Periodicity"), choices=Mailing.Periodicity.choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        initial="Europe/Moscow",
        help_text=_("The times above are read in this zone; repeated sends keep the same local time."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, owner: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        messages = MailMessage.objects.filter(owner=owner).order_by("-created_at")
        cast(forms.ModelChoiceField, self.fields["message"]).queryset = messages
        clients = Client.objects.filter(owner=owner).order_by("full_name")
        cast(forms.ModelMultipleChoiceField, self.fields["clients"]).queryset = clients


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Username or email"), required=False, max_length=150)


class UserBlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.TextInput())
    until = forms.DateTimeField(
        label=_("Until"), required=False, widget=DATETIME_WIDGET, help_text=_("Leave empty to block until unblocked.")
    )
