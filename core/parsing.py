"""Reading numbers from untrusted input (URLs, query strings, forms, JSON) in one way everywhere."""

import re

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

# The largest primary key a 64-bit column holds; SQLite cannot even bind a larger number.
ID_MAX = 2**63 - 1

# ASCII digits only: "²".isdigit() is true but int("²") fails, and int(" 7 ") or int("+7") would
# let odd spellings of an id through. Up to 19 digits is the shape of a 64-bit id.
_DIGITS = re.compile(r"[0-9]{1,19}")


def id_or_none(value: object, *, minimum: int = 1) -> int | None:
    """An object id from a string of ASCII digits or an int; None for anything else.

    ``minimum=0`` admits 0 where it means "from the start" (a client's ``after=0``). A well-formed
    number past ``ID_MAX`` names no row: it becomes ``ID_MAX``, which no row reaches either, so
    that it is looked up (and not found) like any other id instead of overflowing the database.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return min(number, ID_MAX) if number >= minimum else None


def positive_int(value: object, *, field: str, message: str | None = None, minimum: int = 1) -> int:
    """An object id, else ``ValidationError({field: [message]})`` (400 in the API, a form error on pages)."""
    number = id_or_none(value, minimum=minimum)
    if number is None:
        raise ValidationError({field: [message or _("Enter a valid id.")]})
    return number


def id_or_404(value: object) -> int:
    """An object id from a URL; anything else names no object, so it is a 404."""
    number = id_or_none(value)
    if number is None:
        raise Http404
    return number


def page_number(value: object) -> int:
    """A page number from the query string: 1 for anything missing or malformed (never an error)."""
    text = str(value).strip() if value is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return 1
    return max(int(text), 1)
