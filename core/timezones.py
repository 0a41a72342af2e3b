"""Time-zone names chosen by users (a mailing's zone): one list and one check for every app."""

from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@cache
def time_zone_names() -> frozenset[str]:
    """Every IANA zone name this machine knows (``UTC`` included)."""
    return frozenset(available_timezones())


@cache
def time_zone_choices() -> tuple[tuple[str, str], ...]:
    """The zones offered in forms: UTC and the "Region/City" names, sorted."""
    names = sorted(name for name in time_zone_names() if "/" in name and not name.startswith("Etc/"))
    return (("UTC", "UTC"), *((name, name) for name in names))


def validate_time_zone(name: object) -> None:
    """Raise ``ValidationError`` unless ``name`` is a known zone (also the model field's validator)."""
    if not isinstance(name, str) or name not in time_zone_names():
        raise ValidationError(_("Unknown time zone: %(zone)s."), code="time_zone", params={"zone": name})
