"""Demo chats for `fill`: a few chats among the demo users with messages and one attachment."""

import random

from django.core.files.uploadedfile import SimpleUploadedFile

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
    for index in range(2, 2 + (scale - 1) * 50):
        chats.append(chat_create(creator=users["carol"], title=f"Topic {index}", members=["alice"]))
    count = 0
    for chat in chats:
        members = [membership.user for membership in chat.memberships.select_related("user")]
        for line_number in range(len(LINES) * scale):
            message_send(chat=chat, author=generator.choice(members), text=LINES[line_number % len(LINES)])
            count += 1
    stdout.write(f"Chat: {len(chats)} chats, {count + 1} messages, 1 attachment.")
