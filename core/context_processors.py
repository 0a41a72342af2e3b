from typing import Any

from django.http import HttpRequest

from core.registry import home_sections


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav_sections": home_sections()}
