from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.types import account_of
from blog import services
from blog.models import Article, ArticleView
from core.admin import ReadOnlyAdmin
from core.permissions import is_blog_manager

EDITABLE = ["title", "body", "image", "is_published", "publish_at"]


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = EDITABLE

    def clean(self) -> dict[str, Any]:
        """The services' rules, shown beside the fields (the save itself goes through the services)."""
        super().clean()
        data = self.cleaned_data
        image = data.get("image")
        services.article_check(
            title=data.get("title", ""),
            body=data.get("body", ""),
            publish_at=data.get("publish_at") if "publish_at" in self.changed_data else None,
            image=image if "image" in self.changed_data and image else None,
        )
        return data


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Every write goes through ``blog.services`` (slug, image checks, audit, cache invalidation)."""

    form = ArticleAdminForm
    list_display = ["title", "is_published", "published_at", "publish_at", "author", "views", "updated_at"]
    list_filter = ["is_published", "published_at", "publish_at", "created_at"]
    search_fields = ["title", "slug", "body", "author__username", "author__last_name"]
    list_select_related = ["author"]
    fields = [*EDITABLE, "slug", "author", "published_at", "views", "created_at", "updated_at"]
    readonly_fields = ["slug", "author", "published_at", "views", "created_at", "updated_at"]
    actions = ["publish", "unpublish"]
    date_hierarchy = "created_at"
    list_per_page = 50

    # Only blog managers write, as in the services; other staff may look.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_blog_manager(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return super().has_change_permission(request, obj) and is_blog_manager(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return super().has_delete_permission(request, obj) and is_blog_manager(request.user)

    def save_model(self, request: HttpRequest, obj: Article, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in EDITABLE}
            if "image" in changes and not changes["image"]:
                changes["image"] = None  # the "clear" box
            article = services.article_update(
                article=Article.objects.get(pk=obj.pk), actor=account_of(request), data=changes, request=request
            )
        else:
            article = services.article_create(
                actor=account_of(request),
                title=data["title"],
                body=data["body"],
                image=data.get("image") or None,
                is_published=data["is_published"],
                publish_at=data.get("publish_at"),
                request=request,
            )
        obj.pk = article.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        services.article_delete(article=obj, actor=account_of(request), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            services.article_delete(article=article, actor=account_of(request), request=request)

    def _set_state(self, request: HttpRequest, queryset: QuerySet[Article], published: bool) -> int:
        change = services.article_publish if published else services.article_unpublish
        changed = 0
        for article in queryset:
            if article.is_published != published or article.publish_at is not None:
                change(article=article, actor=account_of(request), request=request)
                changed += 1
        return changed

    @admin.action(description=_("Publish selected articles"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = self._set_state(request, queryset, True)
        self.message_user(request, ngettext("%d article published.", "%d articles published.", count) % count)

    @admin.action(description=_("Unpublish selected articles (back to draft)"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = self._set_state(request, queryset, False)
        self.message_user(request, ngettext("%d article unpublished.", "%d articles unpublished.", count) % count)


@admin.register(ArticleView)
class ArticleViewAdmin(ReadOnlyAdmin):
    list_display = ["day", "article", "reader", "created_at"]
    list_filter = ["day"]
    search_fields = ["article__title", "reader"]
    list_select_related = ["article"]
    date_hierarchy = "day"
