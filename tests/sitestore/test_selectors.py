"""The catalogue's reads: published templates grouped by kind, one template by slug, my sites."""

import pytest
from django.http import Http404

from sitestore import selectors
from sitestore.models import SiteTemplate
from tests.sitestore.factories import SiteTemplateFactory, UserSiteFactory

pytestmark = pytest.mark.django_db


def test_templates_are_grouped_by_kind_in_the_declared_order_with_one_query(django_assert_num_queries):
    game = SiteTemplateFactory(kind=SiteTemplate.Kind.GAME, name="Arcade")
    news_b = SiteTemplateFactory(kind=SiteTemplate.Kind.NEWS, name="B News")
    news_a = SiteTemplateFactory(kind=SiteTemplate.Kind.NEWS, name="A News")
    SiteTemplateFactory(kind=SiteTemplate.Kind.BLOG, is_published=False)

    with django_assert_num_queries(1):
        groups = selectors.templates_by_kind()

    assert [(group.kind, str(group.label), group.templates) for group in groups] == [
        ("news", "News", [news_a, news_b]),
        ("game", "Game", [game]),
    ]


def test_a_template_is_found_by_slug_only_when_published():
    shown = SiteTemplateFactory(slug="daily")
    SiteTemplateFactory(slug="hidden", is_published=False)

    assert selectors.template_for("daily") == shown
    with pytest.raises(Http404):
        selectors.template_for("hidden")


def test_a_site_is_found_only_for_its_owner(user, other_user):
    site = UserSiteFactory(owner=user)

    assert selectors.site_of(user, site.pk) == site
    for viewer, site_id in [(other_user, site.pk), (user, "not-a-number"), (user, 10**30)]:
        with pytest.raises(Http404):
            selectors.site_of(viewer, site_id)
