from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class JSONFallbackNegotiation(DefaultContentNegotiation):
    """An unsupported ``Accept`` header gets JSON, not 406.

    DRF negotiates before it authenticates, so without this an anonymous call with
    ``Accept: text/plain`` would answer 406 instead of the contract's 401.
    """

    def select_renderer(self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
