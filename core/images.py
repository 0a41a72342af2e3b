"""Checking uploaded images: the one place that decides what counts as a real image, and how big.

An image is judged by its header first (``Image.open`` reads only the header): one with too many
pixels or too long a side is refused before a single pixel is decoded, because a PNG of a few
hundred kilobytes can unpack into gigabytes. Whatever is decoded afterwards is bounded by those
limits, and JPEGs are decoded straight at a reduced scale (``draft``).
"""

import io
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

IMAGE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)
# Decode at least this many times the target size before the final smooth resize (Pillow's own
# default for ``thumbnail``): fast, and as sharp as resizing from the full image.
REDUCING_GAP = 2.0


def _guard_pillow() -> None:
    # Pillow's own guard follows the same limit (set again per check, so it follows the settings),
    # and an image opened anywhere else is refused from twice the limit instead of 179 megapixels.
    Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS


_guard_pillow()


def _too_large() -> str:
    return _("The image is too large: at most %(side)s pixels wide or high and %(megapixels)s megapixels.") % {
        "side": settings.IMAGE_MAX_SIDE,
        "megapixels": f"{settings.IMAGE_MAX_PIXELS / 1_000_000:g}",
    }


def _not_an_image() -> str:
    return _("This file is not a valid image.")


def image_header_check(upload: "UploadedFile[bytes]", *, field: str) -> tuple[int, int]:
    """The upload's width and height, read from its header; nothing is decoded.

    A ``ValidationError`` on ``field`` when the file is not an image Pillow knows or announces more
    pixels than ``IMAGE_MAX_PIXELS`` or a side longer than ``IMAGE_MAX_SIDE``.
    """
    _guard_pillow()
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            width, height = image.size
            if max(width, height) > settings.IMAGE_MAX_SIDE or width * height > settings.IMAGE_MAX_PIXELS:
                raise ValidationError({field: [_too_large()]})
            # Checks the structure (for PNG every chunk's checksum) without decompressing pixels.
            image.verify()
    except Image.DecompressionBombError:
        raise ValidationError({field: [_too_large()]}) from None
    except IMAGE_ERRORS:
        raise ValidationError({field: [_not_an_image()]}) from None
    finally:
        upload.seek(0)
    return width, height


def verified_image(upload: "UploadedFile[bytes]", *, field: str, max_mb: int, max_side: int) -> Image.Image:
    """The upload decoded by Pillow and shrunk to fit ``max_side`` × ``max_side``.

    A ``ValidationError`` on ``field`` for a file over ``max_mb``, an empty one, one that is not an
    image, or one over the pixel limits (judged from its header, before decoding). Palette and
    one-bit images come back as RGBA and L, so that they can be resized smoothly.
    """
    if (upload.size or 0) > max_mb * 1024 * 1024:
        raise ValidationError({field: [_("The image is too large: at most %(mb)s MB.") % {"mb": max_mb}]})
    if not upload.size:
        raise ValidationError({field: [_("The file is empty.")]})
    image_header_check(upload, field=field)
    try:
        image: Image.Image = Image.open(upload)
        if image.mode in ("1", "P"):
            # These resize only by nearest neighbour: shrink them cheaply to a few times the target
            # first, so that the conversion below never touches the full-size image.
            gap_side = int(max_side * REDUCING_GAP)
            image.thumbnail((gap_side, gap_side), resample=Image.Resampling.NEAREST, reducing_gap=None)
            image = image.convert("L" if image.mode == "1" else "RGBA")
        # A JPEG decodes straight at 1/2, 1/4 or 1/8 scale, the smallest that still covers the
        # target (with its aspect ratio) times the reducing gap; other formats ignore ``draft``.
        scale = min(1.0, max_side / max(image.size)) * REDUCING_GAP
        image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.thumbnail((max_side, max_side), reducing_gap=REDUCING_GAP)
        image.load()  # an image that already fits is decoded here: a truncated file fails now
    except IMAGE_ERRORS:
        raise ValidationError({field: [_not_an_image()]}) from None
    return image


def jpeg_bytes(image: Image.Image, *, quality: int = 85) -> bytes:
    """``image`` as a JPEG; transparent parts become white (JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    else:
        image = image.convert("RGB")
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=quality, optimize=True)
    return output.getvalue()
