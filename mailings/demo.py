"""Demo mailings for `fill`: clients, messages and a mailing of every periodicity for alice and bob.

Idempotent: a second run adds nothing; ``--scale N`` gives each demo user N times more clients.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from mailings import services
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage

OWNERS = ["alice", "bob"]
CLIENTS_PER_OWNER = 12
ZONE = "Europe/Moscow"
FIRST_NAMES = ["Anna", "Boris", "Daria", "Egor", "Irina", "Kirill", "Lena", "Maxim", "Nina", "Oleg", "Polina", "Roman"]
LAST_NAMES = ["Smirnova", "Ivanov", "Kuznetsova", "Popov", "Sokolova", "Lebedev", "Kozlova", "Novikov"]
MESSAGES = [
    ("Welcome aboard!", "Hello,\n\nthank you for joining us. Here is what to expect from our letters."),
    ("Weekly digest", "Hello,\n\nthe best of this week: new products, new articles and a few tips."),
    ("Monthly report", "Hello,\n\nhere is how our month went, with numbers and plans for the next one."),
    ("Spring sale", "Hello,\n\nour spring sale starts today: up to 30% off for our subscribers."),
]
# periodicity -> (message index, days from today to the first send, length in days)
PLAN = {
    # Sent yesterday; it ends tomorrow because a mailing's end may not be in the past when it is created.
    Mailing.Periodicity.ONCE: (3, -1, 2),
    Mailing.Periodicity.DAILY: (0, 1, 30),
    Mailing.Periodicity.WEEKLY: (1, 3, 90),
    Mailing.Periodicity.MONTHLY: (2, 7, 365),
}


def _clients(owner: User, count: int) -> int:
    wanted = {
        f"{owner.username}.client{index:04d}@example.org": (
            f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {LAST_NAMES[index % len(LAST_NAMES)]}"
        )
        for index in range(1, count + 1)
    }
    existing = {email.lower() for email in Client.objects.filter(owner=owner).values_list("email", flat=True)}
    new = [
        Client(owner=owner, email=email, full_name=name, comment="Demo client")
        for email, name in wanted.items()
        if email not in existing
    ]
    Client.objects.bulk_create(new, batch_size=500)
    return len(new)


def _messages(owner: User) -> list[MailMessage]:
    messages = []
    for subject, body in MESSAGES:
        message = MailMessage.objects.filter(owner=owner, subject=subject).first()
        if message is None:
            message = services.mail_message_create(owner=owner, subject=subject, body=body)
        messages.append(message)
    return messages


def _history(mailing: Mailing) -> None:
    """A finished run for the one-off mailing, so its page has statistics to show."""
    run = MailingRun.objects.create(
        mailing=mailing, scheduled_for=mailing.start_at, status=MailingRun.Status.FINISHED, finished_at=timezone.now()
    )
    clients = list(mailing.clients.order_by("id"))
    attempts = []
    for index, client in enumerate(clients):
        failed = index == len(clients) - 1
        attempts.append(
            Attempt(
                run=run,
                mailing=mailing,
                client=client,
                email=client.email,
                status=Attempt.Status.FAILURE if failed else Attempt.Status.SUCCESS,
                response="550 mailbox unavailable" if failed else "250 accepted",
                tries=1,
            )
        )
    Attempt.objects.bulk_create(attempts)
    MailingRun.objects.filter(pk=run.pk).update(total=len(clients))
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.COMPLETED, next_send_at=None)


def _mailings(owner: User, messages: list[MailMessage]) -> int:
    zone = ZoneInfo(ZONE)
    today = timezone.localdate(timezone=zone)
    clients = list(Client.objects.filter(owner=owner))
    added = 0
    for periodicity, (message_index, offset, length) in PLAN.items():
        message = messages[message_index]
        if Mailing.objects.filter(owner=owner, message=message, periodicity=periodicity).exists():
            continue
        start = datetime.combine(today + timedelta(days=offset), time(9, 0), tzinfo=zone)
        with transaction.atomic():
            mailing = services.mailing_create(
                owner=owner,
                message=message,
                clients=clients,
                start_at=start,
                end_at=start + timedelta(days=length),
                periodicity=periodicity,
                time_zone=ZONE,
            )
            if start < timezone.now():
                _history(mailing)
        added += 1
    return added


def fill(*, scale: int, stdout) -> None:
    owners = list(User.objects.filter(username__in=OWNERS).order_by("username"))
    clients = messages = mailings = 0
    for owner in owners:
        with transaction.atomic():
            clients += _clients(owner, CLIENTS_PER_OWNER * scale)
            before = MailMessage.objects.filter(owner=owner).count()
            owned = _messages(owner)
            messages += MailMessage.objects.filter(owner=owner).count() - before
            mailings += _mailings(owner, owned)
            services.caches_invalidate(owner)
    stdout.write(f"Mailings: {clients} clients, {messages} messages, {mailings} mailings added.")
