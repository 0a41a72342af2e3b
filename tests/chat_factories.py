"""Factories for the messenger's tests (and the authorization matrix)."""

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

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


def attachment_in(chat: Chat, *, name: str = "notes.txt", content: bytes = b"hello") -> Attachment:
    message = MessageFactory(chat=chat)
    attachment = Attachment(message=message, original_name=name, size=len(content), content_type="text/plain")
    attachment.file.save(name, SimpleUploadedFile(name, content), save=True)
    return attachment
