import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from tests.blog.factories import blog_manager as make_blog_manager


def image_upload(size: tuple[int, int] = (40, 30), *, fmt: str = "PNG", name: str = "picture.png", mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else None).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.fixture
def blog_manager(db):
    return make_blog_manager()


@pytest.fixture
def blog_manager_api(blog_manager) -> APIClient:
    client = APIClient()
    client.force_authenticate(blog_manager)
    return client
