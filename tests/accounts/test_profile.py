import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import User
from core.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def png(width: int = 800, height: int = 600, name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#3366cc").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


PROFILE = {
    "last_name": "Smirnova",
    "first_name": "Olga",
    "middle_name": "Petrovna",
    "phone": "+7 (900) 111-22-33",
    "birth_date": "1990-05-17",
    "newsletter": "on",
}


def test_profile_edit_saves_normalised_data_and_audits(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), PROFILE)
    user.refresh_from_db()
    assert response.status_code == 302
    assert user.get_full_name() == "Smirnova Olga Petrovna"
    assert user.phone == "+79001112233"
    assert user.newsletter is True
    assert str(user.birth_date) == "1990-05-17"
    assert AuditEvent.objects.filter(action="accounts.profile_updated", actor=user).exists()


def test_profile_edit_refuses_a_taken_phone_and_changes_nothing(client, user):
    UserFactory(phone="+79001112233")
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), PROFILE)
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    fresh = User.objects.get(pk=user.pk)
    assert fresh.last_name == user.last_name
    assert fresh.phone == user.phone


def test_profile_edit_refuses_a_malformed_phone(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {**PROFILE, "phone": "8-900-111"})
    assert "phone" in response.context["form"].errors
    assert User.objects.get(pk=user.pk).phone == user.phone


def test_avatar_upload_is_verified_resized_and_stored_under_a_random_name(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:avatar"), {"avatar": png(1600, 900, "../../etc/passwd.png")})
    user.refresh_from_db()
    assert response.status_code == 302
    assert user.avatar.name.startswith("avatars/")
    assert "passwd" not in user.avatar.name
    with Image.open(user.avatar.path) as stored:
        assert max(stored.size) == 512
        assert stored.size == (512, 288)
    assert user.avatar_url.endswith(Path(user.avatar.name).name)


def test_a_file_that_is_not_an_image_is_refused_and_nothing_changes(client, user):
    client.force_login(user)
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = client.post(reverse("accounts:avatar"), {"avatar": fake}, follow=True)
    user.refresh_from_db()
    assert not user.avatar
    assert any("valid image" in str(message) for message in response.context["messages"])


def test_an_oversized_avatar_is_refused(client, user, settings):
    settings.AVATAR_MAX_MB = 0
    client.force_login(user)
    client.post(reverse("accounts:avatar"), {"avatar": png()})
    user.refresh_from_db()
    assert not user.avatar


def test_picking_a_bundled_avatar_replaces_and_deletes_the_upload(client, user):
    client.force_login(user)
    client.post(reverse("accounts:avatar"), {"avatar": png()})
    user.refresh_from_db()
    uploaded = Path(user.avatar.path)
    assert uploaded.exists()

    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("accounts:avatar"), {"bundled_avatar": "avatar-3.png"})
    user.refresh_from_db()
    assert not user.avatar
    assert user.avatar_url.endswith("img/avatars/avatar-3.png")
    assert not uploaded.exists()


def test_an_unknown_bundled_avatar_is_refused(client, user):
    client.force_login(user)
    client.post(reverse("accounts:avatar"), {"bundled_avatar": "../../secret.png"})
    user.refresh_from_db()
    assert user.bundled_avatar == ""


def test_account_deletion_needs_the_password(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:delete"), {"password": "Wrong$Pass1", "confirm": "on"})
    assert response.status_code == 200
    assert User.objects.filter(pk=user.pk).exists()


def test_account_deletion_removes_the_user_and_logs_out(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert client.get(reverse("accounts:profile")).status_code == 302
    assert AuditEvent.objects.filter(action="accounts.deleted", details__username=user.username).exists()


def test_public_profile_shows_name_and_avatar_to_signed_in_users(client, user, other_user):
    client.force_login(user)
    response = client.get(reverse("accounts:public-profile", args=[other_user.username]))
    assert response.status_code == 200
    assert other_user.get_full_name() in response.content.decode()
    assert other_user.email not in response.content.decode()


def test_public_profile_of_unknown_or_inactive_user_is_404(client, user):
    inactive = UserFactory(is_active=False)
    client.force_login(user)
    assert client.get(reverse("accounts:public-profile", args=["ghost"])).status_code == 404
    assert client.get(reverse("accounts:public-profile", args=[inactive.username])).status_code == 404


def test_profile_page_lists_details_and_forms(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    content = response.content.decode()
    assert user.email in content
    assert 'id="avatar-form"' in content
    assert 'enctype="multipart/form-data"' in content


def test_profile_edit_cannot_erase_the_first_or_last_name(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {**PROFILE, "last_name": "", "first_name": " "})
    assert {"last_name", "first_name"} <= set(response.context["form"].errors)
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.last_name, fresh.first_name) == (user.last_name, user.first_name)


def test_service_refuses_blank_names_from_any_channel(user):
    from django.core.exceptions import ValidationError

    from accounts.services import user_profile_update

    with pytest.raises(ValidationError):
        user_profile_update(user=user, data={"first_name": ""})
    assert User.objects.get(pk=user.pk).first_name == user.first_name
