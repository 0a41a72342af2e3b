from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from accounts.models import User
from accounts.selectors import user_by_login

# The request attribute naming the account whose password was right but which may not log in
# (blocked, unconfirmed): the login service then says why, without hashing the password twice.
VERIFIED_BUT_REFUSED = "accounts_verified_but_refused"


class LoginBackend(ModelBackend):
    """Password login where the one ``username`` field may hold an email, a phone or a username.

    Inactive (unconfirmed) and blocked accounts cannot authenticate; the login service tells
    their owners why, but only after it has checked the password. Every path runs the password
    hasher exactly once, so timing does not reveal which logins exist.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ) -> User | None:
        if username is None or password is None:
            return None
        user = user_by_login(username)
        if user is None:
            # Spend the same time as a real check (one run of the same hasher).
            User().set_password(password)
            return None
        if not user.check_password(password):
            return None
        if self.user_can_authenticate(user):
            return user
        if request is not None:
            setattr(request, VERIFIED_BUT_REFUSED, user)
        return None

    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        return super().user_can_authenticate(user) and not (isinstance(user, User) and user.block_is_current)

    def get_user(self, user_id: int) -> User | None:
        user = super().get_user(user_id)
        return user if user is not None and not user.block_is_current else None
