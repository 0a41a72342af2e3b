"""The site store's pages: store front, catalogue, template page, template cart, My sites, site page,
download and About."""

import io
import zipfile

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from sitestore.models import SiteTemplate, TemplateCartItem, UserSite
from sitestore.services import template_buy
from tests.sitestore.factories import SiteTemplateFactory, StageChangeFactory, TemplateCartItemFactory, UserSiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- Public pages --------------------------------------------------------------------------


def test_the_store_front_is_public_and_shows_numbers_and_popular_templates(client):
    SiteTemplateFactory(name="Harbor Daily", purchases=7)
    SiteTemplateFactory(name="Hidden one", is_published=False)

    response = client.get(reverse("sitestore:home"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Harbor Daily" in body and "Hidden one" not in body
    assert dict(response.context["stats"])["Templates"] == 1


def test_the_catalogue_is_public_and_groups_published_templates_by_kind(client):
    SiteTemplateFactory(name="Daily", kind=SiteTemplate.Kind.NEWS, about="Fresh news.", price=24900, purchases=3)
    SiteTemplateFactory(name="Campfire", kind=SiteTemplate.Kind.FORUM)
    SiteTemplateFactory(name="Draft", kind=SiteTemplate.Kind.SHOP, is_published=False)

    response = client.get(reverse("sitestore:catalogue"))

    assert response.status_code == 200
    assert [group.kind for group in response.context["groups"]] == ["news", "forum"]
    body = response.content.decode()
    assert 'id="kind-news"' in body and 'id="kind-forum"' in body and 'id="kind-shop"' not in body
    assert "Fresh news." in body and "24,900 ₽" in body and "3 purchases" in body
    assert "Draft" not in body


def test_the_catalogue_card_shows_the_first_screenshot(client):
    SiteTemplateFactory(screenshots=["sitestore/screenshots/harbor-daily-1.png"])

    body = client.get(reverse("sitestore:catalogue")).content.decode()

    assert "/static/sitestore/screenshots/harbor-daily-1.png" in body


def test_an_empty_catalogue_says_so(client):
    response = client.get(reverse("sitestore:catalogue"))

    assert 'id="no-templates"' in response.content.decode()


def test_the_catalogue_uses_a_constant_number_of_queries(signed_in, user, django_assert_max_num_queries):
    TemplateCartItemFactory(user=user)
    signed_in.get(reverse("sitestore:home"))  # the session's device use is noted once, by a first request
    few = count_queries(signed_in, reverse("sitestore:catalogue"))
    for kind in SiteTemplate.Kind.values:
        for template in SiteTemplateFactory.create_batch(3, kind=kind):
            TemplateCartItemFactory(user=user, template=template)

    assert count_queries(signed_in, reverse("sitestore:catalogue")) == few
    with django_assert_max_num_queries(6):
        signed_in.get(reverse("sitestore:catalogue"))


def test_the_template_page_shows_screenshots_features_price_and_a_login_button_to_visitors(client):
    template = SiteTemplateFactory(
        price=9900, features=["Folding FAQ"], screenshots=["sitestore/screenshots/nimbus-landing-1.png"]
    )

    response = client.get(reverse("sitestore:template", args=[template.slug]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Folding FAQ" in body and "9,900 ₽" in body
    assert "/static/sitestore/screenshots/nimbus-landing-1.png" in body
    assert 'id="login-to-buy"' in body and 'id="add-to-cart"' not in body


def test_the_template_page_offers_add_to_cart_to_a_signed_in_user(signed_in):
    template = SiteTemplateFactory()

    body = signed_in.get(reverse("sitestore:template", args=[template.slug])).content.decode()

    assert 'id="add-to-cart"' in body


def test_an_unpublished_or_unknown_template_answers_404(client):
    draft = SiteTemplateFactory(is_published=False)

    assert client.get(reverse("sitestore:template", args=[draft.slug])).status_code == 404
    assert client.get(reverse("sitestore:template", args=["no-such-template"])).status_code == 404


def test_the_about_page_is_public(client):
    response = client.get(reverse("sitestore:about"))

    assert response.status_code == 200
    assert 'id="about"' in response.content.decode()


# --- Template cart and purchase ------------------------------------------------------------


@pytest.mark.parametrize("name", ["cart", "my-sites"])
def test_the_cart_and_my_sites_need_a_signed_in_account(client, name):
    response = client.get(reverse(f"sitestore:{name}"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_visitor_cannot_add_to_the_cart(client):
    template = SiteTemplateFactory()

    response = client.post(reverse("sitestore:cart-add"), {"template": template.pk})

    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not TemplateCartItem.objects.exists()


def test_adding_a_template_puts_it_in_the_cart_once(signed_in, user):
    template = SiteTemplateFactory(name="Campfire", price=29900)

    signed_in.post(reverse("sitestore:cart-add"), {"template": template.pk})
    response = signed_in.post(reverse("sitestore:cart-add"), {"template": template.pk}, follow=True)

    assert TemplateCartItem.objects.filter(user=user, template=template).count() == 1
    body = response.content.decode()
    assert "Campfire" in body and 'id="cart-total"' in body and "29,900 ₽" in body


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_adding_a_bad_template_id_is_a_400_and_changes_nothing(signed_in, value):
    response = signed_in.post(reverse("sitestore:cart-add"), {"template": value})

    assert response.status_code == 400
    assert not TemplateCartItem.objects.exists()


def test_an_unpublished_template_cannot_be_added(signed_in):
    draft = SiteTemplateFactory(is_published=False)

    response = signed_in.post(reverse("sitestore:cart-add"), {"template": draft.pk})

    assert response.status_code == 400
    assert "This template is not for sale." in response.content.decode()
    assert not TemplateCartItem.objects.exists()


def test_the_cart_add_answers_only_post(signed_in):
    assert signed_in.get(reverse("sitestore:cart-add")).status_code == 405


def test_removing_a_template_from_the_cart(signed_in, user):
    item = TemplateCartItemFactory(user=user)
    other = TemplateCartItemFactory(template=item.template)

    signed_in.post(reverse("sitestore:cart-remove"), {"template": item.template.pk})

    assert not TemplateCartItem.objects.filter(user=user).exists()
    assert TemplateCartItem.objects.filter(pk=other.pk).exists()


def test_checkout_buys_everything_in_the_cart(signed_in, user):
    news = SiteTemplateFactory(kind=SiteTemplate.Kind.NEWS)
    forum = SiteTemplateFactory(kind=SiteTemplate.Kind.FORUM)
    TemplateCartItemFactory(user=user, template=news)
    TemplateCartItemFactory(user=user, template=forum)

    response = signed_in.post(reverse("sitestore:checkout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("sitestore:my-sites")
    assert sorted(UserSite.objects.filter(owner=user).values_list("name", flat=True)) == ["Forum (1)", "News (1)"]
    assert not TemplateCartItem.objects.filter(user=user).exists()
    body = response.content.decode()
    assert "News (1)" in body and "Forum (1)" in body


def test_checkout_of_an_empty_cart_is_refused_and_buys_nothing(signed_in):
    response = signed_in.post(reverse("sitestore:checkout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("sitestore:cart")
    assert "Your template cart is empty." in response.content.decode()
    assert not UserSite.objects.exists()


# --- My sites, the site page, the download -------------------------------------------------


def test_my_sites_lists_only_my_sites_with_their_stage(signed_in, user, other_user):
    UserSiteFactory(owner=user, name="News (1)", stage=UserSite.Stage.DESIGN)
    UserSiteFactory(owner=other_user, name="Secret (1)")

    body = signed_in.get(reverse("sitestore:my-sites")).content.decode()

    assert "News (1)" in body and "stage-design" in body
    assert "Secret (1)" not in body


def test_my_sites_says_when_there_are_none(signed_in):
    assert 'id="no-sites"' in signed_in.get(reverse("sitestore:my-sites")).content.decode()


def test_my_sites_uses_a_constant_number_of_queries(signed_in, user, django_assert_max_num_queries):
    UserSiteFactory(owner=user)
    signed_in.get(reverse("sitestore:home"))  # the session's device use is noted once, by a first request
    few = count_queries(signed_in, reverse("sitestore:my-sites"))
    for template in SiteTemplateFactory.create_batch(4):
        UserSiteFactory.create_batch(2, owner=user, template=template)

    assert count_queries(signed_in, reverse("sitestore:my-sites")) == few
    with django_assert_max_num_queries(6):
        signed_in.get(reverse("sitestore:my-sites"))


def test_the_site_page_shows_the_stage_steps_and_the_history(signed_in, user, manager):
    site = UserSiteFactory(owner=user, stage=UserSite.Stage.DEVELOPMENT)
    StageChangeFactory(site=site, from_stage="queued", to_stage="design", actor=manager, note="Colours chosen")
    StageChangeFactory(site=site, from_stage="design", to_stage="development", actor=None)

    response = signed_in.get(reverse("sitestore:site", args=[site.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    steps = response.context["steps"]
    assert [step["value"] for step in steps if step["done"]] == ["queued", "design"]
    assert [step["value"] for step in steps if step["current"]] == ["development"]
    assert body.count('class="timeline-item stage-change"') == 2
    assert "Colours chosen" in body
    assert f'href="{reverse("sitestore:download", args=[site.pk])}"' in body
    assert f"{reverse('sitestore:threads')}?site={site.pk}" in body


@pytest.mark.parametrize("name", ["site", "download"])
def test_another_users_site_answers_404(signed_in, other_user, name):
    site = UserSiteFactory(owner=other_user)

    assert signed_in.get(reverse(f"sitestore:{name}", args=[site.pk])).status_code == 404


def test_the_download_streams_a_zip_of_the_sites_files(signed_in, user):
    site = template_buy(user=user, template=SiteTemplateFactory())

    response = signed_in.get(reverse("sitestore:download", args=[site.pk]))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="site-{site.pk}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["index.html", "site.json", "static/style.css"]
    assert b"Tiny site" in archive.read("index.html")


def test_a_site_without_files_is_not_downloadable(signed_in, user):
    site = UserSiteFactory(owner=user, directory="")

    assert signed_in.get(reverse("sitestore:download", args=[site.pk])).status_code == 404


def test_a_visitor_is_sent_to_log_in_for_a_download(client):
    site = UserSiteFactory()

    response = client.get(reverse("sitestore:download", args=[site.pk]))

    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_try_live_demo_is_a_post_form_for_signed_in_users_only(signed_in, client):
    template = SiteTemplateFactory()
    try:
        action = reverse("sitestore:demo-run", args=[template.pk])
    except NoReverseMatch:
        pytest.skip("the live previews are not installed")
    page = reverse("sitestore:template", args=[template.slug])

    signed_in_body = signed_in.get(page).content.decode()
    visitor_body = client.get(page).content.decode()

    assert f'<form method="post" action="{action}" id="demo-run-form">' in signed_in_body
    assert 'id="try-demo"' not in visitor_body
