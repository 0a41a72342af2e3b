"""Bench-only URLs: all of Agora, plus a bare-Django **ceiling** view per measured endpoint.

A ceiling view returns the same rows in the same order as the Agora endpoint it stands beside,
with ``.values()`` and ``JsonResponse``: no authentication, no serializer, no count, no template.
Its requests/s is what this server can do for that data; Agora's is reported as a ratio to it.
The bench passes ids in the path (the chat, the owner) so no view spends a query finding them.
"""

from typing import Any

from django.db.models import F
from django.db.models.functions import Lower
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from blog.models import Article
from chat.models import Message
from crowdfunding.models import Project
from mailings.models import Client
from shop.models import Product

PAGE = 20  # the API's default page size
CHAT_PAGE = 50
PRODUCT_FIELDS = ("id", "name", "price", "created_at", "company", "stock", "category__name")


def _rows(rows: Any) -> JsonResponse:
    return JsonResponse({"results": list(rows)})


def products(request: HttpRequest) -> JsonResponse:
    """`GET /api/products/` page 1: active products in the API's default order (name ignoring case, id)."""
    return _rows(Product.objects.filter(is_active=True).order_by(Lower("name"), "id").values(*PRODUCT_FIELDS)[:PAGE])


def messages(request: HttpRequest, chat_id: int) -> JsonResponse:
    """`GET /api/messages/?chat=` newest 50, oldest first on the page as the API returns them."""
    newest = Message.objects.filter(chat_id=chat_id).order_by("-id")
    rows = newest.values("id", "author_id", "author__username", "text", "created_at", "edited_at", "is_deleted")
    return _rows(reversed(rows[:CHAT_PAGE]))


def clients(request: HttpRequest, owner_id: int) -> JsonResponse:
    """`GET /api/clients/` page 1 of one owner."""
    rows = Client.objects.filter(owner_id=owner_id).order_by("full_name", "id")
    return _rows(rows.values("id", "email", "full_name", "comment")[:PAGE])


def articles(request: HttpRequest) -> JsonResponse:
    """`GET /api/articles/` page 1: published, newest first."""
    rows = Article.objects.filter(is_published=True).order_by("-published_at", "-id")
    return _rows(rows.values("id", "title", "slug", "published_at", "views", "author__username")[:PAGE])


def projects(request: HttpRequest) -> JsonResponse:
    """`GET /api/projects/` page 1: public projects, newest published first."""
    rows = Project.objects.filter(published_at__isnull=False, is_hidden=False).order_by(
        F("published_at").desc(nulls_first=True), "-created_at", "-id"
    )
    return _rows(
        rows.values("id", "blog_name", "product_name", "status", "goal", "raised", "deadline", "author__username")[
            :PAGE
        ]
    )


urlpatterns = [
    path("bench/ceiling/products/", products),
    # The shop catalogue's page 1 shows the same 20 rows as the API's page 1.
    path("bench/ceiling/shop/", products),
    path("bench/ceiling/messages/<int:chat_id>/", messages),
    path("bench/ceiling/clients/<int:owner_id>/", clients),
    path("bench/ceiling/articles/", articles),
    path("bench/ceiling/projects/", projects),
    path("", include("config.urls")),
]
handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
