import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = (
        "Create the superuser if it does not exist (idempotent). Values come from the arguments or "
        "DJANGO_SUPERUSER_USERNAME / _EMAIL / _PHONE / _PASSWORD."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default=os.environ.get("DJANGO_SUPERUSER_USERNAME", "root"))
        parser.add_argument("--email", default=os.environ.get("DJANGO_SUPERUSER_EMAIL", "root@example.com"))
        parser.add_argument("--phone", default=os.environ.get("DJANGO_SUPERUSER_PHONE", "+79990000000"))
        parser.add_argument("--password", default=os.environ.get("DJANGO_SUPERUSER_PASSWORD", ""))

    def handle(self, *args, username: str, email: str, phone: str, password: str, **options) -> None:
        try:
            _user, created = services.superuser_ensure(username=username, email=email, phone=phone, password=password)
        except ValidationError as error:
            if "password" in getattr(error, "error_dict", {}) and not password:
                raise CommandError("Give --password or set DJANGO_SUPERUSER_PASSWORD.") from None
            raise CommandError(" ".join(error.messages)) from None
        if created:
            self.stdout.write(self.style.SUCCESS(f"Superuser {username} created."))
        else:
            self.stdout.write(f"Superuser {username} already exists; nothing changed.")
