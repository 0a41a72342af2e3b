"""The site store's part of `fill`: the four demo templates (their files are in sitestore/bundles/).

Idempotent: templates are matched by slug and created once, so a second `fill` adds nothing and an
operator's later edits in the admin are kept. The screenshots are made from the running sites by
``manage.py site_screenshots``; a template lists only the ones that exist. The FAQ entries are
filled by ``sitestore.faq_demo``.
"""

from typing import Any

from django.contrib.staticfiles import finders
from django.db import transaction

from accounts.models import User
from sitestore import selectors
from sitestore.models import SiteTemplate, UserSite
from sitestore.services import template_buy

# "pages": the paths of the running site that ``site_screenshots`` photographs, in order.
TEMPLATES: list[dict[str, Any]] = [
    {
        "slug": "harbor-daily",
        "bundle": "news",
        "kind": SiteTemplate.Kind.NEWS,
        "name": "Harbor Daily",
        "price": 24_900,
        "about": "A news site where editors publish articles and readers comment.",
        "explanation": (
            "Harbor Daily is a compact news portal with a lead story, a grid of the latest articles and a "
            "comment thread under every article.\n\n"
            "Anyone can write an article from the site itself; everything is kept in a small SQLite "
            "database that is created on the first start, so the site runs anywhere Python runs."
        ),
        "features": [
            "Front page with a lead story and a news grid",
            "Article pages with comments",
            "Write-an-article form with validation",
            "SQLite database created on the first start",
            "Works under any path behind a proxy",
            "Python standard library only",
        ],
        "pages": ["/", "/article/1"],
    },
    {
        "slug": "campfire-forum",
        "bundle": "forum",
        "kind": SiteTemplate.Kind.FORUM,
        "name": "Campfire Forum",
        "price": 29_900,
        "about": "A friendly discussion forum with topics, replies and avatars.",
        "explanation": (
            "Campfire is a warm little forum: visitors open topics, reply to each other, and the busiest "
            "topics rise to the top.\n\n"
            "It stores everything in its own SQLite file and needs nothing but Python to run."
        ),
        "features": [
            "Topic list ordered by the latest activity",
            "Replies with author initials as avatars",
            "New-topic and reply forms with validation",
            "SQLite database created on the first start",
            "Python standard library only",
        ],
        "pages": ["/", "/topic/2"],
    },
    {
        "slug": "nimbus-landing",
        "bundle": "landing",
        "kind": SiteTemplate.Kind.LANDING,
        "name": "Nimbus Landing",
        "price": 9_900,
        "about": "A bright product landing page with pricing, FAQ and a sign-up form.",
        "explanation": (
            "Nimbus presents an app the way modern products do: a hero with an email sign-up, feature "
            "cards, three pricing plans and a folding FAQ.\n\n"
            "Plain HTML, CSS and a few lines of JavaScript: host it anywhere."
        ),
        "features": [
            "Hero with an email sign-up",
            "Feature cards and pricing plans",
            "Folding FAQ",
            "Responsive down to phones",
            "No build step, no external files",
        ],
        "pages": ["/"],
    },
    {
        "slug": "vera-portfolio",
        "bundle": "portfolio",
        "kind": SiteTemplate.Kind.PORTFOLIO,
        "name": "Vera Portfolio",
        "price": 12_900,
        "about": "A bold portfolio for a designer or photographer, with a filterable gallery.",
        "explanation": (
            "A striking one-page portfolio: big type, a colourful mosaic of works that filters by kind, "
            "and a lightbox.\n\n"
            "Plain HTML, CSS and JavaScript: replace the works with your own and publish."
        ),
        "features": [
            "Filterable gallery of works",
            "Lightbox view",
            "About and contact sections",
            "Responsive down to phones",
            "No build step, no external files",
        ],
        "pages": ["/"],
    },
]


def screenshot_path(slug: str, number: int) -> str:
    """The static path of a template's ``number``-th screenshot (counting from 1)."""
    return f"sitestore/screenshots/{slug}-{number}.png"


def screenshot_paths(slug: str, pages: list[str]) -> list[str]:
    """Static paths of the template's screenshots that exist (``site_screenshots`` makes them)."""
    paths = [screenshot_path(slug, number) for number in range(1, len(pages) + 1)]
    return [path for path in paths if finders.find(path)]


def fill(*, scale: int, stdout: Any) -> None:
    created = 0
    with transaction.atomic():
        for entry in TEMPLATES:
            _template, was_created = SiteTemplate.objects.get_or_create(
                slug=entry["slug"],
                defaults={
                    "bundle": entry["bundle"],
                    "kind": entry["kind"],
                    "name": entry["name"],
                    "price": entry["price"],
                    "about": entry["about"],
                    "explanation": entry["explanation"],
                    "features": entry["features"],
                    "screenshots": screenshot_paths(entry["slug"], entry["pages"]),
                    "is_published": True,
                },
            )
            created += was_created
    if created:
        stdout.write(f"Site store: {created} templates added.")
    _first_purchase(stdout)


def _first_purchase(stdout: Any) -> None:
    """Alice owns a news site, so My sites has something to show; only once, and only with her."""
    alice = User.objects.filter(username="alice").first()
    news = SiteTemplate.objects.filter(slug="harbor-daily", is_published=True).first()
    if alice is None or news is None or UserSite.objects.filter(owner=alice).exists():
        return
    if not (selectors.template_bundle_directory(news) / "site.json").is_file():
        return
    site = template_buy(user=alice, template=news)
    stdout.write(f"Site store: {alice.username} bought “{site.name}”.")
