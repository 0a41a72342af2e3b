import os

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.validators import normalize_phone


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
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Superuser {username} already exists; nothing changed.")
            return
        if not password:
            raise CommandError("Give --password or set DJANGO_SUPERUSER_PASSWORD.")
        user = User(username=username, email=email, phone=normalize_phone(phone))
        try:
            # The username is the operator's choice (the default "root" is a reserved word for sign-ups);
            # email and phone follow the usual rules, uniqueness included.
            user.full_clean(exclude=["username", "password"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        with transaction.atomic():
            user = User.objects.create_superuser(username=username, email=email, phone=user.phone, password=password)
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["email_confirmed_at"])
            user.groups.add(Group.objects.get_or_create(name="user")[0])
        self.stdout.write(self.style.SUCCESS(f"Superuser {username} created."))
