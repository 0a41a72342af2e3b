"""Management commands: fill, csu, clear_cache, backup and restore."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from accounts.demo import DEMO_PASSWORD, DEMO_USERS
from accounts.models import User
from core.models import AuditEvent
from crowdfunding.demo import PARTICIPANTS
from tests.factories import PASSWORD, UserFactory


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def png_bytes(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "deep" / "er" / "media"
    root.mkdir(parents=True)
    settings.MEDIA_ROOT = str(root)
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return root


@pytest.fixture
def backup_dir(settings, tmp_path) -> Path:
    settings.BACKUP_DIR = str(tmp_path / "backups")
    return tmp_path / "backups"


def snapshot() -> dict:
    """Every user's identity, credentials, groups and avatar, keyed by primary key."""
    return {
        user.pk: (
            user.username,
            user.email,
            user.phone,
            user.password,
            user.is_superuser,
            sorted(user.groups.values_list("name", flat=True)),
            user.avatar.name,
        )
        for user in User.objects.order_by("pk")
    }


# --- fill ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fill_creates_demo_users_in_every_role_and_prints_the_password_once(settings):
    settings.DEMO_SUPERUSER = True  # as in local mode (config/settings/local.py)

    output = run("fill")

    assert output.count(DEMO_PASSWORD) == 1
    # The demo accounts, and the crowdfunding section's participants.
    assert User.objects.count() == len(DEMO_USERS) + PARTICIPANTS
    owner = User.objects.get(username="owner")
    assert owner.is_superuser and owner.is_staff
    assert User.objects.filter(is_superuser=True).count() == 1
    for role in ("user", "manager", "blog_manager"):
        assert User.objects.filter(groups__name=role).exists(), role
    assert User.objects.filter(groups__name="user").count() == len(DEMO_USERS) + PARTICIPANTS
    assert User.objects.get(username="manager").groups.filter(name="manager").exists()
    assert User.objects.get(username="blogger").groups.filter(name="blog_manager").exists()
    for person in [
        *User.objects.filter(username__in=[row[0] for row in DEMO_USERS]),
        *User.objects.all()[::50],
    ]:
        assert person.is_active
        assert person.email_confirmed_at is not None
        assert person.check_password(DEMO_PASSWORD)
        person.full_clean(exclude=["password"])


@pytest.mark.django_db
def test_fill_twice_creates_nothing_and_prints_no_password_the_second_time():
    run("fill")
    before = snapshot()

    output = run("fill")

    assert DEMO_PASSWORD not in output
    assert snapshot() == before


@pytest.mark.django_db
def test_fill_if_empty_does_nothing_when_users_exist(user):
    output = run("fill", "--if-empty")

    assert list(User.objects.all()) == [user]
    assert DEMO_PASSWORD not in output


@pytest.mark.django_db
def test_fill_if_empty_fills_an_empty_database():
    output = run("fill", "--if-empty")

    assert DEMO_PASSWORD in output
    assert User.objects.count() == len(DEMO_USERS) + PARTICIPANTS


@pytest.mark.django_db
def test_fill_scale_two_makes_more_users():
    run("fill")
    single = User.objects.count()

    output = run("fill", "--scale", "2")

    assert User.objects.count() > single
    assert User.objects.count() == len(DEMO_USERS) + 20 + 2 * PARTICIPANTS
    assert output.count(DEMO_PASSWORD) == 1
    assert not User.objects.filter(is_superuser=True).exclude(username="owner").exists()


@pytest.mark.parametrize("scale", ["0", "-1"])
@pytest.mark.django_db
def test_fill_scale_below_one_is_an_error_and_creates_nothing(scale):
    with pytest.raises(CommandError, match="--scale"):
        run("fill", "--scale", scale)

    assert not User.objects.exists()


# --- csu -----------------------------------------------------------------------------------


CSU_ENV = ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_PHONE", "DJANGO_SUPERUSER_PASSWORD")


@pytest.fixture
def clean_env(monkeypatch):
    for name in CSU_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.django_db
def test_csu_creates_a_superuser_from_arguments(clean_env):
    output = run(
        "csu",
        "--username",
        "chief",
        "--email",
        "chief@example.com",
        "--phone",
        "+7 912 111-22-33",
        "--password",
        PASSWORD,
    )

    chief = User.objects.get(username="chief")
    assert chief.is_superuser and chief.is_staff and chief.is_active
    assert chief.email == "chief@example.com"
    assert chief.phone == "+79121112233"
    assert chief.email_confirmed_at is not None
    assert chief.check_password(PASSWORD)
    assert chief.groups.filter(name="user").exists()
    assert "chief" in output


@pytest.mark.django_db
def test_csu_creates_a_superuser_from_environment_variables(clean_env):
    clean_env.setenv("DJANGO_SUPERUSER_USERNAME", "envchief")
    clean_env.setenv("DJANGO_SUPERUSER_EMAIL", "envchief@example.com")
    clean_env.setenv("DJANGO_SUPERUSER_PHONE", "+79125556677")
    clean_env.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    run("csu")

    chief = User.objects.get(username="envchief")
    assert chief.is_superuser
    assert (chief.email, chief.phone) == ("envchief@example.com", "+79125556677")
    assert chief.check_password(PASSWORD)


@pytest.mark.django_db
def test_csu_arguments_win_over_environment_variables(clean_env):
    clean_env.setenv("DJANGO_SUPERUSER_USERNAME", "envchief")
    clean_env.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    run("csu", "--username", "argchief")

    assert User.objects.filter(username="argchief", is_superuser=True).exists()
    assert not User.objects.filter(username="envchief").exists()


@pytest.mark.django_db
def test_csu_is_idempotent(clean_env):
    run("csu", "--username", "chief", "--email", "chief@example.com", "--password", PASSWORD)
    before = snapshot()

    output = run("csu", "--username", "chief", "--email", "other@example.com", "--password", "Other$Pass1")

    assert "already exists" in output
    assert snapshot() == before


@pytest.mark.django_db
def test_csu_refuses_a_missing_password(clean_env):
    with pytest.raises(CommandError, match="password"):
        run("csu", "--username", "chief")

    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh$1", "at least 8 characters"),
        ("lowercase$only1", "uppercase"),
        ("NoSpecials123", "one of these characters"),
        ("Пароль$Secure1", "only Latin letters"),
        ("With Space$1A", "spaces"),
    ],
)
@pytest.mark.django_db
def test_csu_refuses_a_weak_password_and_says_why(clean_env, password, message):
    with pytest.raises(CommandError, match=message):
        run("csu", "--username", "chief", "--password", password)

    assert not User.objects.exists()


@pytest.mark.django_db
def test_csu_refuses_an_invalid_phone(clean_env):
    with pytest.raises(CommandError, match="phone"):
        run("csu", "--username", "chief", "--phone", "12345", "--password", PASSWORD)

    assert not User.objects.exists()


@pytest.mark.django_db
def test_csu_refuses_an_email_or_phone_already_taken(clean_env, user):
    with pytest.raises(CommandError, match="email"):
        run("csu", "--username", "chief", "--email", user.email.upper(), "--password", PASSWORD)
    with pytest.raises(CommandError, match="phone"):
        run("csu", "--username", "chief", "--phone", user.phone, "--password", PASSWORD)

    assert list(User.objects.all()) == [user]


# --- clear_cache ---------------------------------------------------------------------------


def test_clear_cache_empties_the_cache():
    cache.set("agora-test-key", "value", 600)
    assert cache.get("agora-test-key") == "value"

    output = run("clear_cache")

    assert cache.get("agora-test-key") is None
    assert "default" in output


# --- backup --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_backup_writes_a_zip_with_data_and_media(media_root, backup_dir, user, tmp_path):
    (media_root / "avatars").mkdir()
    (media_root / "avatars" / "face.png").write_bytes(png_bytes())
    target = tmp_path / "out" / "agora.zip"

    output = run("backup", "--output", str(target))

    assert str(target) in output
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["data.json", "media/avatars/face.png"]
        records = json.loads(archive.read("data.json"))
    assert any(
        record["model"] == "accounts.user" and record["fields"]["username"] == user.username for record in records
    )
    assert not any(record["model"] in ("contenttypes.contenttype", "sessions.session") for record in records)
    assert AuditEvent.objects.filter(action="core.backup_created").count() == 1


@pytest.mark.django_db
def test_backup_without_output_writes_into_backup_dir(media_root, backup_dir, user):
    run("backup")

    files = list(backup_dir.glob("agora-*.zip"))
    assert len(files) == 1
    assert zipfile.is_zipfile(files[0])


# --- restore -------------------------------------------------------------------------------


def make_people(media_root: Path) -> tuple[User, User]:
    manager = UserFactory(roles=["manager"], is_staff=True)
    author = UserFactory(roles=["blog_manager"])
    author.avatar.save("avatar.png", ContentFile(png_bytes("blue")), save=True)
    assert (media_root / author.avatar.name).is_file()
    return manager, author


@pytest.mark.django_db(transaction=True)
def test_restore_round_trips_users_groups_passwords_and_media(media_root, backup_dir, tmp_path):
    manager, author = make_people(media_root)
    gap = UserFactory()
    UserFactory.create_batch(2)
    gap.delete()  # a gap in the primary keys: ids must survive the round trip, not be renumbered
    before = snapshot()
    avatar = media_root / author.avatar.name
    avatar_bytes = avatar.read_bytes()
    manager_permissions = set(Group.objects.get(name="manager").permissions.values_list("codename", flat=True))
    archive = tmp_path / "backup.zip"
    run("backup", "--output", str(archive))

    manager.delete()
    author.set_password("Changed$Pass1")
    author.email = "changed@example.com"
    author.save()
    UserFactory(username="intruder")
    avatar.unlink()

    output = run("restore", str(archive), "--force")

    assert "Restored" in output
    assert snapshot() == before
    assert avatar.read_bytes() == avatar_bytes
    restored = User.objects.get(pk=author.pk)
    assert restored.check_password(PASSWORD)
    assert not restored.check_password("Changed$Pass1")
    assert set(Group.objects.get(name="manager").permissions.values_list("codename", flat=True)) == manager_permissions


@pytest.mark.django_db(transaction=True)
def test_restore_into_an_empty_database_needs_no_force(media_root, backup_dir, tmp_path):
    make_people(media_root)
    before = snapshot()
    archive = tmp_path / "backup.zip"
    run("backup", "--output", str(archive))
    call_command("flush", interactive=False, verbosity=0)
    assert not User.objects.exists()

    run("restore", str(archive))

    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_non_empty_database_without_force_and_changes_nothing(media_root, backup_dir, tmp_path):
    make_people(media_root)
    archive = tmp_path / "backup.zip"
    run("backup", "--output", str(archive))
    UserFactory(username="newcomer")
    (media_root / "later.txt").write_text("kept")
    before = snapshot()

    with pytest.raises(CommandError, match="--force"):
        run("restore", str(archive))

    assert snapshot() == before
    assert User.objects.filter(username="newcomer").exists()
    assert (media_root / "later.txt").read_text() == "kept"


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_not_a_zip(media_root, backup_dir, tmp_path, user):
    bogus = tmp_path / "backup.zip"
    bogus.write_text("not a zip at all")
    before = snapshot()

    with pytest.raises(CommandError, match="not an Agora backup"):
        run("restore", str(bogus), "--force")

    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_zip_without_data_json(media_root, backup_dir, tmp_path, user):
    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("media/avatars/x.png", b"x")
    before = snapshot()

    with pytest.raises(CommandError, match="not an Agora backup"):
        run("restore", str(archive), "--force")

    assert snapshot() == before
    assert not (media_root / "avatars" / "x.png").exists()


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_zip_with_broken_data_and_changes_nothing(media_root, backup_dir, tmp_path, user):
    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("data.json", "{ this is not json")
    before = snapshot()

    with pytest.raises(CommandError):
        run("restore", str(archive), "--force")

    assert snapshot() == before


def test_restore_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("restore", str(tmp_path / "missing.zip"))


@pytest.mark.django_db(transaction=True)
def test_restore_never_writes_outside_media_root(media_root, backup_dir, tmp_path):
    UserFactory()
    genuine = tmp_path / "genuine.zip"
    run("backup", "--output", str(genuine))
    escape_absolute = tmp_path / "absolute-evil.txt"
    crafted = tmp_path / "crafted.zip"
    with zipfile.ZipFile(genuine) as source, zipfile.ZipFile(crafted, "w") as target:
        target.writestr("data.json", source.read("data.json"))
        target.writestr("media/../../evil.txt", b"evil")
        target.writestr("media/../sibling-evil.txt", b"evil")
        target.writestr(f"media/{escape_absolute}", b"evil")
        target.writestr("media/ok/fine.txt", b"fine")

    run("restore", str(crafted), "--force")

    assert (media_root / "ok" / "fine.txt").read_bytes() == b"fine"
    assert not (media_root.parent.parent / "evil.txt").exists()
    assert not (media_root.parent / "sibling-evil.txt").exists()
    assert not escape_absolute.exists()
    assert [path.name for path in tmp_path.rglob("*evil*")] == []


@pytest.mark.django_db(transaction=True)
def test_backup_round_trips_private_files_such_as_chat_attachments(media_root, backup_dir, tmp_path, settings):
    from tests.chat_factories import ChatFactory, attachment_in

    attachment = attachment_in(ChatFactory(), name="minutes.txt", content=b"private minutes")
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / attachment.file.name
    archive = tmp_path / "backup.zip"
    run("backup", "--output", str(archive))
    with zipfile.ZipFile(archive) as opened:
        assert f"private/{attachment.file.name}" in opened.namelist()

    stored.unlink()
    run("restore", str(archive), "--force")

    assert stored.read_bytes() == b"private minutes"
    assert not (media_root / attachment.file.name).exists()
