"""Factories for the mailings app: ``MailingFactory(recipients=3)`` gives a due mailing with 3 clients."""

from datetime import timedelta

import factory
from django.utils import timezone

from mailings.models import Client, Mailing, MailMessage
from tests.factories import UserFactory


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    owner = factory.SubFactory(UserFactory)
    email = factory.Sequence(lambda number: f"client{number}@example.org")
    full_name = factory.Sequence(lambda number: f"Client {number}")


class MailMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MailMessage

    owner = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda number: f"News {number}")
    body = "Hello,\nhere is our news."


class MailingFactory(factory.django.DjangoModelFactory):
    """Due now (``next_send_at`` = ``start_at`` a minute ago), daily, for 30 days."""

    class Meta:
        model = Mailing
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    message = factory.SubFactory(MailMessageFactory, owner=factory.SelfAttribute("..owner"))
    start_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    end_at = factory.LazyAttribute(lambda mailing: mailing.start_at + timedelta(days=30))
    periodicity = Mailing.Periodicity.DAILY
    next_send_at = factory.LazyAttribute(lambda mailing: mailing.start_at)

    @factory.post_generation
    def recipients(self, create: bool, extracted, **kwargs) -> None:
        """``recipients=N`` adds N new clients of the owner; ``recipients=[client, …]`` adds those."""
        if not create or not extracted:
            return
        clients = (
            ClientFactory.create_batch(extracted, owner=self.owner) if isinstance(extracted, int) else list(extracted)
        )
        self.clients.add(*clients)
