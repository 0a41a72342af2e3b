"""Checking uploaded images: the one place that decides what counts as a real image."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

IMAGE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def verified_image(upload: UploadedFile, *, field: str, max_mb: int) -> Image.Image:
    """The upload opened and fully decoded by Pillow; a ``ValidationError`` on ``field`` otherwise."""
    if upload.size > max_mb * 1024 * 1024:
        raise ValidationError({field: [_("The image is too large: at most %(mb)s MB.") % {"mb": max_mb}]})
    if not upload.size:
        raise ValidationError({field: [_("The file is empty.")]})
    try:
        upload.seek(0)
        Image.open(upload).verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except IMAGE_ERRORS:
        raise ValidationError({field: [_("Upload a valid image (PNG, JPEG, GIF or WebP).")]}) from None
    return image
