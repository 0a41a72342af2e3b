"""The one image check (core/images.py): image bombs are refused from their header, on every upload
path, without a pixel being decoded; what is decoded is bounded by the limits."""

import io
import struct
import zlib
from functools import cache

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile
from rest_framework.test import APIClient

from accounts.models import User
from blog.models import Article
from chat.models import Attachment, Message
from core.images import image_header_check, verified_image
from shop import services as shop_services
from shop.models import Product
from tests.blog.factories import blog_manager
from tests.chat_factories import ChatFactory, files_under
from tests.factories import CategoryFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

TOO_LARGE = "The image is too large: at most 8000 pixels wide or high and 25 megapixels."


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def png_bytes(width: int, height: int) -> bytes:
    """A valid black one-bit PNG written by hand, row by row: a 12000×12000 image costs the test
    a few kilobytes and no pixel buffer (Pillow would hold 144 MB to create it)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit per pixel, grey
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def bomb(name: str = "bomb.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(12000, 12000), content_type="image/png")


@pytest.fixture
def decoded(monkeypatch) -> list[tuple[int, int]]:
    """The size of every image Pillow decodes during the test."""
    sizes: list[tuple[int, int]] = []
    for cls in (Image.Image, ImageFile.ImageFile):
        original = cls.__dict__["load"]

        def spy(self, _original=original):
            sizes.append(self.size)
            return _original(self)

        monkeypatch.setattr(cls, "load", spy)
    return sizes


def test_the_bomb_is_a_real_small_png_of_144_megapixels(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # only to read its header here
    data = png_bytes(12000, 12000)
    assert len(data) < 500_000
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (12000, 12000))


# --- Every upload path refuses it without decoding -------------------------------------------


def test_an_image_bomb_avatar_is_refused_without_decoding(client, user, decoded):
    client.force_login(user)

    response = client.post(reverse("accounts:avatar"), {"avatar": bomb()}, follow=True)

    assert decoded == []
    assert TOO_LARGE in [str(message) for message in response.context["messages"]]
    assert not User.objects.get(pk=user.pk).avatar


def test_an_image_bomb_blog_preview_is_refused_without_decoding_on_the_page(client, decoded):
    client.force_login(blog_manager())

    response = client.post("/blog/new/", {"title": "Boom", "body": "B", "image": bomb()})

    assert decoded == []
    assert response.status_code == 200
    assert response.context["form"].errors["image"]
    assert not Article.objects.exists()


def test_an_image_bomb_blog_preview_is_refused_without_decoding_in_the_api(decoded):
    client = APIClient()
    client.force_authenticate(blog_manager())

    response = client.post("/api/articles/", {"title": "Boom", "body": "B", "image": bomb()}, format="multipart")

    assert decoded == []
    assert response.status_code == 400
    assert response.json()["errors"]["image"]
    assert not Article.objects.exists()


def test_an_image_bomb_product_image_is_refused_without_decoding_in_the_admin(client, superuser, decoded):
    client.force_login(superuser)
    kettle = ProductFactory(name="Kettle")
    data = {
        "name": "Kettle 2",
        "price": kettle.price,
        "is_active": "on",
        "description": "",
        "category": kettle.category_id,
        "company": kettle.company,
        "stock": kettle.stock,
        "image": bomb(),
        "price_changes-TOTAL_FORMS": "0",
        "price_changes-INITIAL_FORMS": "0",
    }

    response = client.post(reverse("admin:shop_product_change", args=[kettle.pk]), data)

    assert decoded == []
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["image"] == [TOO_LARGE]
    kettle.refresh_from_db()
    assert (kettle.name, kettle.image.name) == ("Kettle", "")


def test_an_image_bomb_product_image_is_refused_by_the_service_too(superuser, decoded):
    with pytest.raises(ValidationError) as error:
        shop_services.product_create(
            data={"name": "X", "price": 1, "company": "Y", "category": CategoryFactory(), "image": bomb()},
            actor=superuser,
        )

    assert decoded == []
    assert error.value.message_dict["image"] == [TOO_LARGE]
    assert not Product.objects.exists()


@pytest.fixture
def chat_with(settings):
    settings.CHAT_ATTACHMENT_TYPES = ["png", "txt"]
    owner = UserFactory()
    return owner, ChatFactory(created_by=owner)


def test_an_image_bomb_chat_attachment_is_refused_without_decoding_on_the_page(client, chat_with, settings, decoded):
    owner, chat = chat_with
    client.force_login(owner)

    response = client.post(reverse("chat:send", args=[chat.pk]), {"file": bomb()}, HTTP_ACCEPT="application/json")

    assert decoded == []
    assert response.status_code == 400
    assert response.json()["errors"] == [TOO_LARGE]
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


def test_an_image_bomb_chat_attachment_is_refused_without_decoding_in_the_api(chat_with, settings, decoded):
    owner, chat = chat_with
    client = APIClient()
    client.force_authenticate(owner)

    response = client.post("/api/messages/", {"chat": chat.pk, "file": bomb()}, format="multipart")

    assert decoded == []
    assert response.status_code == 400
    assert TOO_LARGE in str(response.json())
    assert not Message.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


# --- The limits ------------------------------------------------------------------------------


def upload_of(image: Image.Image, fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return SimpleUploadedFile(f"picture.{fmt.lower()}", buffer.getvalue())


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's note, then our refusal
def test_the_limits_come_from_the_settings(settings, decoded):
    settings.IMAGE_MAX_PIXELS = 10_000
    settings.IMAGE_MAX_SIDE = 150
    fits, too_many_pixels, too_wide = (upload_of(Image.new("L", size)) for size in [(100, 100), (101, 100), (151, 10)])
    decoded.clear()

    assert image_header_check(fits, field="image") == (100, 100)
    with pytest.raises(ValidationError, match="0.01 megapixels"):
        image_header_check(too_many_pixels, field="image")
    with pytest.raises(ValidationError, match="at most 150 pixels"):
        image_header_check(too_wide, field="image")
    assert decoded == []


def test_pillows_own_guard_follows_the_limit(settings):
    settings.IMAGE_MAX_PIXELS = 10_000
    image_header_check(upload_of(Image.new("L", (10, 10))), field="image")

    assert Image.MAX_IMAGE_PIXELS == 10_000


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(decoded):
    upload = upload_of(Image.new("RGB", (6000, 4000), "navy"), fmt="JPEG")
    decoded.clear()

    image = verified_image(upload, field="avatar", max_mb=5, max_side=512)

    assert image.size == (512, 341)
    assert decoded and max(max(size) for size in decoded) <= 1500  # 1/4 scale, never 6000 px


def test_a_palette_image_is_shrunk_before_it_is_converted(decoded):
    upload = upload_of(Image.new("P", (4000, 2000)))

    image = verified_image(upload, field="image", max_mb=5, max_side=500)

    assert (image.mode, image.size) == ("RGBA", (500, 250))


def test_a_truncated_image_is_not_an_image():
    data = upload_of(Image.new("RGB", (300, 300), "red"), fmt="JPEG").read()

    with pytest.raises(ValidationError, match="not a valid image"):
        verified_image(SimpleUploadedFile("cut.jpg", data[: len(data) // 2]), field="image", max_mb=5, max_side=100)
