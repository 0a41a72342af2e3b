"""Client CSV import and export: all or nothing, per-row errors, limits, bulk speed, CSV injection."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from core.models import AuditEvent
from mailings import selectors, services
from mailings.models import Client
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def state(owner) -> list[tuple]:
    return list(Client.objects.filter(owner=owner).order_by("pk").values_list("email", "full_name", "comment"))


def refusal(owner, content: bytes, **kwargs) -> list[str]:
    """Import ``content``, expect it refused with nothing changed, and give the error messages."""
    before, audited = state(owner), AuditEvent.objects.filter(action="mailings.clients_imported").count()
    with pytest.raises(ValidationError) as error:
        services.clients_import_csv(owner=owner, content=content, **kwargs)
    assert state(owner) == before
    assert AuditEvent.objects.filter(action="mailings.clients_imported").count() == audited
    return error.value.messages


# --- Import: all or nothing ------------------------------------------------------------------


def test_one_bad_row_refuses_the_whole_file_and_every_bad_row_is_named_by_line(user):
    ClientFactory(owner=user, email="old@example.org", full_name="Old")
    messages = refusal(
        user,
        csv_bytes(
            "email,full_name,comment",  # 1: header
            "ann@example.org,Ann Lee,first",  # 2: good, but not saved either
            "not-an-email,Bad Email",  # 3
            "nameless@example.org,",  # 4
            "ANN@example.org,Ann Twice",  # 5: duplicate of line 2
            "nul@example.org,Nul\x00Name",  # 6
            f"long@example.org,{'x' * 201}",  # 7
            f"{'a' * 243}@example.org,Too Long",  # 8: 255 characters
            "four@example.org,Four,comment,extra",  # 9
            "",  # 10: blank lines are skipped
            "bob@example.org,Bob",  # 11
        ),
    )

    assert [message.split(":")[0] for message in messages] == [f"Line {line}" for line in (3, 4, 5, 6, 7, 8, 9)]
    assert "valid email" in messages[0]
    assert "name" in messages[1]
    assert "already on line 2" in messages[2]
    assert "NUL" in messages[3]
    assert "At most 200 characters" in messages[4]
    assert "At most 254 characters" in messages[5]
    assert "at most 3 columns" in messages[6]


def test_a_nul_byte_anywhere_in_a_row_is_a_row_error_not_a_server_error(user):
    messages = refusal(user, b"a\x00b@example.org,Ann\nc@example.org,Cid,a \x00 comment\n")

    assert [message.split(":")[0] for message in messages] == ["Line 1", "Line 2"]


def test_the_first_20_errors_are_listed_then_a_count_of_the_rest(user):
    messages = refusal(user, csv_bytes(*(f"bad{number},Name" for number in range(25))))

    assert len(messages) == 21
    assert messages[19].startswith("Line 20:")
    assert messages[20] == "… and 5 more errors."


def test_lines_are_counted_across_quoted_multiline_cells(user):
    messages = refusal(user, csv_bytes('a@example.org,Ann,"a comment', 'on two lines"', "broken,Bob"))

    assert messages[0].startswith("Line 3:")


def test_a_good_file_imports_every_row_with_a_utf8_bom_and_cyrillic_names(user):
    result = services.clients_import_csv(
        owner=user, content="\ufeffemail,name\nivan@example.org,Иван  Петров\npetr@example.org,Пётр,VIP\n".encode()
    )

    assert result == services.ClientImport(created=2, updated=0, unchanged=0)
    assert state(user) == [("ivan@example.org", "Иван Петров", ""), ("petr@example.org", "Пётр", "VIP")]
    assert AuditEvent.objects.get(action="mailings.clients_imported").details == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }


def test_clients_already_on_the_list_are_left_alone_unless_updating_is_asked_for(user, other_user):
    ClientFactory(owner=user, email="Ann@example.org", full_name="Ann", comment="keep")
    ClientFactory(owner=other_user, email="bob@example.org", full_name="Not yours")
    content = csv_bytes("ann@example.org,Ann Lee,new", "bob@example.org,Bob")

    assert services.clients_import_csv(owner=user, content=content) == services.ClientImport(1, 0, 1)
    assert state(user) == [("Ann@example.org", "Ann", "keep"), ("bob@example.org", "Bob", "")]

    result = services.clients_import_csv(owner=user, content=content, update_existing=True)

    assert result == services.ClientImport(created=0, updated=1, unchanged=1)
    assert state(user) == [("Ann@example.org", "Ann Lee", "new"), ("bob@example.org", "Bob", "")]
    assert state(other_user) == [("bob@example.org", "Not yours", "")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ivan@example.org,Иван\n".encode("cp1251"), "UTF-8"),
        (b"a@example.org,Ann\n" + b"x" * 2000, "too large"),
        (b'a@example.org,"' + b"x" * 200_000 + b'"\n', "not valid CSV"),
    ],
    ids=["not-utf8", "too-large", "broken-csv"],
)
def test_unreadable_or_oversized_files_are_refused(user, settings, content, message):
    settings.MAILINGS_IMPORT_MAX_BYTES = 1000 if message == "too large" else 1_000_000

    assert message in " ".join(refusal(user, content))


def test_the_row_limit_comes_from_settings(user, settings):
    settings.MAILINGS_IMPORT_MAX_ROWS = 3

    assert (
        services.clients_import_csv(
            owner=user, content=csv_bytes("email,full_name", *(f"c{n}@example.org,C {n}" for n in range(3)))
        ).created
        == 3
    )
    assert "At most 3 rows" in refusal(UserFactory(), csv_bytes(*(f"c{n}@example.org,C {n}" for n in range(4))))[0]


def test_ten_thousand_rows_import_in_a_few_queries_with_one_cache_invalidation(
    user, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    ClientFactory(owner=user, email="c5@example.org", full_name="Already here")
    content = csv_bytes("email,full_name,comment", *(f"c{n}@example.org,Client {n},note {n}" for n in range(10_000)))

    # One query for the owner's clients, one INSERT per batch (SQLite allows fewer rows per batch), the audit row.
    fields = [field for field in Client._meta.concrete_fields if not field.primary_key]
    batch = min(services.CSV_BATCH_SIZE, connection.ops.bulk_batch_size(fields, [None] * 10_000))
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(5 + -(-10_000 // batch)):
        result = services.clients_import_csv(owner=user, content=content)

    assert result == services.ClientImport(created=9_999, updated=0, unchanged=1)
    assert Client.objects.filter(owner=user).count() == 10_000
    assert len(callbacks) == 2  # the section home and this owner's client pages, once for the whole file


def test_an_import_refreshes_the_cached_client_pages(user, django_capture_on_commit_callbacks):
    assert selectors.client_page(user).paginator.count == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.clients_import_csv(owner=user, content=csv_bytes("a@example.org,Ann"))

    assert selectors.client_page(user).paginator.count == 1


# --- Export and CSV injection ----------------------------------------------------------------

FORMULA_LIKE = [
    "=cmd|' /C calc'!A0",
    "+1 555",
    "-2+3",
    "@SUM(A1)",
    "\tTab first",
    "\rCarriage return first",
    "'=looks escaped already",
    "''+two quotes",
    "O'Brien, plain",
]


def test_export_escapes_cells_a_spreadsheet_would_run_as_formulas(user):
    ClientFactory(owner=user, email="=x@example.org", full_name='=HYPERLINK("http://evil")', comment="-1")
    ClientFactory(owner=user, email="plain@example.org", full_name="Plain", comment="O'Brien")

    rows = list(csv.reader(io.StringIO(services.clients_export_csv(owner=user))))

    assert rows == [
        ["email", "full_name", "comment"],
        ["'=x@example.org", '\'=HYPERLINK("http://evil")', "'-1"],
        ["plain@example.org", "Plain", "O'Brien"],
    ]


@pytest.mark.parametrize("value", FORMULA_LIKE)
def test_escaping_and_unescaping_a_cell_gives_it_back_exactly(value):
    escaped = services.csv_cell_escape(value)

    assert escaped[0] not in "=+-@\t\r"
    assert services.csv_cell_unescape(escaped) == value


def test_an_export_imports_back_unchanged(user, other_user):
    for number, value in enumerate(FORMULA_LIKE):
        ClientFactory(owner=user, email=f"c{number}@example.org", full_name=f"Name {number}", comment=value)
    ClientFactory(owner=user, email="+tag@example.org", full_name="=Formula Name", comment='says "hi", often')
    ClientFactory(owner=other_user, email="secret@example.org")

    exported = services.clients_export_csv(owner=user)
    third = UserFactory()
    result = services.clients_import_csv(owner=third, content=exported.encode())

    assert "secret@example.org" not in exported
    assert result.created == len(FORMULA_LIKE) + 1
    assert sorted(state(third)) == sorted(state(user))


# --- The pages -------------------------------------------------------------------------------


def test_the_import_page_imports_nothing_and_lists_bad_lines(owner_client, user):
    ClientFactory(owner=user, email="old@example.org")
    upload = SimpleUploadedFile(
        "clients.csv",
        b"email,full_name\nann@example.org,Ann\nbad-email,Bad\nnoname@example.org,\nbob@example.org,Bob\n",
        content_type="text/csv",
    )

    response = owner_client.post(reverse("mailings:client-import"), {"file": upload})

    # One alert for the whole file, not one per line (the page rendered again, as for any form error).
    assert response.status_code == 200
    assert list(response.context["messages"]) == []
    assert [problem.split(":")[0] for problem in response.context["import_errors"]] == ["Line 3", "Line 4"]
    content = response.content.decode()
    assert content.count('id="import-errors"') == 1
    assert "Nothing was imported: correct the file and import it again." in content
    assert list(Client.objects.filter(owner=user).values_list("email", flat=True)) == ["old@example.org"]


def test_the_import_page_shows_the_first_20_bad_lines_then_how_many_more(owner_client, user):
    content = "email,full_name\n" + "".join(f"bad{number},Name\n" for number in range(25))
    upload = SimpleUploadedFile("clients.csv", content.encode(), content_type="text/csv")

    response = owner_client.post(reverse("mailings:client-import"), {"file": upload})

    problems = response.context["import_errors"]
    assert [problem.split(":")[0] for problem in problems[:20]] == [f"Line {line}" for line in range(2, 22)]
    assert problems[20:] == ["… and 5 more errors."]
    assert response.content.decode().count("<li>") == 21
    assert not Client.objects.exists()


def test_the_import_page_reports_created_updated_and_unchanged_clients(owner_client, user):
    ClientFactory(owner=user, email="old@example.org", full_name="Old")
    ClientFactory(owner=user, email="same@example.org", full_name="Same")
    content = b"old@example.org,Renamed\nsame@example.org,Same\nnew@example.org,New\n"

    response = owner_client.post(
        reverse("mailings:client-import"),
        {"file": SimpleUploadedFile("c.csv", content), "update_existing": "on"},
        follow=True,
    )

    assert [str(message) for message in response.context["messages"]] == [
        "1 client imported.",
        "1 client updated.",
        "1 client was already on your list and is unchanged.",
    ]
    assert b"new@example.org" in response.content  # the cached list was refreshed
    assert Client.objects.get(email="old@example.org").full_name == "Renamed"


def test_the_import_page_refuses_an_oversized_upload_before_reading_it(owner_client, user, settings):
    settings.MAILINGS_IMPORT_MAX_BYTES = 100
    upload = SimpleUploadedFile("clients.csv", b"a@example.org,Ann\n" * 10, content_type="text/csv")

    response = owner_client.post(reverse("mailings:client-import"), {"file": upload})

    assert response.context["import_errors"] == ["The file is too large (at most 100\xa0bytes)."]
    assert not Client.objects.exists()


def test_the_export_page_escapes_formulas(owner_client, user):
    ClientFactory(owner=user, email="ann@example.org", full_name="@Ann")

    response = owner_client.get(reverse("mailings:client-export"))

    assert response.content.decode("utf-8-sig").splitlines() == ["email,full_name,comment", "ann@example.org,'@Ann,"]
