"""The "Sites" widget on the platform home page shows live numbers instead of "coming soon"."""

import pytest
from django.urls import reverse

from core.registry import home_sections
from sitestore import selectors
from sitestore.models import Preview
from tests.sitestore.factories import PreviewFactory, SiteTemplateFactory, UserSiteFactory

pytestmark = pytest.mark.django_db


def test_home_stats_count_published_templates_sites_sold_and_running_previews():
    template = SiteTemplateFactory()
    SiteTemplateFactory(is_published=False)
    UserSiteFactory.create_batch(3, template=template)
    PreviewFactory(status=Preview.Status.RUNNING, port=8100)
    PreviewFactory(status=Preview.Status.STOPPED)

    assert [(str(label), value) for label, value in selectors.home_stats()] == [
        ("Templates", 1),
        ("Sites sold", 3),
        ("Previews running", 1),
    ]


def test_the_sites_section_links_to_the_store_with_its_numbers(client):
    SiteTemplateFactory()
    [section] = [section for section in home_sections() if section.key == "sites"]
    assert section.url_name == "sitestore:home"

    content = client.get(reverse("core:home")).content.decode()

    assert reverse("sitestore:home") in content
    assert "Sites sold" in content
