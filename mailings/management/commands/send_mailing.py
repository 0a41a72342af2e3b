from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mailings import services
from mailings.models import Attempt, Mailing


class Command(BaseCommand):
    help = 'Send one mailing now, in this process (like its "send now" button), and print the counts.'

    def add_arguments(self, parser) -> None:
        parser.add_argument("mailing_id", type=int)

    def handle(self, *args, mailing_id: int, **options) -> None:
        try:
            mailing = Mailing.objects.get(pk=mailing_id)
        except Mailing.DoesNotExist:
            raise CommandError(f"No mailing with id {mailing_id}.") from None
        try:
            run = services.mailing_send_now(mailing=mailing, actor=None, wait=True)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        counts = {status: run.attempts.filter(status=status).count() for status in Attempt.Status.values}
        self.stdout.write(
            self.style.SUCCESS(
                f"Mailing {mailing.pk}, run {run.pk}: {counts['success']} sent, {counts['failure']} failed, "
                f"{counts['skipped']} skipped (unsubscribed), {counts['unknown']} unknown, {run.total} recipients."
            )
        )
