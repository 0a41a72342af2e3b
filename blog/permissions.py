"""Who may write the blog: members of the ``blog_manager`` group and superusers."""

from typing import Any

from django.core.exceptions import PermissionDenied

BLOG_MANAGER_GROUP = "blog_manager"


def is_blog_manager(user: Any) -> bool:
    """Whether ``user`` may create, edit, publish and delete articles (remembered on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_blog_manager", None)
    if cached is None:
        cached = user.groups.filter(name=BLOG_MANAGER_GROUP).exists()
        user._is_blog_manager = cached
    return cached


def check_blog_manager(user: Any) -> None:
    if not is_blog_manager(user):
        raise PermissionDenied
