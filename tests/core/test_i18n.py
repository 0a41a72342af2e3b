"""The Russian translation: the switch, the translated pages and messages, and a complete catalog."""

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.validators import AgoraPasswordValidator
from tests.factories import UserFactory

PO_FILE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def _po_entries(path: Path) -> list[dict]:
    """Parse a .po file into entries of ``{"flags": set, "msgid": str, "msgid_plural": str, "msgstr": [str]}``."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": set(), "msgid": None, "msgid_plural": None, "msgstr": {}}
        current: Any = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                current[0][current[1]] += ast.literal_eval(line)
            else:
                keyword, value = line.split(" ", 1)
                if keyword.startswith("msgstr"):
                    index = int(keyword[7:-1]) if "[" in keyword else 0
                    entry["msgstr"][index] = ast.literal_eval(value)
                    current = (entry["msgstr"], index)
                else:
                    entry[keyword] = ast.literal_eval(value)
                    current = (entry, keyword)
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


@pytest.mark.django_db
def test_home_page_in_russian_shows_translated_sections_and_login_link(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = client.get(reverse("core:home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ru">' in content
    for section in ("Магазин", "Сайты", "Чат", "Краудфандинг", "Рассылки", "Блог"):
        assert section in content
    assert "Войти" in content
    assert "Зарегистрироваться" in content
    assert ">Log in<" not in content


@pytest.mark.django_db
def test_home_page_without_language_choice_stays_in_english(client):
    content = client.get(reverse("core:home")).content.decode()
    assert "Shop" in content
    assert "Log in" in content
    assert "Магазин" not in content


@pytest.mark.django_db
def test_language_switch_sets_the_language_and_redirects_back(client):
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"

    content = client.get(response.url).content.decode()
    assert "Магазин" in content
    assert "Войти" in content

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Log in" in client.get("/").content.decode()


def test_password_rule_errors_are_translated_into_russian():
    with translation.override("ru"), pytest.raises(ValidationError) as caught:
        AgoraPasswordValidator().validate("short")
    messages = caught.value.messages
    assert "Пароль должен содержать не менее 8 символов." in messages
    assert "Пароль должен содержать хотя бы одну заглавную латинскую букву." in messages
    assert "Пароль должен содержать хотя бы один из этих символов: $ % & ! :" in messages


def test_password_help_text_is_translated_and_keeps_the_special_characters():
    with translation.override("ru"):
        help_text = AgoraPasswordValidator().get_help_text()
    assert help_text.startswith("Не менее 8 символов")
    assert "$ % & ! :" in help_text


def test_plural_messages_use_the_russian_forms():
    with translation.override("ru"):
        assert translation.ngettext("%d user blocked.", "%d users blocked.", 1) % 1 == ("1 пользователь заблокирован.")
        assert translation.ngettext("%d user blocked.", "%d users blocked.", 3) % 3 == ("3 пользователя заблокированы.")
        assert translation.ngettext("%d user blocked.", "%d users blocked.", 11) % 11 == (
            "11 пользователей заблокировано."
        )


def test_every_message_in_the_russian_catalog_is_translated_and_not_fuzzy():
    entries = _po_entries(PO_FILE)
    assert len(entries) > 100
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    assert "Language: ru\n" in header["msgstr"][0]
    untranslated = [entry["msgid"] for entry in messages if not all(entry["msgstr"].values())]
    fuzzy = [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_their_placeholders():
    for entry in _po_entries(PO_FILE)[1:]:
        if "python-format" not in entry["flags"]:
            continue
        for index, translated in entry["msgstr"].items():
            source = entry["msgid"] if index == 0 or entry["msgid_plural"] is None else entry["msgid_plural"]
            assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(source)), translated


def test_compiled_catalog_exists_and_matches_the_po_file():
    assert MO_FILE.exists(), "run `make messages` (compilemessages) and commit django.mo"
    with MO_FILE.open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    stale = []
    for entry in _po_entries(PO_FILE)[1:]:
        if entry["msgid_plural"] is None:
            if catalog.gettext(entry["msgid"]) != entry["msgstr"][0]:
                stale.append(entry["msgid"])
        elif catalog.ngettext(entry["msgid"], entry["msgid_plural"], 5) != entry["msgstr"][2]:
            stale.append(entry["msgid"])
    assert stale == [], "django.mo is older than django.po: run compilemessages"


@pytest.mark.django_db
def test_shop_page_in_russian_shows_the_shop_and_the_cart(client):
    client.force_login(UserFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = client.get("/shop/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Магазин" in content
    assert "Корзина" in content
    assert ">Cart<" not in content


@pytest.mark.django_db
def test_chat_list_in_russian_shows_the_chats_heading(client):
    client.force_login(UserFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = client.get("/chat/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Чаты" in content
    assert ">Chats<" not in content


@pytest.mark.django_db
def test_mailings_and_blog_pages_in_russian_show_their_headings(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    mailings = client.get("/mailings/")
    content = mailings.content.decode()
    assert mailings.status_code == 200
    assert "Рассылки" in content
    assert ">Mailings<" not in content
    blog = client.get("/blog/")
    content = blog.content.decode()
    assert blog.status_code == 200
    assert "Блог" in content
    assert ">Blog<" not in content
