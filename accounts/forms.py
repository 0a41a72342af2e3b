from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import BUNDLED_AVATARS, User
from accounts.validators import AgoraPasswordValidator

PHONE_HELP = _("+7 or 8 followed by 10 digits; spaces, brackets and dashes are fine.")


def _text(autocomplete: str, **attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete, **attrs})


def _phone_field() -> forms.CharField:
    # Raw input such as "8 (912) 345-67-89" is normalised by the service before validation.
    return forms.CharField(
        label=_("Phone"),
        max_length=30,
        help_text=PHONE_HELP,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )


def _add_service_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Add a service's findings beside the fields (others on top), next to the form's own errors."""
    for field, messages in errors.items():
        form.add_error(field if field in form.fields else None, messages)


class RegistrationForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=150, widget=_text("family-name"))
    first_name = forms.CharField(label=_("First name"), max_length=150, widget=_text("given-name"))
    middle_name = forms.CharField(
        label=_("Middle name"), max_length=150, required=False, widget=_text("additional-name")
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=30,
        help_text=User._meta.get_field("username").help_text,
        widget=_text("username", autocapitalize="none", spellcheck="false"),
    )
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = _phone_field()
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, check_accounts: bool = True, **kwargs) -> None:
        """``check_accounts=False`` keeps to the form's own checks (a rate-limited submit learns nothing more)."""
        super().__init__(*args, **kwargs)
        self.check_accounts = check_accounts
        # Show the rules up front, in the language of this request.
        self.fields["password"].help_text = AgoraPasswordValidator().get_help_text()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", _("The two passwords do not match."))
        if self.check_accounts:
            # Every field the form could read is checked by the service too, so one submit shows all.
            fields = {name: value for name, value in data.items() if name != "password_confirm"}
            _add_service_errors(self, services.user_registration_errors(**fields, skip=set(self.errors)))
        return data


class ConfirmForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    code = forms.CharField(
        label=_("Code"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}", "maxlength": "6"}
        ),
    )


class ResendForm(forms.Form):
    email = forms.EmailField(label=_("Email"))


class LoginForm(forms.Form):
    login = forms.CharField(
        label=_("Email, phone or username"),
        max_length=254,
        widget=_text("username", autocapitalize="none", spellcheck="false"),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    remember = forms.BooleanField(label=_("Remember me for 14 days"), required=False)


class ProfileForm(forms.Form):
    """The editable fields, taken from the model; the service validates and saves them."""

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields.update(
            forms.fields_for_model(
                User,
                fields=services.PROFILE_FIELDS,
                widgets={
                    "last_name": _text("family-name"),
                    "first_name": _text("given-name"),
                    "middle_name": _text("additional-name"),
                    "birth_date": forms.DateInput(
                        attrs={"type": "date", "autocomplete": "bday", "max": timezone.localdate().isoformat()},
                        format="%Y-%m-%d",
                    ),
                },
            )
        )
        # Registration requires the first and last name; the profile must not lose them.
        for name in ("last_name", "first_name"):
            self.fields[name].required = True
        self.fields["phone"] = _phone_field()

    def clean(self) -> dict[str, Any]:
        super().clean()
        # The service checks what the form could read (e.g. a phone taken), so one submit shows all.
        _add_service_errors(
            self, services.user_profile_errors(user=self.user, data=self.cleaned_data, skip=set(self.errors))
        )
        return self.cleaned_data


class AvatarForm(forms.Form):
    avatar = forms.FileField(label=_("Upload an image"), required=False)
    bundled_avatar = forms.ChoiceField(
        label=_("Or pick one"),
        required=False,
        choices=[("", "—")] + [(name, name) for name in BUNDLED_AVATARS],
        widget=forms.RadioSelect,
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone"))

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        # Checked here too (the service checks again), so a missing tick and a wrong password show together.
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."), code="password_incorrect")
        return password


class NewPasswordRulesMixin:
    """Django checks the password rules on the confirmation field, and only when both fields match.

    Check them on the new password itself, whatever the confirmation says, so every problem of one
    submit shows at once: each failed rule beside the new password, a mismatch beside the confirmation.
    """

    def validate_password_for_user(self, user: User, password_field_name: str = "new_password1") -> None:  # noqa: S107 - a field name
        super().validate_password_for_user(user, "new_password1")  # type: ignore[misc]  # Django's SetPasswordMixin


class PasswordChangeForm(NewPasswordRulesMixin, auth_forms.PasswordChangeForm):
    """Django's change form (the current password, then the new one twice), every error at once."""


class PasswordResetSetForm(NewPasswordRulesMixin, auth_forms.SetPasswordForm):
    """Django's reset form, saving through the service (tokens revoked, sessions ended, audit)."""

    def save(self, commit: bool = True) -> User:
        return services.user_password_set(user=self.user, password=self.cleaned_data["new_password1"], reason="reset")
