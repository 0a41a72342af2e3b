from pathlib import Path

import pytest


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "avatars").mkdir()
    (tmp_path / "avatars" / "face.png").write_bytes(b"\x89PNG public")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.txt").write_text("secret")
    return tmp_path


def test_public_uploads_are_served(client, media):
    response = client.get("/media/avatars/face.png")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG public"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/media/private/secret.txt", "/media/avatars/../private/secret.txt", "/media/avatars/none.png"]
)
def test_private_files_and_traversal_are_never_served_from_media_url(client, media, path):
    response = client.get(path)
    assert response.status_code == 404
