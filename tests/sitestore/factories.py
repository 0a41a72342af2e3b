"""Factories for the site store's tests (and the authorization matrix)."""

import factory
from django.utils import timezone

from sitestore.models import (
    BotMessage,
    FaqEntry,
    Preview,
    SiteTemplate,
    StageChange,
    TemplateCartItem,
    Thread,
    ThreadMessage,
    UserSite,
)
from tests.factories import UserFactory


class SiteTemplateFactory(factory.django.DjangoModelFactory):
    """A published template whose bundle is "tiny" (made by the ``site_bundles`` fixture)."""

    class Meta:
        model = SiteTemplate

    name = factory.Sequence(lambda number: f"Template {number}")
    slug = factory.Sequence(lambda number: f"template-{number}")
    kind = SiteTemplate.Kind.NEWS
    about = "A small site."
    explanation = "A small site with a front page."
    price = 1500
    features = factory.LazyFunction(lambda: ["Responsive layout", "Contact form"])
    screenshots = factory.LazyFunction(list)
    bundle = "tiny"
    is_published = True


class TemplateCartItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemplateCartItem

    user = factory.SubFactory(UserFactory)
    template = factory.SubFactory(SiteTemplateFactory)


class UserSiteFactory(factory.django.DjangoModelFactory):
    """A bought site row without files; use ``template_buy`` when the test needs the files."""

    class Meta:
        model = UserSite

    owner = factory.SubFactory(UserFactory)
    template = factory.SubFactory(SiteTemplateFactory)
    name = factory.Sequence(lambda number: f"News ({number + 1})")
    about = "A small site."
    stage = UserSite.Stage.QUEUED
    started_at = factory.LazyFunction(timezone.now)
    directory = ""


class StageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageChange

    site = factory.SubFactory(UserSiteFactory)
    from_stage = UserSite.Stage.QUEUED
    to_stage = UserSite.Stage.DESIGN
    actor = None


class PreviewFactory(factory.django.DjangoModelFactory):
    """A preview row only: no process behind it."""

    class Meta:
        model = Preview

    owner = factory.SubFactory(UserFactory)
    site = None
    template = None
    status = Preview.Status.STOPPED
    host = "localhost"
    port = None
    pid = None


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqEntry

    question = factory.Sequence(lambda number: f"Question {number}?")
    answer = "An answer."
    language = FaqEntry.Language.ENGLISH
    is_published = True


class BotMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BotMessage

    user = factory.SubFactory(UserFactory)
    question = "How do I run my site?"
    answer = "Press Run on My sites."
    score = 1.0
    confident = True


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    user = factory.SubFactory(UserFactory)
    site = None
    subject = factory.Sequence(lambda number: f"Question {number}")
    status = Thread.Status.OPEN


class ThreadMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThreadMessage

    thread = factory.SubFactory(ThreadFactory)
    author = factory.LazyAttribute(lambda message: message.thread.user)
    from_staff = False
    text = "Hello, when will my site be ready?"
