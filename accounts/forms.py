from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import BUNDLED_AVATARS, User
from accounts.validators import AgoraPasswordValidator


class RegistrationForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    middle_name = forms.CharField(label=_("Middle name"), max_length=150, required=False)
    username = forms.CharField(label=_("Username"), max_length=30, help_text=User._meta.get_field("username").help_text)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=30, help_text=_("+7 followed by 10 digits."))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False),
    )
    password_confirm = forms.CharField(
        label=_("Password confirmation"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Show the rules up front, in the language of this request.
        self.fields["password"].help_text = AgoraPasswordValidator().get_help_text()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return data


class ConfirmForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    code = forms.CharField(
        label=_("Code"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ResendForm(forms.Form):
    email = forms.EmailField(label=_("Email"))


class LoginForm(forms.Form):
    login = forms.CharField(label=_("Email, phone or username"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    remember = forms.BooleanField(label=_("Remember me for 14 days"), required=False)


class ProfileForm(forms.Form):
    """The editable fields, taken from the model; the service validates and saves them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                User,
                fields=services.PROFILE_FIELDS,
                widgets={"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")},
            )
        )
        # Registration requires the first and last name; the profile must not lose them.
        for name in ("last_name", "first_name"):
            self.fields[name].required = True
        # Raw input such as "+7 (912) 345-67-89" is normalised by the service before validation.
        self.fields["phone"] = forms.CharField(
            label=_("Phone"), max_length=30, help_text=_("+7 followed by 10 digits.")
        )


class AvatarForm(forms.Form):
    avatar = forms.FileField(label=_("Upload an image"), required=False)
    bundled_avatar = forms.ChoiceField(
        label=_("Or pick one"),
        required=False,
        choices=[("", "—")] + [(name, name) for name in BUNDLED_AVATARS],
        widget=forms.RadioSelect,
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False, widget=forms.PasswordInput)
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone"))


class PasswordResetSetForm(auth_forms.SetPasswordForm):
    """Django's reset form, saving through the service (tokens revoked, sessions ended, audit)."""

    def save(self, commit: bool = True) -> User:
        return services.user_password_set(user=self.user, password=self.cleaned_data["new_password1"], reason="reset")
