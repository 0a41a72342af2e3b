"""Branded error pages (core.views, templates/4xx.html, 500.html), in English and Russian, with DEBUG off."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from config import urls
from core.views import server_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The Russian headings arrive when the lead merges /work/briefs/ru-platform.json into the catalogue.
HEADINGS = {
    "400": ("The request could not be understood", "Запрос не удалось разобрать"),
    "403": ("You have no access to this page", "У вас нет доступа к этой странице"),
    "404": ("Page not found", "Страница не найдена"),
    "405": ("This address only accepts a form submission", "Этот адрес принимает только отправку формы"),
    "csrf": ("The form could not be accepted", "Форму не удалось принять"),
    "admin": ("You have no access to the admin", "У вас нет доступа к админке"),
    "500": ("Something went wrong", "Что-то пошло не так"),
}
LANGUAGES = [("en", 0), ("ru", 1)]


@pytest.fixture
def browser_client():
    """A client that sends CSRF tokens only when a form has one, as a browser does."""
    return Client(enforce_csrf_checks=True)


def in_language(client: Client, language: str) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def heading(response) -> str:
    html = response.content.decode()
    start = html.index('id="error-title">') + len('id="error-title">')
    return html[start : html.index("</h1>", start)]


def test_the_error_handlers_and_the_csrf_view_are_ours():
    assert urls.handler400 == "core.views.bad_request"
    assert urls.handler403 == "core.views.permission_denied"
    assert urls.handler404 == "core.views.page_not_found"
    assert urls.handler500 == "core.views.server_error"
    assert settings.CSRF_FAILURE_VIEW == "core.views.csrf_failure"
    assert settings.DEBUG is False


@pytest.mark.parametrize(("language", "index"), LANGUAGES)
def test_a_missing_page_answers_the_branded_404_in_the_base_layout(client, language, index):
    response = in_language(client, language).get("/no-such-page/")

    assert response.status_code == 404
    assert heading(response) == HEADINGS["404"][index]
    html = response.content.decode()
    assert 'class="navbar' in html and 'id="error-home"' in html
    assert f'<html lang="{language}">' in html


@pytest.mark.parametrize(("language", "index"), LANGUAGES)
def test_a_malformed_request_answers_the_branded_400(client, settings, language, index):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3

    response = in_language(client, language).post(reverse("accounts:login"), {f"field{n}": "x" for n in range(10)})

    assert response.status_code == 400
    assert heading(response) == HEADINGS["400"][index]


def test_api_errors_keep_their_json_shape(client):
    response = client.get("/api/no-such-route/")

    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "Not found."}


@pytest.mark.parametrize(("language", "index"), LANGUAGES)
def test_a_permission_denied_answers_the_branded_403(rf, language, index):
    from core.views import permission_denied

    request = rf.get("/somewhere/")
    request.user = UserFactory()
    with translation.override(language):
        response = permission_denied(request, PermissionError())

    assert response.status_code == 403
    assert heading(response) == HEADINGS["403"][index]


def test_a_permission_denied_on_the_api_is_json(rf):
    from core.views import permission_denied

    response = permission_denied(rf.get("/api/things/"), PermissionError())

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(("language", "index"), LANGUAGES)
def test_a_form_without_its_csrf_token_gets_the_branded_page_and_changes_nothing(browser_client, language, index):
    users = User.objects.count()

    response = in_language(browser_client, language).post(
        reverse("accounts:register"), {"email": "new@example.com"}, HTTP_REFERER="http://testserver/accounts/register/"
    )

    assert response.status_code == 403
    assert heading(response) == HEADINGS["csrf"][index]
    assert 'href="http://testserver/accounts/register/" id="error-back"' in response.content.decode()
    assert User.objects.count() == users


def test_the_back_link_never_leads_to_another_site(browser_client):
    response = browser_client.post(reverse("accounts:register"), {}, HTTP_REFERER="https://evil.example/")

    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


@pytest.mark.parametrize(("language", "index"), LANGUAGES)
def test_a_post_only_address_opened_by_a_link_explains_itself_and_keeps_allow(client, language, index):
    response = in_language(client, language).get(reverse("shop:cart-add"))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert heading(response) == HEADINGS["405"][index]
    assert 'id="error-home"' in response.content.decode()


def test_a_405_asked_for_json_stays_bare(client):
    response = client.get(reverse("shop:cart-add"), HTTP_ACCEPT="application/json")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert b"error-title" not in response.content


def test_a_405_from_the_api_stays_json(client):
    response = client.get(reverse("api-login"))

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "error-title" not in response.content.decode()


@pytest.mark.parametrize(("language", "index"), LANGUAGES)
def test_a_signed_in_user_who_is_not_staff_is_told_the_admin_is_not_for_them(client, user, language, index):
    client.force_login(user)

    response = in_language(client, language).get("/admin/", follow=True)

    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]
    assert response.status_code == 403
    assert heading(response) == HEADINGS["admin"][index]
    html = response.content.decode()
    assert f'action="{reverse("accounts:logout")}"' in html and 'id="admin-switch-account"' in html
    assert 'name="password"' not in html


def test_anonymous_visitors_still_get_the_login_form_for_the_admin(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1] == (f"{reverse('accounts:login')}?next=%2Fadmin%2F", 302)
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_staff_still_open_the_admin(client, superuser):
    client.force_login(superuser)

    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(("language", "index"), LANGUAGES)
def test_the_500_page_is_standalone_and_needs_no_database(language, index, django_assert_num_queries):
    request = RequestFactory().get("/shop/")
    with translation.override(language), django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    assert heading(response) == HEADINGS["500"][index]
    html = response.content.decode()
    assert f'<html lang="{language}">' in html and "css/agora.css" in html and "Agora</a>" in html


def test_the_500_page_renders_even_when_the_database_is_gone(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken)

    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert heading(response) == HEADINGS["500"][0]
