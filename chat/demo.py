"""Demo chats for `fill`: a few chats among the demo users with messages and one attachment."""

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from accounts.models import User
from chat.models import Chat
from chat.services import chat_create, message_send

LINES = [
    "Hi all! 👋",
    "Did anyone try the new shop search?",
    "Yes, the trending suggestions are handy.",
    "Let's meet on Friday to plan the blog.",
    "I'll bring the draft of the first post.",
    "Sounds good, see you then!",
]


def _lake_picture() -> bytes:
    """A small landscape drawn on the spot (no download), so the demo shows an image preview."""
    image = Image.new("RGB", (480, 320), "#87ceeb")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 210, 480, 320), fill="#3c8d5a")
    draw.ellipse((360, 30, 430, 100), fill="#ffd43b")
    draw.polygon([(40, 210), (150, 90), (260, 210)], fill="#6c757d")
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def fill(*, scale: int, stdout) -> None:
    users = {user.username: user for user in User.objects.filter(username__in=["alice", "bob", "carol", "manager"])}
    if len(users) < 3 or (Chat.objects.exists() and scale == 1):
        return
    generator = random.Random(7 + scale)  # demo data, not security
    chats = [
        chat_create(creator=users["alice"], title="Weekend plans", members=["bob", "carol"]),
        chat_create(creator=users["bob"], title="Shop feedback", members=["alice", "manager"]),
    ]
    message_send(
        chat=chats[0],
        author=users["alice"],
        text="The agenda is attached.",
        uploads=[SimpleUploadedFile("agenda.txt", b"1. Plans\n2. Blog\n3. Shop\n", content_type="text/plain")],
    )
    message_send(
        chat=chats[0],
        author=users["bob"],
        text="Saturday:\n09:40 train from Central\n12:00 picnic by the lake\nMap: https://www.openstreetmap.org/",
        uploads=[SimpleUploadedFile("lake.png", _lake_picture(), content_type="image/png")],
    )
    for index in range(2, 2 + (scale - 1) * 50):
        chats.append(chat_create(creator=users["carol"], title=f"Topic {index}", members=["alice"]))
    count = 0
    for chat in chats:
        members = [membership.user for membership in chat.memberships.select_related("user")]
        for line_number in range(len(LINES) * scale):
            message_send(chat=chat, author=generator.choice(members), text=LINES[line_number % len(LINES)])
            count += 1
    stdout.write(f"Chat: {len(chats)} chats, {count + 2} messages, 2 attachments.")
