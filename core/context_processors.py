from django.http import HttpRequest

from core.sections import SECTIONS


def navigation(request: HttpRequest) -> dict:
    return {"nav_sections": SECTIONS}
