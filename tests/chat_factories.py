"""Factories for the messenger's tests (and the authorization matrix)."""

from pathlib import Path

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.models import Attachment, Chat, Membership, Message
from tests.factories import UserFactory


class ChatFactory(factory.django.DjangoModelFactory):
    """A chat owned by ``created_by``; ``ChatFactory(members=[a, b])`` adds members."""

    class Meta:
        model = Chat
        skip_postgeneration_save = True

    title = factory.Sequence(lambda number: f"Chat {number}")
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def members(self, create: bool, extracted: list | None, **kwargs) -> None:
        if not create:
            return
        Membership.objects.create(chat=self, user=self.created_by, role=Membership.Role.OWNER)
        for user in extracted or []:
            Membership.objects.create(chat=self, user=user)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    chat = factory.SubFactory(ChatFactory)
    author = factory.LazyAttribute(lambda message: message.chat.created_by)
    text = factory.Sequence(lambda number: f"Message {number}")


def attachment_in(chat: Chat, *, name: str = "notes.txt", content: bytes = b"hello", author=None) -> Attachment:
    """A message in ``chat`` (by ``author``, default the chat's creator) carrying one stored file."""
    message = MessageFactory(chat=chat, **({"author": author} if author is not None else {}))
    attachment = Attachment(message=message, original_name=name, size=len(content), content_type="text/plain")
    attachment.file.save(name, SimpleUploadedFile(name, content), save=True)
    return attachment


def uploaded(name: str = "notes.txt", content: bytes = b"hello", content_type: str = "text/plain"):
    """A file as a browser or API client would upload it."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def files_under(root) -> list[str]:
    """Every file below ``root`` (relative paths, sorted): what is really on disk."""
    root = Path(root)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


# The chat page's own script asks for JSON answers.
AS_SCRIPT = {"HTTP_ACCEPT": "application/json"}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
