"""Request types for code that runs only for a signed-in account, so type checkers know ``request.user``
is a ``User`` there (Django and DRF type it as ``User | AnonymousUser``)."""

from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that passed ``login_required`` (or the admin's staff check)."""

    user: User


class AuthenticatedRequest(Request):
    """An API request that passed ``IsAuthenticated``."""

    user: User


def account_of(request: HttpRequest | Request) -> User:
    """The account behind a request that only authenticated users reach (the admin, an API method
    behind ``IsAuthenticated``), where the signature cannot say so."""
    user = request.user
    assert isinstance(user, User), "reached without authentication"
    return user
