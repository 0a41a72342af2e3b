"""Role checks shared by every app: the ``manager`` and ``blog_manager`` groups (superusers pass both).

Both answers are read together and remembered on the user object: a page that asks several times,
about either role, costs one query.
"""

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import connection
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

MANAGER_GROUP = "manager"
BLOG_MANAGER_GROUP = "blog_manager"


def _in_group(user: Any, group: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    remembered: dict[str, bool] | None = user.__dict__.get("_agora_roles")
    if remembered is None:
        remembered = user.__dict__["_agora_roles"] = _roles_of(user)
    return remembered[group]


def _roles_of(user: Any) -> dict[str, bool]:
    """Both roles in one statement. Written out, because an API view asks on every request and the
    ORM's compilation of ``user.groups.filter(...).exists()`` cost twice the query itself."""
    membership = user.groups.through._meta.db_table
    sql = (
        f'SELECT "role"."name" FROM "{membership}" "membership" '  # noqa: S608  # nosec B608  # table names from the models
        f'JOIN "{Group._meta.db_table}" "role" ON "role"."id" = "membership"."group_id" '
        'WHERE "membership"."user_id" = %s AND "role"."name" IN (%s, %s)'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, MANAGER_GROUP, BLOG_MANAGER_GROUP])
        names = {name for (name,) in cursor.fetchall()}
    return {MANAGER_GROUP: MANAGER_GROUP in names, BLOG_MANAGER_GROUP: BLOG_MANAGER_GROUP in names}


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
