"""Product pictures for the demo catalogue, drawn with Pillow: no download, the same on every machine.

One picture per (category, brand): the category's silhouette (a phone, a laptop, headphones, …) in
the brand's colour on a light tint of it, with the brand's name. Many products share one file, so
`fill --scale` stays fast whatever the number of products.
"""

import colorsys
import hashlib
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from core.images import jpeg_bytes

WIDTH, HEIGHT = 640, 480
FOLDER = "products/demo"
BRAND_COLOURS = {
    "Apple": "#555b66",
    "Samsung": "#1428a0",
    "Xiaomi": "#ff6900",
    "Google": "#4285f4",
    "Lenovo": "#e2231a",
    "ASUS": "#00539b",
    "HP": "#0096d6",
    "Acer": "#83b81a",
    "Sony": "#222222",
    "JBL": "#ff3300",
    "Sennheiser": "#0a4d8c",
    "Bose": "#2b2b2b",
    "Marshall": "#b08d57",
    "Bosch": "#ea0016",
    "Philips": "#0b5ed7",
    "Tefal": "#d4001a",
    "Redmond": "#c8102e",
    "Kitfort": "#6c3fa0",
    "O'Reilly": "#b3122e",
    "Penguin": "#f47b20",
    "Eksmo": "#1b75bb",
    "AST": "#2e7d32",
    "Mann, Ivanov & Ferber": "#8e44ad",
    "Nike": "#111111",
    "Adidas": "#1d1d1b",
    "Puma": "#c8102e",
    "Demix": "#00838f",
    "Salomon": "#3b5998",
    "IKEA": "#0058a3",
    "Askona": "#5b8bd9",
    "Hoff": "#e30613",
    "Nintendo": "#e60012",
    "Microsoft": "#107c10",
    "Hasbro": "#0072ce",
    "Hobby World": "#f39200",
}

Box = tuple[float, float, float, float]
Shape = Callable[[ImageDraw.ImageDraw, str, str], None]


def brand_colour(brand: str) -> str:
    """The brand's colour; an unknown brand gets a stable colour of its own from its name."""
    if brand in BRAND_COLOURS:
        return BRAND_COLOURS[brand]
    hue = int(hashlib.sha256(brand.encode()).hexdigest()[:4], 16) / 0xFFFF
    red, green, blue = colorsys.hls_to_rgb(hue, 0.4, 0.6)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def _tint(colour: str, share: float) -> tuple[int, int, int]:
    """``colour`` mixed with white: ``share`` of the colour is kept."""
    red, green, blue = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    return tuple(round(255 - (255 - value) * share) for value in (red, green, blue))  # type: ignore[return-value]


def _phone(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.rounded_rectangle((250, 70, 390, 350), radius=22, fill=colour)
    draw.rounded_rectangle((260, 88, 380, 332), radius=10, fill=light)
    draw.rounded_rectangle((300, 78, 340, 83), radius=2, fill=light)


def _laptop(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.rounded_rectangle((200, 100, 440, 270), radius=10, fill=colour)
    draw.rectangle((214, 114, 426, 256), fill=light)
    draw.polygon([(170, 285), (470, 285), (490, 320), (150, 320)], fill=colour)
    draw.rectangle((290, 292, 350, 300), fill=light)


def _headphones(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.arc((215, 80, 425, 290), start=180, end=360, fill=colour, width=22)
    draw.line((215, 185, 215, 230), fill=colour, width=22)
    draw.line((425, 185, 425, 230), fill=colour, width=22)
    for left in (180, 395):
        draw.rounded_rectangle((left, 210, left + 65, 320), radius=26, fill=colour)
        draw.rounded_rectangle((left + 14, 228, left + 51, 302), radius=16, fill=light)


def _kettle(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.polygon([(235, 130), (405, 130), (430, 320), (210, 320)], fill=colour)
    draw.rounded_rectangle((285, 105, 355, 130), radius=8, fill=colour)
    draw.arc((390, 150, 470, 280), start=270, end=90, fill=colour, width=18)
    draw.polygon([(235, 160), (180, 140), (172, 152), (228, 200)], fill=colour)
    draw.rectangle((245, 190, 262, 290), fill=light)
    draw.rectangle((200, 320, 440, 335), fill=colour)


def _book(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.rectangle((230, 80, 420, 340), fill=colour)
    draw.rectangle((230, 80, 250, 340), fill=light)
    draw.rectangle((270, 130, 400, 140), fill=light)
    draw.rectangle((270, 155, 370, 163), fill=light)
    draw.polygon([(420, 85), (432, 95), (432, 345), (420, 340)], fill=light)


def _ball(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.ellipse((210, 80, 430, 300), fill=colour)
    draw.chord((150, 80, 290, 300), start=-60, end=60, fill=light)
    draw.chord((350, 80, 490, 300), start=120, end=240, fill=light)
    draw.line((214, 190, 426, 190), fill=light, width=8)


def _lamp(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.polygon([(260, 90), (380, 90), (420, 190), (220, 190)], fill=colour)
    draw.rectangle((312, 190, 328, 310), fill=colour)
    draw.rounded_rectangle((250, 305, 390, 330), radius=10, fill=colour)
    draw.ellipse((300, 196, 340, 214), fill="#fff3b0")


def _gamepad(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.rounded_rectangle((170, 140, 470, 270), radius=60, fill=colour)
    draw.ellipse((160, 190, 270, 320), fill=colour)
    draw.ellipse((370, 190, 480, 320), fill=colour)
    draw.rectangle((215, 190, 265, 206), fill=light)
    draw.rectangle((232, 173, 248, 223), fill=light)
    for x, y in ((400, 180), (425, 200), (375, 200), (400, 220)):
        draw.ellipse((x - 9, y - 9, x + 9, y + 9), fill=light)


def _box(draw: ImageDraw.ImageDraw, colour: str, light: str) -> None:
    draw.polygon([(320, 80), (450, 140), (320, 200), (190, 140)], fill=light)
    draw.polygon([(190, 140), (320, 200), (320, 340), (190, 280)], fill=colour)
    draw.polygon([(320, 200), (450, 140), (450, 280), (320, 340)], fill=_darker(colour))


def _darker(colour: str) -> str:
    red, green, blue = (int(int(colour[index : index + 2], 16) * 0.7) for index in (1, 3, 5))
    return f"#{red:02x}{green:02x}{blue:02x}"


# By the demo categories' names; any other category gets a parcel.
SHAPES: dict[str, Shape] = {
    "Smartphones": _phone,
    "Laptops": _laptop,
    "Headphones": _headphones,
    "Kitchen": _kettle,
    "Books": _book,
    "Sports": _ball,
    "Home": _lamp,
    "Games": _gamepad,
}


def picture(category: str, brand: str) -> Image.Image:
    """The demo picture of ``brand``'s products in ``category``."""
    colour = brand_colour(brand)
    light_rgb = _tint(colour, 0.12)
    image = Image.new("RGB", (WIDTH, HEIGHT), light_rgb)
    draw = ImageDraw.Draw(image)
    # A soft floor under the object, then the object, then the brand's name on a band of its colour.
    draw.ellipse((120, 300, 520, 380), fill=_tint(colour, 0.2))
    SHAPES.get(category, _box)(draw, colour, "#{:02x}{:02x}{:02x}".format(*_tint(colour, 0.35)))
    draw.rectangle((0, HEIGHT - 80, WIDTH, HEIGHT), fill=colour)
    font = ImageFont.load_default(size=38)
    draw.text((WIDTH / 2, HEIGHT - 40), brand, fill="white", font=font, anchor="mm")
    return image


def picture_name(category: str, brand: str) -> str:
    return f"{FOLDER}/{slugify(category)}-{slugify(brand)}.jpg"


def ensure_picture(storage: Storage, category: str, brand: str) -> str:
    """The stored name of the demo picture, drawn and saved (as product uploads are: JPEG) if missing."""
    name = picture_name(category, brand)
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(jpeg_bytes(picture(category, brand), quality=82)))
        # Two `fill` runs at once: the second file got another name; either serves.
        name = saved
    return name
