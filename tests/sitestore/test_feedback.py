"""The store's feedback: the FAQ bot (BM25 with English and Russian stemming) and threads with the developers."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEvent
from sitestore import feedback_services as services
from sitestore.faq_demo import FAQ_ENTRIES, faq_fill
from sitestore.feedback import FaqDocument, FaqIndex, terms
from sitestore.models import BotMessage, FaqEntry, Thread, ThreadMessage
from tests.factories import UserFactory
from tests.sitestore.factories import (
    BotMessageFactory,
    FaqEntryFactory,
    ThreadFactory,
    ThreadMessageFactory,
    UserSiteFactory,
)

pytestmark = pytest.mark.django_db

HAND_OVER = "I am not sure I know the answer. Shall I pass your question to the developers?"


@pytest.fixture
def faq():
    faq_fill()
    return {entry.question: entry for entry in FaqEntry.objects.all()}


@pytest.fixture
def developers(settings):
    settings.SITESTORE_DEVELOPERS_EMAIL = ["dev@example.com", "lead@example.com"]
    return settings.SITESTORE_DEVELOPERS_EMAIL


# --- The bot --------------------------------------------------------------------------------------


def test_stemming_joins_word_forms_in_both_languages():
    assert terms("downloads downloading") == terms("download download")
    assert terms("сайты сайтов сайта") == terms("сайт сайт сайт")
    assert terms("ёлки") == terms("елки")
    assert terms("How do I download it?") == terms("download")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # The FAQ's own question.
        ("How do I buy a site template?", "How do I buy a site template?"),
        # A paraphrase sharing only some words, in other forms.
        ("Is downloading my sites as a zip archive possible?", "How can I download my site?"),
        ("Why was the preview stopped?", "Why did my preview stop?"),
        ("what does the testing stage mean", "What do the development stages mean?"),
        # Russian, in other word forms than the entry.
        ("купить шаблоны сайтов", "Как купить шаблон сайта?"),
        ("хочу скачать сайты архивом", "Как скачать мой сайт?"),
        ("как запустить предпросмотры моих сайтов", "Как запустить предпросмотр сайта?"),
        # Nothing in the FAQ: not confident, with the hand-over offer.
        ("How do I cook borscht?", None),
        ("Как приготовить борщ?", None),
        ("What is the weather in Paris tomorrow?", None),
    ],
)
def test_bot_answers_known_questions_and_hands_over_the_rest(faq, user, question, expected):
    answer = services.bot_ask(user=user, question=question)

    assert answer.confident is (expected is not None)
    assert answer.answer == (faq[expected].answer if expected else HAND_OVER)
    assert BotMessage.objects.get(user=user).question == question


def test_bot_answers_in_the_language_of_the_question():
    # Both entries hold the word "zip" alike: only the question's language tells them apart.
    index = FaqIndex(
        [
            FaqDocument(key=1, question="Download", answer="A zip archive.", language="en"),
            FaqDocument(key=2, question="Скачать", answer="Архив zip.", language="ru"),
        ]
    )
    assert index.best("zip", language="ru").document.key == 2
    assert index.best("zip", language="en").document.key == 1
    # With no entry in the question's language, any entry may answer.
    assert index.best("zip", language="de") is not None


def test_bot_asked_in_russian_answers_in_russian(faq, user):
    answer = services.bot_ask(user=user, question="Как скачать zip?")
    assert answer.answer == faq["Как скачать мой сайт?"].answer


def test_bot_is_not_confident_below_the_threshold(faq, user, settings):
    settings.SITESTORE_BOT_THRESHOLD = 0.99

    answer = services.bot_ask(user=user, question="Is downloading my sites as a zip archive possible?")

    assert not answer.confident
    assert answer.answer == HAND_OVER
    assert 0 < answer.score < 0.99


def test_bot_ignores_unpublished_entries(user):
    FaqEntryFactory(question="How do I get a refund?", answer="Secret draft.", is_published=False)

    answer = services.bot_ask(user=user, question="How do I get a refund?")

    assert not answer.confident
    assert answer.score == 0


def test_bot_refuses_an_empty_question_and_keeps_nothing(faq, user):
    with pytest.raises(ValidationError) as error:
        services.bot_ask(user=user, question="   ")
    assert "question" in error.value.message_dict
    assert not BotMessage.objects.exists()


def test_bm25_prefers_the_entry_where_the_rare_word_is():
    index = FaqIndex(
        [
            FaqDocument(key=1, question="site site site", answer="", language="en"),
            FaqDocument(key=2, question="site invoice", answer="", language="en"),
            FaqDocument(key=3, question="site colours", answer="", language="en"),
        ]
    )
    match = index.best("site invoice")
    assert match is not None and match.document.key == 2
    assert index.best("nothing shared") is None


# --- Threads: services ---------------------------------------------------------------------------


def test_thread_about_my_site_emails_the_developers(user, developers, mailoutbox, django_capture_on_commit_callbacks):
    site = UserSiteFactory(owner=user, name="News (1)")

    with django_capture_on_commit_callbacks(execute=True):
        thread = services.thread_open(user=user, text="When will the design be ready?", site=site.pk)

    assert thread.site == site and thread.status == Thread.Status.OPEN
    assert thread.subject == "News (1): When will the design be ready?"
    assert list(thread.messages.values_list("text", "from_staff")) == [("When will the design be ready?", False)]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == developers
    assert "When will the design be ready?" in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="sitestore.thread_opened", target_id=str(thread.pk)).exists()


def test_without_a_developers_address_every_active_staff_account_is_emailed(
    user, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITESTORE_DEVELOPERS_EMAIL = []
    staff = UserFactory(is_staff=True, email="staff@example.com")
    UserFactory(is_staff=True, is_active=False, email="gone@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        services.thread_open(user=user, text="Hello")

    assert [message.to for message in mailoutbox] == [[staff.email]]


@pytest.mark.parametrize("site", ["other", "missing", "garbage"])
def test_a_thread_may_only_be_about_my_own_site(user, site, developers, mailoutbox, django_capture_on_commit_callbacks):
    site_id = {"other": lambda: UserSiteFactory().pk, "missing": lambda: 999999, "garbage": lambda: "1; drop"}[site]()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        services.thread_open(user=user, text="Hello", site=site_id)

    assert error.value.message_dict["site"] == ["Choose one of your own sites."]
    assert not Thread.objects.exists() and not ThreadMessage.objects.exists()
    assert mailoutbox == []


def test_an_empty_question_opens_no_thread(user):
    with pytest.raises(ValidationError) as error:
        services.thread_open(user=user, text=" \n ")
    assert "text" in error.value.message_dict
    assert not Thread.objects.exists()


def test_staff_answer_emails_the_user(user, mailoutbox, django_capture_on_commit_callbacks):
    thread = ThreadMessageFactory(thread=ThreadFactory(user=user)).thread
    staff = UserFactory(is_staff=True)

    with django_capture_on_commit_callbacks(execute=True):
        message = services.thread_reply_by_staff(thread=thread, staff=staff, text="Next week.")

    thread.refresh_from_db()
    assert message.from_staff and message.author == staff
    assert thread.status == Thread.Status.ANSWERED
    assert [email.to for email in mailoutbox] == [[user.email]]
    assert "Next week." in mailoutbox[0].body
    assert reverse("sitestore:thread", args=[thread.pk]) in mailoutbox[0].body


def test_user_reply_emails_the_developers_and_opens_the_thread_again(
    user, developers, mailoutbox, django_capture_on_commit_callbacks
):
    thread = ThreadFactory(user=user, status=Thread.Status.CLOSED)

    with django_capture_on_commit_callbacks(execute=True):
        services.thread_reply_by_user(thread=thread, user=user, text="One more thing.")

    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN
    assert [email.to for email in mailoutbox] == [developers]


def test_only_staff_answer_as_developers(user, mailoutbox):
    thread = ThreadFactory(user=user)

    with pytest.raises(PermissionDenied):
        services.thread_reply_by_staff(thread=thread, staff=user, text="I am a developer, trust me.")

    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN and not thread.messages.exists()
    assert mailoutbox == []


def test_nobody_writes_in_someone_elses_thread(user, other_user):
    thread = ThreadFactory(user=other_user)

    with pytest.raises(PermissionDenied):
        services.thread_reply_by_user(thread=thread, user=user, text="Hi")
    with pytest.raises(PermissionDenied):
        services.thread_close(thread=thread, actor=user)

    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN and not thread.messages.exists()


def test_owner_and_staff_close_a_thread(user):
    mine, other = ThreadFactory(user=user), ThreadFactory()

    services.thread_close(thread=mine, actor=user)
    services.thread_close(thread=other, actor=UserFactory(is_staff=True))

    assert set(Thread.objects.values_list("status", flat=True)) == {Thread.Status.CLOSED}
    assert AuditEvent.objects.filter(action="sitestore.thread_closed").count() == 2


# --- Pages --------------------------------------------------------------------------------------


def test_feedback_page_keeps_my_conversation_and_offers_the_hand_over(client, user, faq):
    BotMessageFactory(question="Someone else's question")
    client.force_login(user)

    client.post(reverse("sitestore:feedback"), {"question": "How do I buy a site template?"})
    response = client.post(reverse("sitestore:feedback"), {"question": "How do I cook borscht?"}, follow=True)

    page = response.content.decode()
    assert "How do I buy a site template?" in page and "How do I cook borscht?" in page
    assert "Someone else" not in page
    unsure = BotMessage.objects.get(user=user, confident=False)
    assert f"{reverse('sitestore:threads')}?ask={unsure.pk}" in page
    assert page.count("ask-developers") == 1


def test_feedback_page_refuses_an_empty_question(client, user):
    client.force_login(user)
    response = client.post(reverse("sitestore:feedback"), {"question": ""})
    assert response.status_code == 400
    assert not BotMessage.objects.exists()


def test_ask_the_developers_prefills_my_question_only(client, user):
    mine, theirs = BotMessageFactory(user=user, question="Can I pay by invoice?"), BotMessageFactory()
    client.force_login(user)

    assert "Can I pay by invoice?" in client.get(reverse("sitestore:threads"), {"ask": mine.pk}).content.decode()
    assert theirs.question not in client.get(reverse("sitestore:threads"), {"ask": theirs.pk}).content.decode()


def test_threads_page_opens_a_thread_and_lists_only_mine(
    client, user, developers, mailoutbox, django_capture_on_commit_callbacks
):
    site = UserSiteFactory(owner=user)
    ThreadFactory(subject="Not mine")
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sitestore:threads"), {"site": site.pk, "text": "Can you change the colours?"})

    thread = Thread.objects.get(user=user)
    assert response.status_code == 302 and response.url == reverse("sitestore:thread", args=[thread.pk])
    assert len(mailoutbox) == 1
    listing = client.get(reverse("sitestore:threads")).content.decode()
    assert thread.subject in listing and "Not mine" not in listing


def test_threads_page_refuses_another_users_site(client, user):
    client.force_login(user)
    response = client.post(reverse("sitestore:threads"), {"site": UserSiteFactory().pk, "text": "Hi"})
    assert response.status_code == 400
    assert "Choose one of your own sites." in response.content.decode()
    assert not Thread.objects.exists()


def test_thread_page_shows_the_answer_and_takes_my_reply(
    client, user, developers, mailoutbox, django_capture_on_commit_callbacks
):
    thread = ThreadMessageFactory(thread=ThreadFactory(user=user), text="Hello?").thread
    ThreadMessageFactory(thread=thread, author=UserFactory(is_staff=True), from_staff=True, text="Hello from us!")
    client.force_login(user)

    assert "Hello from us!" in client.get(reverse("sitestore:thread", args=[thread.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sitestore:thread", args=[thread.pk]), {"text": "Thanks!"})

    assert response.status_code == 302
    assert thread.messages.last().text == "Thanks!"
    assert len(mailoutbox) == 1


def test_someone_elses_thread_is_404_and_unchanged(client, user):
    thread = ThreadMessageFactory().thread
    client.force_login(user)

    assert client.get(reverse("sitestore:thread", args=[thread.pk])).status_code == 404
    assert client.post(reverse("sitestore:thread", args=[thread.pk]), {"text": "Hi"}).status_code == 404
    assert client.post(reverse("sitestore:thread-close", args=[thread.pk])).status_code == 404

    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN and thread.messages.count() == 1


def test_close_button_closes_my_thread(client, user):
    thread = ThreadFactory(user=user)
    client.force_login(user)
    client.post(reverse("sitestore:thread-close", args=[thread.pk]))
    thread.refresh_from_db()
    assert thread.status == Thread.Status.CLOSED


def test_threads_page_costs_the_same_queries_for_any_number_of_threads(client, user, django_assert_max_num_queries):
    client.force_login(user)
    ThreadMessageFactory(thread=ThreadFactory(user=user, site=UserSiteFactory(owner=user)))
    client.get(reverse("sitestore:threads"))  # the session's first request notes the device
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("sitestore:threads"))
    for _ in range(15):
        ThreadMessageFactory(thread=ThreadFactory(user=user, site=UserSiteFactory(owner=user)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("sitestore:threads"))


# --- API ----------------------------------------------------------------------------------------


def test_api_bot_answers_with_answer_and_confident(user_api_client, faq):
    known = user_api_client.post("/api/feedback/bot/", {"question": "How do I buy a site template?"}, format="json")
    unknown = user_api_client.post("/api/feedback/bot/", {"question": "How do I cook borscht?"}, format="json")

    assert known.status_code == 200
    assert known.json()["confident"] is True
    assert known.json()["answer"] == faq["How do I buy a site template?"].answer
    assert unknown.json()["confident"] is False
    assert unknown.json()["answer"] == HAND_OVER


def test_api_bot_lists_only_my_conversation(user_api_client, user):
    BotMessageFactory(user=user, question="Mine")
    BotMessageFactory(question="Theirs")

    response = user_api_client.get("/api/feedback/bot/")

    assert [item["question"] for item in response.json()["results"]] == ["Mine"]


@pytest.mark.parametrize("body", [{}, {"question": ""}, {"question": "x" * 501}])
def test_api_bot_refuses_bad_questions(user_api_client, body):
    response = user_api_client.post("/api/feedback/bot/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == 400 and "question" in response.json()["errors"]
    assert not BotMessage.objects.exists()


def test_api_opens_lists_and_replies_to_my_threads(
    user_api_client, user, developers, mailoutbox, django_capture_on_commit_callbacks
):
    site = UserSiteFactory(owner=user)
    ThreadFactory(subject="Not mine")

    with django_capture_on_commit_callbacks(execute=True):
        created = user_api_client.post("/api/feedback/threads/", {"site": site.pk, "text": "Any news?"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["site"] == site.pk and body["status"] == "open"
    assert [message["text"] for message in body["messages"]] == ["Any news?"]

    listing = user_api_client.get("/api/feedback/threads/").json()
    assert [thread["id"] for thread in listing["results"]] == [body["id"]]

    with django_capture_on_commit_callbacks(execute=True):
        reply = user_api_client.post(f"/api/feedback/threads/{body['id']}/reply/", {"text": "Hello?"}, format="json")
    assert reply.status_code == 201 and reply.json()["from_staff"] is False
    detail = user_api_client.get(f"/api/feedback/threads/{body['id']}/").json()
    assert [message["text"] for message in detail["messages"]] == ["Any news?", "Hello?"]
    assert len(mailoutbox) == 2


def test_api_refuses_a_thread_about_another_users_site(user_api_client):
    response = user_api_client.post(
        "/api/feedback/threads/", {"site": UserSiteFactory().pk, "text": "Hi"}, format="json"
    )
    assert response.status_code == 400
    assert "site" in response.json()["errors"]
    assert not Thread.objects.exists()


def test_api_thread_list_costs_the_same_queries_for_any_number_of_threads(
    user_api_client, user, django_assert_max_num_queries
):
    for _ in range(2):
        ThreadMessageFactory(thread=ThreadFactory(user=user, site=UserSiteFactory(owner=user)))
    with CaptureQueriesContext(connection) as few:
        user_api_client.get("/api/feedback/threads/")
    for _ in range(15):
        ThreadMessageFactory(thread=ThreadFactory(user=user, site=UserSiteFactory(owner=user)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(user_api_client.get("/api/feedback/threads/").json()["results"]) == 17


def test_api_feedback_needs_a_signed_in_user(api_client):
    for path in ["/api/feedback/bot/", "/api/feedback/threads/"]:
        response = api_client.post(path, {"question": "x", "text": "x"}, format="json")
        assert response.status_code == 401
        assert response.json() == {"code": 401, "message": "Unauthorized"}


# --- Admin --------------------------------------------------------------------------------------


def test_staff_answer_in_the_admin_goes_through_the_service(
    client, user, mailoutbox, django_capture_on_commit_callbacks
):
    thread = ThreadMessageFactory(thread=ThreadFactory(user=user)).thread
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    url = reverse("admin:sitestore_thread_change", args=[thread.pk])
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "answer": "It is ready.",
                "messages-TOTAL_FORMS": "1",
                "messages-INITIAL_FORMS": "1",
                "messages-MIN_NUM_FORMS": "0",
                "messages-MAX_NUM_FORMS": "1000",
            },
        )

    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.status == Thread.Status.ANSWERED
    assert thread.messages.filter(from_staff=True, author=admin_user, text="It is ready.").exists()
    assert [email.to for email in mailoutbox] == [[user.email]]


def test_faq_admin_writes_through_the_service(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        reverse("admin:sitestore_faqentry_add"),
        {"question": "Do you host sites?", "answer": "Not yet.", "language": "en", "is_published": "on"},
    )

    assert response.status_code == 302
    entry = FaqEntry.objects.get(question="Do you host sites?")
    assert AuditEvent.objects.filter(action="sitestore.faq_created", target_id=str(entry.pk)).exists()


def test_faq_demo_fills_both_languages_once():
    faq_fill()
    faq_fill()
    assert FaqEntry.objects.count() == len(FAQ_ENTRIES)
    assert set(FaqEntry.objects.values_list("language", flat=True)) == {"en", "ru"}


def test_feedback_page_and_bot_api_cost_the_same_queries_for_any_conversation_length(
    client, user, user_api_client, django_assert_max_num_queries
):
    client.force_login(user)
    BotMessageFactory(user=user)
    client.get(reverse("sitestore:feedback"))  # the session's first request notes the device
    with CaptureQueriesContext(connection) as page_queries:
        client.get(reverse("sitestore:feedback"))
    with CaptureQueriesContext(connection) as api_queries:
        user_api_client.get("/api/feedback/bot/")
    BotMessageFactory.create_batch(30, user=user)
    with django_assert_max_num_queries(len(page_queries.captured_queries)):
        client.get(reverse("sitestore:feedback"))
    with django_assert_max_num_queries(len(api_queries.captured_queries)):
        assert len(user_api_client.get("/api/feedback/bot/").json()["results"]) == 31
