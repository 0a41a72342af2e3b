"""How message text is shown: escaped, its line breaks kept, its http(s) addresses made links."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from chat.selectors import inline_image_type

register = template.Library()

# An http(s) address: the scheme, then a host and whatever follows up to a space or a character that
# cannot be part of an address in running text. Nothing else (``javascript:``, ``data:``, "www.")
# becomes a link; "\b" keeps "xhttps://" from matching.
URL = re.compile(r"\bhttps?://[^\s<>\"'`/?#]+[^\s<>\"'`]*", re.IGNORECASE)
# Punctuation that ends a sentence rather than the address ("see https://example.com.").
TRAILING = ".,;:!?*'"
PAIRS = {")": "(", "]": "[", "}": "{"}


def _split_address(candidate: str) -> tuple[str, str]:
    """The address and the text after it: trailing punctuation, and closing brackets opened outside."""
    end = len(candidate)
    while end:
        char = candidate[end - 1]
        unbalanced = char in PAIRS and candidate[:end].count(char) > candidate[:end].count(PAIRS[char])
        if char not in TRAILING and not unbalanced:
            break
        end -= 1
    return candidate[:end], candidate[end:]


@register.filter(is_safe=True)
def message_html(text: str) -> SafeString:
    """Message text as HTML: everything escaped; each http(s) address a link that opens in a new tab
    and passes neither the page nor any ranking to it; line breaks as ``<br>``."""
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    parts: list[str] = []
    position = 0
    for match in URL.finditer(text):
        address, rest = _split_address(match.group(0))
        if "://" not in address or address.endswith("://"):
            continue
        parts.append(escape(text[position : match.start()]))
        parts.append(
            format_html('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>', address, address)
        )
        position = match.start() + len(address)
    parts.append(escape(text[position:]))
    # The parts are escaped above (format_html escapes the address in both places).
    return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308  # nosec B308 B703


@register.filter
def is_image(name: str) -> bool:
    """Whether an attachment of this name is previewed as an image."""
    return inline_image_type(str(name)) is not None
