"""Demo accounts for `fill`: one or more per role, with known passwords."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User

DEMO_PASSWORD = "Demo$Pass1"  # noqa: S105 - a published demo password, printed by `fill`

DEMO_USERS = [
    # username, last, first, middle, group, is_staff ("superuser": a staff superuser where the
    # DEMO_SUPERUSER setting allows it, local mode only; elsewhere an ordinary user)
    ("owner", "Ivanov", "Oleg", "Sergeevich", "user", "superuser"),
    ("manager", "Petrova", "Maria", "Ivanovna", "manager", True),
    ("blogger", "Sidorov", "Ivan", "Petrovich", "blog_manager", True),
    ("alice", "Liddell", "Alice", "", "user", False),
    ("bob", "Builder", "Bob", "", "user", False),
    ("carol", "Danvers", "Carol", "", "user", False),
]


def fill(*, scale: int, stdout) -> None:
    created = []
    total = len(DEMO_USERS) + (scale - 1) * 20
    for index in range(total):
        if index < len(DEMO_USERS):
            username, last, first, middle, group, staff = DEMO_USERS[index]
            if staff == "superuser" and not settings.DEMO_SUPERUSER:
                staff = False
        else:
            username, last, first, middle, group, staff = (
                f"user{index:05d}",
                "Demo",
                f"User {index}",
                "",
                "user",
                False,
            )
        if User.objects.filter(username=username).exists():
            continue
        with transaction.atomic():
            user = User(
                username=username,
                email=f"{username}@example.com",
                phone=f"+7900{index:07d}",
                last_name=last,
                first_name=first,
                middle_name=middle,
                is_staff=bool(staff),
                is_superuser=staff == "superuser",
                email_confirmed_at=timezone.now(),
                bundled_avatar=f"avatar-{index % 6 + 1}.png",
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(Group.objects.get_or_create(name="user")[0])
            if group != "user":
                user.groups.add(Group.objects.get_or_create(name=group)[0])
        created.append((username, "superuser" if user.is_superuser else group))
    if created:
        stdout.write(f"Demo users (password {DEMO_PASSWORD}):")
        for username, group in created[: len(DEMO_USERS)]:
            admin = "  (staff superuser: /admin/)" if group == "superuser" else ""
            stdout.write(f"  {username:<10} {group:<13} login: {username}@example.com{admin}")
        if len(created) > len(DEMO_USERS):
            stdout.write(f"  … and {len(created) - len(DEMO_USERS)} more demo users")
