from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User
from accounts.selectors import user_by_login


class LoginBackend(ModelBackend):
    """Password login where the one ``username`` field may hold an email, a phone or a username.

    Inactive (unconfirmed) and blocked accounts cannot authenticate; the login service tells
    their owners why, but only after it has checked the password.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ) -> User | None:
        if username is None or password is None:
            return None
        user = user_by_login(username)
        if user is None:
            # Spend the same time as a real check, so timing does not reveal which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user: User) -> bool:
        return super().user_can_authenticate(user) and not user.block_is_current

    def get_user(self, user_id: int) -> User | None:
        user = super().get_user(user_id)
        return user if user is not None and not user.block_is_current else None
