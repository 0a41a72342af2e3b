"""The helpers every app shares: role checks, id and page parsing, time zones, file deletion, form errors."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.http import Http404
from django.test import RequestFactory
from rest_framework.request import Request

from accounts.models import User
from core.api.pagination import CursorPagination
from core.forms import apply_errors
from core.parsing import ID_MAX, id_or_404, id_or_none, page_number, positive_int
from core.permissions import IsBlogManager, IsManager, check_blog_manager, check_manager, is_blog_manager, is_manager
from core.services import changes_apply, fields_check
from core.storage import files_delete_on_commit
from core.timezones import time_zone_choices, validate_time_zone
from tests.factories import UserFactory

# --- roles ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_managers_and_superusers_are_managers_others_are_not(manager, superuser, user):
    blog_manager = UserFactory(roles=["blog_manager"])

    assert is_manager(manager)
    assert is_manager(superuser)
    assert not is_manager(user)
    assert not is_manager(blog_manager)
    assert not is_manager(None)
    manager.is_active = False
    assert not is_manager(manager)


@pytest.mark.django_db
def test_blog_managers_and_superusers_are_blog_managers_but_managers_are_not(manager, superuser, user):
    blog_manager = UserFactory(roles=["blog_manager"])

    assert is_blog_manager(blog_manager)
    assert is_blog_manager(superuser)
    assert not is_blog_manager(manager)
    assert not is_blog_manager(user)


@pytest.mark.django_db
def test_both_roles_are_looked_up_in_one_query_per_user_object(manager, django_assert_num_queries):
    fresh = User.objects.get(pk=manager.pk)

    with django_assert_num_queries(1):  # both roles at once, then remembered
        for _ in range(3):
            assert is_manager(fresh)
            assert not is_blog_manager(fresh)


@pytest.mark.django_db
def test_a_user_in_both_groups_has_both_roles():
    both = UserFactory(roles=["manager", "blog_manager"])

    assert (is_manager(both), is_blog_manager(both)) == (True, True)


@pytest.mark.django_db
def test_role_checks_raise_permission_denied_for_others(user, manager):
    with pytest.raises(PermissionDenied):
        check_manager(user)
    with pytest.raises(PermissionDenied):
        check_blog_manager(manager)
    check_manager(manager)


@pytest.mark.django_db
def test_drf_role_permissions_follow_the_role_checks(user, manager):
    request = Request(RequestFactory().get("/api/anything/"))
    request.user = manager
    assert IsManager().has_permission(request, None)
    assert not IsBlogManager().has_permission(request, None)
    request.user = user
    assert not IsManager().has_permission(request, None)


# --- ids and page numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (7, 7), ("0042", 42), (str(ID_MAX), ID_MAX), (str(ID_MAX + 1), ID_MAX), ("9" * 19, ID_MAX)],
)
def test_an_id_is_plain_ascii_digits_or_an_int_and_a_huge_one_names_no_row(value, expected):
    assert id_or_none(value) == expected
    assert positive_int(value, field="product") == expected
    assert id_or_404(value) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "0", "-1", "+7", " 7", "7 ", "1.5", "²", "١٢", "abc", "9" * 20, 0, -3, True, 2.0],
)
def test_anything_else_is_not_an_id(value):
    assert id_or_none(value) is None
    with pytest.raises(ValidationError) as caught:
        positive_int(value, field="product", message="Enter a product id.")
    assert caught.value.message_dict == {"product": ["Enter a product id."]}
    with pytest.raises(Http404):
        id_or_404(value)


def test_zero_is_an_id_only_where_it_means_from_the_start():
    assert id_or_none("0", minimum=0) == 0
    assert positive_int("0", field="after", minimum=0) == 0
    with pytest.raises(ValidationError):
        positive_int("-1", field="after", minimum=0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 1), ("", 1), ("3", 3), (3, 3), ("0", 1), ("-2", 1), ("abc", 1), ("²", 1), ("9" * 5000, 1), (" 4 ", 4)],
)
def test_a_page_number_is_never_an_error(value, expected):
    assert page_number(value) == expected


# --- time zones ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["UTC", "Europe/Moscow", "America/New_York", "Asia/Kathmandu"])
def test_known_time_zones_are_valid(name):
    validate_time_zone(name)  # no error


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "europe/moscow", "../etc/passwd", "/etc/localtime", None, 3])
def test_unknown_time_zones_are_refused(name):
    with pytest.raises(ValidationError):
        validate_time_zone(name)


def test_every_offered_time_zone_is_valid_and_utc_is_offered():
    names = [name for name, _label in time_zone_choices()]

    assert names[0] == "UTC"
    assert "Europe/Moscow" in names
    for name in names:
        validate_time_zone(name)


# --- deleting files on commit --------------------------------------------------------------


@pytest.fixture
def storage(tmp_path):
    return FileSystemStorage(location=tmp_path)


@pytest.mark.django_db(transaction=True)
def test_files_are_deleted_once_the_transaction_commits(storage):
    names = [storage.save("a.txt", ContentFile(b"a")), storage.save("b.txt", ContentFile(b"b"))]

    with transaction.atomic():
        files_delete_on_commit(storage, [*names, ""])
        assert all(storage.exists(name) for name in names)  # not before the commit

    assert not any(storage.exists(name) for name in names)


@pytest.mark.django_db(transaction=True)
def test_files_stay_when_the_transaction_rolls_back(storage):
    name = storage.save("kept.txt", ContentFile(b"k"))

    with pytest.raises(RuntimeError), transaction.atomic():
        files_delete_on_commit(storage, [name])
        raise RuntimeError

    assert storage.exists(name)


@pytest.mark.django_db(transaction=True)
def test_a_file_that_cannot_be_deleted_does_not_stop_the_others(storage, monkeypatch):
    names = [storage.save("first.txt", ContentFile(b"1")), storage.save("second.txt", ContentFile(b"2"))]
    real_delete = storage.delete

    def delete(name: str) -> None:
        if name == names[0]:
            raise PermissionError(name)
        real_delete(name)

    monkeypatch.setattr(storage, "delete", delete)
    with transaction.atomic():
        files_delete_on_commit(storage, names)

    assert storage.exists(names[0])
    assert not storage.exists(names[1])


# --- form errors ---------------------------------------------------------------------------


class NameForm(forms.Form):
    name = forms.CharField()


def test_service_errors_land_beside_their_fields_and_others_on_top():
    form = NameForm({"name": "x"})
    form.is_valid()

    apply_errors(form, ValidationError({"name": ["Taken."], "owner": ["Not yours."]}))

    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Not yours."]


def test_a_plain_service_error_goes_on_top():
    form = NameForm({"name": "x"})
    form.is_valid()

    apply_errors(form, ValidationError("Wait a minute."))

    assert form.non_field_errors() == ["Wait a minute."]


# --- cursor pagination ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["not-base64!", "bz0tMQ==", "é", "cD1hYmM="])
def test_a_cursor_that_does_not_decode_is_a_400_not_a_404(cursor):
    from rest_framework.exceptions import ValidationError as ApiValidationError

    request = Request(RequestFactory().get("/api/anything/", {"cursor": cursor}))

    with pytest.raises(ApiValidationError) as caught:
        CursorPagination().paginate_queryset(User.objects.all(), request)

    assert "cursor" in caught.value.detail


# --- Applying field changes ----------------------------------------------------------------


def test_fields_a_service_does_not_allow_are_refused_by_name():
    with pytest.raises(ValidationError) as refused:
        fields_check({"first_name": "Ann", "is_staff": True, "password": "x"}, allowed=("first_name",))
    assert refused.value.messages == ["These fields cannot be changed: is_staff, password."]


def test_changes_are_set_and_validated_in_memory_and_the_changed_names_returned(db):
    user = User(username="ann.lee", email="ann@example.com", phone="+79123456780", last_name="Lee", password="!")
    assert changes_apply(user, {"first_name": "Ann"}, allowed=("first_name",)) == ["first_name"]
    assert user.first_name == "Ann" and user.pk is None  # nothing saved

    with pytest.raises(ValidationError) as invalid:
        changes_apply(user, {"username": "x"}, allowed=("username",))
    assert "username" in invalid.value.message_dict
