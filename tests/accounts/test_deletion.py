"""Deleting an account: one service removes what the user owns in every app, and their files."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from blog.models import Article
from chat.models import Attachment, Chat, Message
from core.models import AuditEvent
from mailings import sending
from mailings.models import Attempt, Mailing, MailingRun, MailMessage, Unsubscribe
from mailings.models import Client as MailClient
from shop.models import CartItem, CategoryInterest, NewsletterDelivery, Order, OrderItem, SearchQuery
from tests.accounts.helpers import committed
from tests.blog.factories import ArticleFactory
from tests.chat_factories import ChatFactory, attachment_in, files_under
from tests.factories import PASSWORD, CategoryFactory, OrderFactory, ProductFactory, UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory

pytestmark = pytest.mark.django_db(transaction=True)


def png_upload() -> SimpleUploadedFile:
    output = io.BytesIO()
    Image.new("RGB", (40, 40), "teal").save(output, format="PNG")
    return SimpleUploadedFile("me.png", output.getvalue(), content_type="image/png")


def owner_of_everything(*, friend: User) -> tuple[User, dict]:
    """A user with one of every object a user can own, and a friend who shares a chat with them."""
    user = UserFactory(roles=["blog_manager"])
    services.user_avatar_set(user=user, upload=png_upload())
    mailing = MailingFactory(owner=user, recipients=2, status=Mailing.Status.RUNNING)
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now(), total=2)
    for client in mailing.clients.all():
        Attempt.objects.create(run=run, mailing=mailing, client=client, email=client.email, status="success")
    ClientFactory(owner=user)
    MailMessageFactory(owner=user)
    Unsubscribe.objects.create(owner=user, email="gone@example.org")
    product = ProductFactory()
    CartItem.objects.create(user=user, product=product, quantity=2)
    order = OrderFactory(user=user, products=[product])
    CategoryInterest.objects.create(user=user, category=CategoryFactory(), views=1)
    NewsletterDelivery.objects.create(user=user, week="2026-W01")
    SearchQuery.objects.create(user=user, query="lamps")
    shared = ChatFactory(created_by=user, members=[friend])
    attachment_in(shared, author=user, name="mine.txt")
    attachment_in(shared, author=friend, name="friends.txt")
    alone = ChatFactory(created_by=user)
    attachment_in(alone, author=user)
    article = ArticleFactory(author=user)
    return user, {"order": order, "shared": shared, "alone": alone, "article": article}


def delete_by_page(user: User) -> None:
    client = Client()
    client.force_login(user)
    response = client.post(reverse("accounts:delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def delete_by_api(user: User) -> None:
    client = APIClient()
    login = client.post("/api/auth/login/", {"login": user.username, "password": PASSWORD})
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    response = client.delete("/api/users/me/", {"password": PASSWORD})
    assert response.status_code == 204, response.content


@pytest.mark.parametrize("delete", [delete_by_page, delete_by_api], ids=["page", "api"])
def test_deleting_an_account_removes_everything_it_owns_and_its_files(delete, mailoutbox):
    friend = UserFactory()
    user, kept = owner_of_everything(friend=friend)
    user_id = user.pk
    assert files_under(settings.MEDIA_ROOT)  # the avatar
    assert len(files_under(settings.PRIVATE_MEDIA_ROOT)) == 3

    delete(user)

    assert not User.objects.filter(pk=user_id).exists()
    for model in (Mailing, MailingRun, Attempt, MailClient, MailMessage, Unsubscribe):
        assert not model.objects.exists(), model
    for model in (CartItem, CategoryInterest, NewsletterDelivery):
        assert not model.objects.exists(), model
    # Orders are business records: kept whole, linked to no account.
    order = Order.objects.get(pk=kept["order"].pk)
    assert order.user is None
    assert OrderItem.objects.filter(order=order).count() == 1
    assert SearchQuery.objects.get().user is None
    # Chats follow the messenger's rule: the friend owns the shared chat, the empty one is gone,
    # the user's messages stay without an author and their files are gone.
    assert list(Chat.objects.values_list("pk", flat=True)) == [kept["shared"].pk]
    assert Chat.objects.get().memberships.get().user == friend
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["friends.txt"]
    assert Message.objects.filter(chat=kept["shared"], author=None).exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == [Attachment.objects.get().file.name]
    # Blog articles are the site's publications: they stay, without an author.
    assert Article.objects.get(pk=kept["article"].pk).author is None
    assert files_under(settings.MEDIA_ROOT) == []
    assert AuditEvent.objects.filter(action="accounts.deleted", details__username=user.username).exists()


def test_a_running_mailing_of_a_deleted_account_sends_nothing_more(mailoutbox):
    user = UserFactory()
    mailing = MailingFactory(owner=user, recipients=3)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    assert run is not None

    with committed():
        services.user_delete(user=user, password=PASSWORD)

    assert sending.send_due_mailings() is not None
    sending.failed_attempts_retry(now=timezone.now() + timedelta(days=1))
    assert not MailingRun.objects.filter(pk=run.pk).exists()
    assert mailoutbox == []


def test_a_user_with_a_mailing_can_delete_the_account_without_an_error(client):
    user = UserFactory()
    MailingFactory(owner=user, recipients=1)
    client.force_login(user)

    response = client.post(reverse("accounts:delete"), {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()


def test_a_wrong_password_deletes_nothing(client):
    user = UserFactory()
    MailingFactory(owner=user, recipients=1)
    client.force_login(user)

    response = client.post(reverse("accounts:delete"), {"password": "Wrong$Pass1", "confirm": "on"})

    assert response.status_code == 200
    assert User.objects.filter(pk=user.pk).exists()
    assert Mailing.objects.filter(owner=user).count() == 1
    assert MailClient.objects.filter(owner=user).count() == 1
