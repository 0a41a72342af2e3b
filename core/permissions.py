"""Role checks shared by every app: the ``manager`` and ``blog_manager`` groups (superusers pass both).

Each answer is remembered on the user object, so a page that asks several times costs one query.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

MANAGER_GROUP = "manager"
BLOG_MANAGER_GROUP = "blog_manager"


def _in_group(user: Any, group: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    remembered: dict[str, bool] = user.__dict__.setdefault("_agora_roles", {})
    if group not in remembered:
        remembered[group] = user.groups.filter(name=group).exists()
    return remembered[group]


def is_manager(user: Any) -> bool:
    """Managers moderate users and see every mailing."""
    return _in_group(user, MANAGER_GROUP)


def is_blog_manager(user: Any) -> bool:
    """Blog managers create, edit, publish and delete articles."""
    return _in_group(user, BLOG_MANAGER_GROUP)


def check_manager(user: Any) -> None:
    if not is_manager(user):
        raise PermissionDenied


def check_blog_manager(user: Any) -> None:
    if not is_blog_manager(user):
        raise PermissionDenied


class IsManager(BasePermission):
    """DRF: managers only (anonymous callers get 401 from the authentication step, others 403)."""

    def has_permission(self, request: Request, view: object) -> bool:
        return is_manager(request.user)


class IsBlogManager(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return is_blog_manager(request.user)
