"""`GET /api/messages/?chat=` serialises its page without DRF's per-field machinery (issue #11): the
bytes must stay those that ``MessageSerializer`` (the declared serializer, the OpenAPI schema's source)
gives for the same messages, and the page must cost a fixed, small number of queries."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from chat import selectors, services
from chat.api.serializers import MessageSerializer
from chat.api.views import MessagePagination
from chat.models import Attachment, Message
from tests.chat_factories import ChatFactory, MessageFactory, attachment_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MESSAGES = "/api/messages/"


@pytest.fixture
def media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def declared_bytes(response) -> bytes:
    """The response as ``MessageSerializer`` renders the same messages (read afresh, by id)."""
    body = response.json()
    ids = [item["id"] for item in body["results"]]
    messages = {m.pk: m for m in Message.objects.filter(pk__in=ids).select_related("author")}
    serializer = MessageSerializer([messages[pk] for pk in ids], many=True, context={"request": response.wsgi_request})
    data = {"next": body["next"], "previous": body["previous"], "results": serializer.data}
    return JSONRenderer().render(data)


def second_attachment(message: Message, name: str) -> Attachment:
    attachment = Attachment(message=message, original_name=name, size=3, content_type="application/pdf")
    attachment.file.save(name, SimpleUploadedFile(name, b"abc"), save=True)
    return attachment


@pytest.fixture
def varied_chat(media):
    """A chat with every kind of message the list shows."""
    owner, reader, leaving = UserFactory(), UserFactory(), UserFactory()
    chat = ChatFactory(created_by=owner, members=[reader, leaving])
    MessageFactory(chat=chat, author=owner, text="plain ASCII")
    MessageFactory(chat=chat, author=reader, text='Ünïcödé “quotes” \\ "escaped" </script> 😀\nnew line')
    attachment_in(chat, name="notes.txt")  # text and one file
    two = attachment_in(chat, name="first.txt").message
    second_attachment(two, "Отчёт «2026».pdf")  # two files, a non-ASCII name
    services.message_send(chat=chat, author=owner, text="", uploads=[SimpleUploadedFile("only.txt", b"x")])
    edited = MessageFactory(chat=chat, author=owner, text="helo")
    services.message_edit(message_id=edited.pk, user=owner, text="hello")
    deleted = attachment_in(chat, name="gone.txt").message
    services.message_delete(message_id=deleted.pk, user=owner)
    MessageFactory(chat=chat, author=leaving, text="from an account that is deleted")
    leaving.delete()  # the author becomes null
    whole_second = MessageFactory(chat=chat, author=owner, text="no microseconds")
    Message.objects.filter(pk=whole_second.pk).update(
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), changed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    return chat, reader


def test_the_newest_page_is_byte_for_byte_what_the_declared_serializer_renders(varied_chat):
    chat, reader = varied_chat

    response = client_for(reader).get(MESSAGES, {"chat": chat.pk})

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 9
    assert [item["author"] for item in results].count(None) == 1
    assert sorted(len(item["attachments"]) for item in results) == [0, 0, 0, 0, 0, 0, 1, 1, 2]
    assert response.content == declared_bytes(response)


def test_every_page_and_the_catching_up_pages_render_as_the_declared_serializer(varied_chat):
    chat, reader = varied_chat
    client = client_for(reader)
    first = Message.objects.filter(chat=chat).order_by("id").first()
    assert first is not None

    for params in (
        {"chat": chat.pk, "page_size": 2},
        {"chat": chat.pk, "after": 0, "page_size": 3},
        {"chat": chat.pk, "after": first.pk},
        {"chat": chat.pk, "changed_since": (first.changed_at - timedelta(days=1)).isoformat()},
    ):
        response = client.get(MESSAGES, params)
        pages = 0
        while True:
            assert response.status_code == 200, response.content
            assert response.content == declared_bytes(response), params
            pages += 1
            if not response.json()["next"]:
                break
            response = client.get(response.json()["next"])
        assert pages >= 1


def test_times_are_rendered_in_the_current_time_zone_as_drf_does(varied_chat, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # +05:30: no "Z" suffix
    chat, reader = varied_chat

    response = client_for(reader).get(MESSAGES, {"chat": chat.pk})

    assert response.json()["results"][0]["created_at"].endswith("+05:30")
    assert response.content == declared_bytes(response)


def test_the_listed_fields_are_the_declared_serializers_in_its_order(varied_chat):
    chat, reader = varied_chat

    results = client_for(reader).get(MESSAGES, {"chat": chat.pk}).json()["results"]

    with_file = next(item for item in results if item["attachments"])
    assert list(results[0]) == MessageSerializer.Meta.fields
    assert list(with_file["attachments"][0]) == ["id", "original_name", "size", "content_type", "url"]
    assert with_file["attachments"][0]["url"].startswith("http://testserver/api/attachments/")


def test_the_newest_page_costs_three_queries_with_authors_and_attachments(varied_chat, django_assert_num_queries):
    # The membership (no chat row), the page's ids, the page's rows with authors and attachments
    # (no prefetch query, no model instances). Reading the page again moves no read mark: no UPDATE.
    chat, reader = varied_chat
    client = client_for(reader)
    client.get(MESSAGES, {"chat": chat.pk})

    with django_assert_num_queries(3) as captured:
        response = client.get(MESSAGES, {"chat": chat.pk})

    assert response.status_code == 200
    assert any(item["attachments"] for item in response.json()["results"])
    assert not [query for query in captured.captured_queries if query["sql"].startswith("UPDATE")]


def test_a_page_with_unread_messages_costs_one_more_query_the_read_mark(varied_chat, django_assert_num_queries):
    chat, reader = varied_chat
    newest = Message.objects.filter(chat=chat).order_by("-id").first()
    assert newest is not None

    with django_assert_num_queries(4):
        client_for(reader).get(MESSAGES, {"chat": chat.pk})

    assert chat.memberships.get(user=reader).last_read_id == newest.pk


def test_a_non_member_gets_404_after_one_query_and_reads_nothing(varied_chat, django_assert_num_queries):
    chat, _reader = varied_chat
    outsider = client_for(UserFactory())

    with django_assert_num_queries(1):
        response = outsider.get(MESSAGES, {"chat": chat.pk, "after": "not an id"})

    assert response.status_code == 404


def test_message_rows_keep_the_order_of_the_ids_and_leave_out_other_chats_and_missing_ids(media):
    owner = UserFactory()
    chat, elsewhere = ChatFactory(created_by=owner), ChatFactory(created_by=owner)
    first, second = MessageFactory(chat=chat), MessageFactory(chat=chat)
    other = MessageFactory(chat=elsewhere)
    file = attachment_in(chat)
    second_attachment(file.message, "b.pdf")

    rows = selectors.message_rows(chat.pk, [file.message.pk, second.pk, other.pk, 999_999, first.pk])

    assert [row["id"] for row in rows] == [file.message.pk, second.pk, first.pk]
    assert [attachment["original_name"] for attachment in rows[0]["attachments"]] == ["notes.txt", "b.pdf"]
    assert rows[0]["created_at"].tzinfo is not None
    assert rows[1]["is_deleted"] is False
    assert selectors.message_rows(chat.pk, []) == []


def test_member_last_read_is_none_for_non_members_and_missing_chats(varied_chat):
    chat, reader = varied_chat
    services.chat_mark_read(chat=chat, user=reader, up_to=12)

    assert selectors.member_last_read(reader, chat.pk) == 12
    assert selectors.member_last_read(UserFactory(), chat.pk) is None
    assert selectors.member_last_read(reader, 999_999) is None


def drf_page(chat, query: dict) -> tuple[list[int], str | None, str | None]:
    """What DRF's cursor pagination answers for the same query on the ORM queryset (the reference the
    first page's single SQL statement must match): the ids oldest first, ``next`` and ``previous``."""
    request = Request(APIRequestFactory().get(MESSAGES, query))
    paginator = MessagePagination()
    messages = Message.objects.filter(chat=chat)
    if "after" in query:
        messages = messages.filter(id__gt=query["after"])
    rows = paginator.paginate_queryset(messages.values("id"), request) or []
    ids = [row["id"] for row in rows]
    newest_first = paginator.ordering[0].startswith("-")
    return (ids[::-1] if newest_first else ids), paginator.get_next_link(), paginator.get_previous_link()


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"page_size": 3},
        {"page_size": 12},
        {"page_size": 13},
        {"page_size": 1000},  # clamped to 100
        {"page_size": "abc"},  # the default, 50
        {"page_size": 0},
        {"after": 0},
        {"after": 0, "page_size": 3},
        {"after": "middle", "page_size": 2},
        {"after": "newest"},
        {"after": "9" * 19},  # past the largest id (read as the largest): nothing
    ],
)
def test_a_first_page_read_in_one_statement_answers_as_drfs_cursor_pagination(extra):
    owner = UserFactory()
    chat = ChatFactory(created_by=owner)
    other = ChatFactory(created_by=owner)
    messages = []
    for index in range(12):
        messages.append(MessageFactory(chat=chat, author=owner))
        if index % 3 == 0:
            MessageFactory(chat=other, author=owner)  # ids of another chat in between
    names = {"middle": messages[5].pk, "newest": messages[-1].pk}
    query = {"chat": chat.pk, **{key: names.get(value, value) for key, value in extra.items()}}

    body = client_for(owner).get(MESSAGES, query).json()

    expected_ids, expected_next, expected_previous = drf_page(chat, query)
    assert [item["id"] for item in body["results"]] == expected_ids
    assert (body["next"], body["previous"]) == (expected_next, expected_previous)


def test_the_first_page_and_the_cursor_pages_after_it_join_without_a_gap(media):
    owner = UserFactory()
    chat = ChatFactory(created_by=owner)
    sent = [MessageFactory(chat=chat, author=owner).pk for _ in range(7)]
    client = client_for(owner)

    seen: list[int] = []
    response = client.get(MESSAGES, {"chat": chat.pk, "page_size": 3})
    while True:
        body = response.json()
        seen = [item["id"] for item in body["results"]] + seen
        if not body["next"]:
            break
        response = client.get(body["next"])
    forward: list[int] = []
    response = client.get(MESSAGES, {"chat": chat.pk, "after": 0, "page_size": 3})
    while True:
        body = response.json()
        forward += [item["id"] for item in body["results"]]
        if not body["next"]:
            break
        response = client.get(body["next"])

    assert seen == sent
    assert forward == sent


def test_contiguous_message_rows_read_a_range_but_return_only_the_pages_ids(media):
    # A message committed between the page's ids and its rows (its id taken earlier) lies inside the
    # range: it is not part of this page, so it is left out.
    owner = UserFactory()
    chat = ChatFactory(created_by=owner)
    first, late, last = (MessageFactory(chat=chat) for _ in range(3))
    attachment_in(chat)  # outside the range

    rows = selectors.message_rows(chat.pk, [first.pk, last.pk], contiguous=True)

    assert [row["id"] for row in rows] == [first.pk, last.pk]
    assert late.pk not in [row["id"] for row in rows]
    assert selectors.message_rows(chat.pk, [first.pk, last.pk]) == rows
