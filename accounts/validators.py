"""Rules for usernames, phones, birth dates and passwords. Each failed rule has its own message."""

import re
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PHONE_PATTERN = re.compile(r"^\+7\d{10}$")
PHONE_SEPARATORS = re.compile(r"[\s\-()]")
# Russian numbers are often written with the trunk prefix 8 instead of +7: "8 (912) 345-67-89".
PHONE_TRUNK_PREFIX = re.compile(r"^8(\d{10})$")
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{3,30}$")
PASSWORD_SPECIALS = "$%&!:"  # noqa: S105 - the allowed special characters, not a password


BIRTH_DATE_MAX_AGE_YEARS = 130


def normalize_phone(value: str) -> str:
    """Drop spaces, dashes and brackets and turn a leading 8 into +7.

    ``+7 (912) 345-67-89`` and ``8 912 345-67-89`` both become ``+79123456789``; anything else is
    returned without separators for ``validate_phone`` to judge.
    """
    compact = PHONE_SEPARATORS.sub("", value or "")
    return PHONE_TRUNK_PREFIX.sub(r"+7\1", compact)


def validate_phone(value: str) -> None:
    if not PHONE_PATTERN.match(value):
        raise ValidationError(
            gettext_lazy(
                "Enter the phone as +7 or 8 followed by 10 digits, e.g. +7 912 345-67-89 or 8 (912) 345-67-89."
            ),
            code="invalid_phone",
        )


def validate_birth_date(value: date) -> None:
    """No birth dates in the future, nor more than BIRTH_DATE_MAX_AGE_YEARS years ago."""
    today = timezone.localdate()
    if value > today:
        raise ValidationError(gettext_lazy("The birth date cannot be in the future."), code="birth_date_future")
    try:
        earliest = today.replace(year=today.year - BIRTH_DATE_MAX_AGE_YEARS)
    except ValueError:  # 29 February in a year that has none
        earliest = today.replace(year=today.year - BIRTH_DATE_MAX_AGE_YEARS, day=28)
    if value < earliest:
        raise ValidationError(
            gettext_lazy("Enter a birth date within the last %(years)d years."),
            code="birth_date_too_old",
            params={"years": BIRTH_DATE_MAX_AGE_YEARS},
        )


def validate_username(value: str) -> None:
    if not USERNAME_PATTERN.match(value):
        raise ValidationError(
            gettext_lazy("Use 3 to 30 characters: Latin letters, digits, dots, underscores and dashes."),
            code="invalid_username",
        )
    lowered = value.lower()
    for word in settings.ACCOUNTS_RESERVED_USERNAME_WORDS:
        if word.lower() in lowered:
            raise ValidationError(
                gettext_lazy("The username may not contain the reserved word “%(word)s”."),
                code="reserved_username",
                params={"word": word},
            )


class AgoraPasswordValidator:
    """The platform's password rules, applied to registration, reset, change and admin alike."""

    def validate(self, password: str, user: object = None) -> None:
        errors = []
        if len(password) < 8:
            errors.append(
                ValidationError(_("The password must be at least 8 characters long."), code="password_too_short")
            )
        if any(character.isalpha() and not character.isascii() for character in password):
            errors.append(
                ValidationError(
                    _("The password may contain only Latin letters (no Cyrillic or other alphabets)."),
                    code="password_non_latin",
                )
            )
        if not any("A" <= character <= "Z" for character in password):
            errors.append(
                ValidationError(
                    _("The password must contain at least one uppercase Latin letter."),
                    code="password_no_upper",
                )
            )
        if not any(character in PASSWORD_SPECIALS for character in password):
            errors.append(
                ValidationError(
                    _("The password must contain at least one of these characters: $ % & ! :"),
                    code="password_no_special",
                )
            )
        if any(character.isspace() for character in password):
            errors.append(ValidationError(_("The password may not contain spaces."), code="password_whitespace"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "At least 8 characters, Latin letters only, at least one uppercase letter and one of $ % & ! :, no spaces."
        )
