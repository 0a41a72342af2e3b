"""Buying templates: one at once or the whole cart, all or nothing, each with its own copy of the files."""

import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts import services as account_services
from core.models import AuditEvent
from sitestore import selectors, services
from sitestore.models import SiteTemplate, TemplateCartItem, UserSite
from tests.factories import UserFactory
from tests.sitestore.factories import SiteTemplateFactory, TemplateCartItemFactory, UserSiteFactory

pytestmark = pytest.mark.django_db


def site_files(site: UserSite) -> set[str]:
    root = selectors.site_directory(site)
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def sites_root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "sites"


def test_buying_a_template_copies_its_files_into_the_buyers_own_directory(user):
    template = SiteTemplateFactory(kind=SiteTemplate.Kind.FORUM, about="A lively forum.")

    site = services.template_buy(user=user, template=template)

    assert site.owner == user
    assert site.template == template
    assert site.name == "Forum (1)"
    assert site.about == "A lively forum."
    assert site.stage == UserSite.Stage.QUEUED
    assert site.directory == f"sites/{site.pk}/"
    assert site_files(site) == {"site.json", "index.html", "static/style.css"}
    assert (selectors.site_directory(site) / "index.html").read_text().endswith("<h1>Tiny site</h1>")


def test_site_names_count_the_owners_sites_of_each_kind(user, other_user):
    news = SiteTemplateFactory(kind=SiteTemplate.Kind.NEWS)
    other_news = SiteTemplateFactory(kind=SiteTemplate.Kind.NEWS)
    blog = SiteTemplateFactory(kind=SiteTemplate.Kind.BLOG)

    names = [services.template_buy(user=user, template=template).name for template in [news, other_news, blog, news]]

    assert names == ["News (1)", "News (2)", "Blog (1)", "News (3)"]
    assert services.template_buy(user=other_user, template=news).name == "News (1)"


def test_each_purchase_is_counted_and_audited(user, other_user):
    template = SiteTemplateFactory()

    first = services.template_buy(user=user, template=template)
    services.template_buy(user=other_user, template=template)

    template.refresh_from_db()
    assert template.purchases == 2
    event = AuditEvent.objects.filter(action="sitestore.template_bought").order_by("id").first()
    assert event is not None
    assert event.actor == user
    assert event.target_id == str(first.pk)
    assert event.details == {"template": template.pk, "price": template.price, "from_cart": False}


def test_a_purchase_is_counted_with_an_update_not_a_stale_copy(user):
    template = SiteTemplateFactory()
    stale = SiteTemplate.objects.get(pk=template.pk)
    SiteTemplate.objects.filter(pk=template.pk).update(purchases=5)

    services.template_buy(user=user, template=stale)

    template.refresh_from_db()
    assert template.purchases == 6


def test_an_unpublished_template_cannot_be_bought_and_nothing_changes(user):
    template = SiteTemplateFactory(is_published=False)

    with pytest.raises(ValidationError) as error:
        services.template_buy(user=user, template=template)

    assert "is not for sale" in str(error.value)
    assert not UserSite.objects.exists()
    assert not sites_root().exists() or not any(sites_root().iterdir())
    template.refresh_from_db()
    assert template.purchases == 0
    assert not AuditEvent.objects.filter(action="sitestore.template_bought").exists()


def test_a_template_whose_files_are_missing_is_refused_with_a_message(user):
    template = SiteTemplateFactory(bundle="gone")

    with pytest.raises(ValidationError) as error:
        services.template_buy(user=user, template=template)

    assert "are missing" in str(error.value)
    assert not UserSite.objects.exists()


def test_a_bundle_name_cannot_reach_outside_the_bundles_directory(user, site_bundles):
    (site_bundles.parent / "site.json").write_text("{}")
    template = SiteTemplateFactory(bundle="..")

    with pytest.raises(ValidationError):
        services.template_buy(user=user, template=template)

    assert not UserSite.objects.exists()


def test_bought_files_leave_out_links_in_the_bundle(user, site_bundles):
    (site_bundles / "tiny" / "passwd").symlink_to("/etc/passwd")

    site = services.template_buy(user=user, template=SiteTemplateFactory())

    assert "passwd" not in site_files(site)


# --- Cart ----------------------------------------------------------------------------------


def test_adding_a_template_to_the_cart_twice_keeps_one_line(user):
    template = SiteTemplateFactory()

    services.template_cart_add(user=user, template=template)
    services.template_cart_add(user=user, template=template)

    assert list(TemplateCartItem.objects.values_list("user", "template")) == [(user.pk, template.pk)]


def test_an_unpublished_template_cannot_go_in_the_cart(user):
    with pytest.raises(ValidationError):
        services.template_cart_add(user=user, template=SiteTemplateFactory(is_published=False))

    assert not TemplateCartItem.objects.exists()


def test_removing_a_template_from_the_cart_leaves_the_other_lines(user, other_user):
    kept = TemplateCartItemFactory(user=user)
    removed = TemplateCartItemFactory(user=user)
    others = TemplateCartItemFactory(user=other_user, template=removed.template)

    services.template_cart_remove(user=user, template=removed.template)

    assert set(TemplateCartItem.objects.all()) == {kept, others}


def test_checkout_buys_every_template_in_the_cart_and_empties_it(user, other_user):
    news = SiteTemplateFactory(kind=SiteTemplate.Kind.NEWS)
    shop = SiteTemplateFactory(kind=SiteTemplate.Kind.SHOP)
    TemplateCartItemFactory(user=user, template=news)
    TemplateCartItemFactory(user=user, template=shop)
    others = TemplateCartItemFactory(user=other_user, template=news)

    sites = services.template_cart_checkout(user=user)

    assert [site.name for site in sites] == ["News (1)", "Shop (1)"]
    assert all(site_files(site) for site in sites)
    assert list(TemplateCartItem.objects.all()) == [others]
    assert {template.purchases for template in SiteTemplate.objects.all()} == {1}
    assert AuditEvent.objects.filter(action="sitestore.template_bought", details__from_cart=True).count() == 2


def test_checkout_of_an_empty_cart_is_refused(user):
    with pytest.raises(ValidationError) as error:
        services.template_cart_checkout(user=user)

    assert "empty" in str(error.value)
    assert not UserSite.objects.exists()


def test_checkout_is_all_or_nothing_and_removes_the_files_already_copied(user):
    bought_first = SiteTemplateFactory()
    withdrawn = SiteTemplateFactory()
    TemplateCartItemFactory(user=user, template=bought_first)
    TemplateCartItemFactory(user=user, template=withdrawn)
    SiteTemplate.objects.filter(pk=withdrawn.pk).update(is_published=False)

    with pytest.raises(ValidationError) as error:
        services.template_cart_checkout(user=user)

    assert withdrawn.name in str(error.value)
    assert not UserSite.objects.exists()
    assert TemplateCartItem.objects.filter(user=user).count() == 2
    assert not sites_root().exists() or not any(sites_root().iterdir())
    bought_first.refresh_from_db()
    assert bought_first.purchases == 0
    assert not AuditEvent.objects.filter(action="sitestore.template_bought").exists()


# --- Account deletion ----------------------------------------------------------------------


def test_deleting_an_account_removes_its_sites_files_once_it_commits(django_capture_on_commit_callbacks):
    owner, other = UserFactory(), UserFactory()
    template = SiteTemplateFactory()
    mine = services.template_buy(user=owner, template=template)
    theirs = services.template_buy(user=other, template=template)
    mine_directory = selectors.site_directory(mine)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.owner_account_deleted(user=owner)
    assert mine_directory.is_dir()
    for callback in callbacks:
        callback()

    assert not mine_directory.exists()
    assert site_files(theirs)


def test_deleting_an_account_takes_its_sites_rows_and_files_and_keeps_the_templates(
    password, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    template = SiteTemplateFactory()
    services.template_cart_add(user=owner, template=SiteTemplateFactory())
    site = services.template_buy(user=owner, template=template)
    directory = selectors.site_directory(site)

    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_delete(user=owner, password=password)

    assert not UserSite.objects.exists()
    assert not TemplateCartItem.objects.exists()
    assert not directory.exists()
    assert SiteTemplate.objects.filter(pk=template.pk).exists()


# --- Concurrency (PostgreSQL) ----------------------------------------------------------------


def run_together(*calls) -> list[object]:
    """Run the calls in threads released at once; each outcome is a result or the raised error."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = []

    def run(call) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; real concurrent purchases are tested on PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_double_submit_of_the_template_cart_buys_it_once():
    needs_postgresql()
    buyer = UserFactory()
    template = SiteTemplateFactory()
    TemplateCartItemFactory(user=buyer, template=template)

    outcomes = run_together(
        lambda: services.template_cart_checkout(user=buyer), lambda: services.template_cart_checkout(user=buyer)
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["ValidationError", "list"]
    assert UserSite.objects.count() == 1
    template.refresh_from_db()
    assert template.purchases == 1
    assert len(list(sites_root().iterdir())) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_purchases_are_all_counted_and_named_apart():
    needs_postgresql()
    buyer, other = UserFactory(), UserFactory()
    template = SiteTemplateFactory(kind=SiteTemplate.Kind.NEWS)

    outcomes = run_together(
        *[lambda: services.template_buy(user=buyer, template=template) for _ in range(3)],
        lambda: services.template_buy(user=other, template=template),
    )

    assert all(isinstance(outcome, UserSite) for outcome in outcomes), outcomes
    template.refresh_from_db()
    assert template.purchases == 4
    assert sorted(UserSite.objects.filter(owner=buyer).values_list("name", flat=True)) == [
        "News (1)",
        "News (2)",
        "News (3)",
    ]


def test_deleting_an_account_whose_site_records_name_no_usable_directory_removes_nothing_else(
    password, tmp_path, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    outside = tmp_path / "outside"
    outside.mkdir()
    UserSiteFactory(owner=owner, directory="")
    UserSiteFactory(owner=owner, directory="../outside/")

    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_delete(user=owner, password=password)

    assert not UserSite.objects.exists()
    assert outside.is_dir()
