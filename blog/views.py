"""Blog pages. Everyone reads published articles; blog managers also see drafts and write.

Access to the writing pages: anonymous visitors are sent to log in; a signed-in reader who is not
a blog manager gets 404 for a draft (it does not exist for them) and 403 for the new-article page
and for the edit/delete/publish pages of a published article (which they can see anyway).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.types import AuthenticatedHttpRequest
from blog import selectors, services
from blog.forms import ArticleForm
from blog.models import Article
from core.forms import apply_errors
from core.permissions import check_blog_manager, is_blog_manager


def _article_or_404(request: HttpRequest, slug: str) -> Article:
    try:
        return selectors.article_for(request.user, slug)
    except Article.DoesNotExist:
        raise Http404 from None


def _article_to_manage(request: HttpRequest, slug: str) -> Article:
    """The article, for a blog manager; 404 when the visitor may not even read it, else 403."""
    article = _article_or_404(request, slug)
    check_blog_manager(request.user)
    return article


@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    manager = is_blog_manager(request.user)
    return render(
        request,
        "blog/article_list.html",
        {
            "page": selectors.published_page(request.GET.get("page")),
            "is_blog_manager": manager,
            # Per-user content stays out of the cached part.
            "unpublished": list(selectors.unpublished_articles()) if manager else [],
        },
    )


@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article_or_404(request, slug)
    # HEAD requests (link checkers, previews) read nothing and are not counted.
    if request.method == "GET" and services.article_view_record(article=article, request=request):
        article.views += 1
    return render(
        request, "blog/article_detail.html", {"article": article, "is_blog_manager": is_blog_manager(request.user)}
    )


def _form_data(form: ArticleForm) -> dict:
    data = form.cleaned_data
    values = {
        "title": data["title"],
        "body": data["body"],
        "is_published": data["is_published"],
        "publish_at": data["publish_at"],
    }
    if data.get("image"):
        values["image"] = data["image"]
    elif data.get("remove_image"):
        values["image"] = None
    return values


@login_required
def article_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    check_blog_manager(request.user)
    form = ArticleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(actor=request.user, request=request, **_form_data(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _status_message(article, created=True))
            return redirect(article)
    return render(request, "blog/article_form.html", {"form": form, "article": None})


@login_required
def article_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    article = _article_to_manage(request, slug)
    initial = {
        "title": article.title,
        "body": article.body,
        "is_published": article.is_published,
        "publish_at": article.publish_at,
    }
    form = ArticleForm(
        request.POST or None, request.FILES or None, initial=initial, editing=True, has_image=bool(article.image)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.article_update(article=article, actor=request.user, data=_form_data(form), request=request)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _status_message(article))
            return redirect(article)
    return render(request, "blog/article_form.html", {"form": form, "article": article})


def _status_message(article: Article, *, created: bool = False) -> str:
    if article.is_published:
        return _("The article is published.")
    if article.publish_at:
        when = date_format(timezone.localtime(article.publish_at), "DATETIME_FORMAT")
        return _("The article will be published on %(when)s.") % {"when": when}
    return _("The draft is saved.") if created else _("The changes are saved.")


@login_required
def article_delete(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    article = _article_to_manage(request, slug)
    if request.method == "POST":
        services.article_delete(article=article, actor=request.user, request=request)
        messages.success(request, _("“%(title)s” is deleted.") % {"title": article.title})
        return redirect("blog:list")
    return render(request, "blog/article_confirm_delete.html", {"article": article})


@login_required
@require_POST
def article_publish(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    article = _article_to_manage(request, slug)
    services.article_publish(article=article, actor=request.user, request=request)
    messages.success(request, _("The article is published."))
    return redirect(article)


@login_required
@require_POST
def article_unpublish(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    article = _article_to_manage(request, slug)
    services.article_unpublish(article=article, actor=request.user, request=request)
    messages.success(request, _("The article is a draft again: only blog managers see it."))
    return redirect(article)
