import pytest
from django.core.exceptions import ValidationError

from accounts.validators import AgoraPasswordValidator, normalize_phone, validate_phone, validate_username

VALID_PASSWORD = "Good$Pass1"


def codes_for(password: str) -> set[str | None]:
    try:
        AgoraPasswordValidator().validate(password)
    except ValidationError as error:
        return {item.code for item in error.error_list}
    return set()


def test_valid_password_passes_every_rule():
    assert codes_for(VALID_PASSWORD) == set()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Go$d1", "password_too_short"),
        ("Good$Passй1", "password_non_latin"),
        ("ПарольGood$1", "password_non_latin"),
        ("good$pass1", "password_no_upper"),
        ("GoodPass12", "password_no_special"),
        ("Good $Pass1", "password_whitespace"),
        ("Good\t$Pass1", "password_whitespace"),
    ],
)
def test_each_password_rule_has_its_own_error(password, code):
    assert code in codes_for(password)


def test_password_breaking_several_rules_reports_each_with_its_own_message():
    with pytest.raises(ValidationError) as caught:
        AgoraPasswordValidator().validate("пароль 1")
    messages = caught.value.messages
    assert len(messages) == 4
    assert len(set(messages)) == 4


@pytest.mark.parametrize("special", list("$%&!:"))
def test_each_allowed_special_character_satisfies_the_special_rule(special):
    assert codes_for(f"GoodPass1{special}") == set()


def test_password_validator_is_configured_for_every_password_path(settings):
    names = [validator["NAME"] for validator in settings.AUTH_PASSWORD_VALIDATORS]
    assert "accounts.validators.AgoraPasswordValidator" in names


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+7 (912) 345-67-89", "+79123456789"),
        ("+7-912-345-67-89", "+79123456789"),
        ("+79123456789", "+79123456789"),
        ("8 (912) 345-67-89", "+79123456789"),
        ("89123456789", "+79123456789"),
        ("+7 912 345 67 89", "+79123456789"),
        ("8-912-345-67-89", "+79123456789"),
    ],
)
def test_phone_input_is_normalised(raw, normalised):
    assert normalize_phone(raw) == normalised
    validate_phone(normalize_phone(raw))


@pytest.mark.parametrize(
    "phone",
    [
        "79123456789",
        "8912345678",
        "891234567890",
        "9 912 345 67 89",
        "+89123456789",
        "+7912345678",
        "+791234567890",
        "+8 912 345 67 89",
        "+7912345678a",
    ],
)
def test_phone_not_plus7_and_ten_digits_is_refused(phone):
    with pytest.raises(ValidationError):
        validate_phone(normalize_phone(phone))


@pytest.mark.parametrize("username", ["ab", "a" * 31, "имя", "with space", "bad@sign"])
def test_username_with_wrong_length_or_characters_is_refused(username):
    with pytest.raises(ValidationError):
        validate_username(username)


@pytest.mark.parametrize("username", ["superadmin", "Root-user", "the.staff", "SYSTEMx", "mod_moderator"])
def test_username_containing_a_reserved_word_is_refused(username):
    with pytest.raises(ValidationError) as caught:
        validate_username(username)
    assert caught.value.code == "reserved_username"


def test_reserved_words_come_from_settings(settings):
    settings.ACCOUNTS_RESERVED_USERNAME_WORDS = ["agora"]
    validate_username("superadmin")
    with pytest.raises(ValidationError):
        validate_username("myagora")


@pytest.mark.parametrize("username", ["abc", "john.doe", "jane_doe-42", "A" * 30])
def test_valid_usernames_pass(username):
    validate_username(username)
