"""Price history, discounts and mark-ups, the restore job and the product page's price facts."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from core.jobs import run_job
from core.models import AuditEvent
from shop import selectors, services
from shop.models import PriceAdjustment, PriceChange, Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def adjust(*products, percent: int, days: int = 7, actor=None) -> int:
    return services.price_adjustment_start(
        products=Product.objects.filter(pk__in=[product.pk for product in products]),
        percent=percent,
        days=days,
        actor=actor,
    )


def end_adjustments() -> None:
    PriceAdjustment.objects.update(ends_at=timezone.now() - timedelta(minutes=1))


def product_page(client, product) -> str:
    response = client.get(reverse("shop:product-detail", args=[product.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- Price history ---------------------------------------------------------------------------


def test_a_price_change_is_recorded(manager):
    product = ProductFactory(price=1000)
    services.product_price_set(product=product, price=1200, actor=manager)
    assert product.price == 1200
    change = PriceChange.objects.get()
    assert (change.product, change.old_price, change.new_price) == (product, 1000, 1200)
    assert change.reason == PriceChange.Reason.MANUAL
    assert change.changed_by == manager
    assert change.changed_at is not None


def test_setting_the_same_price_records_nothing():
    product = ProductFactory(price=1000)
    services.product_price_set(product=product, price=1000, actor=None)
    assert not PriceChange.objects.exists()


def test_each_change_gets_its_own_row():
    product = ProductFactory(price=1000)
    for price in (900, 950, 950, 1000):
        services.product_price_set(product=product, price=price, actor=None)
    assert list(PriceChange.objects.order_by("id").values_list("old_price", "new_price")) == [
        (1000, 900),
        (900, 950),
        (950, 1000),
    ]


def test_a_negative_price_is_refused_and_nothing_changes():
    product = ProductFactory(price=1000)
    with pytest.raises(ValidationError) as error:
        services.product_price_set(product=product, price=-1, actor=None)
    assert error.value.message_dict == {"price": ["The price cannot be negative."]}
    product.refresh_from_db()
    assert product.price == 1000
    assert not PriceChange.objects.exists()


# --- Discounts and mark-ups ------------------------------------------------------------------


def test_a_discount_lowers_the_price_and_keeps_the_old_one_for_display(manager):
    product = ProductFactory(price=1000)
    assert adjust(product, percent=-20, days=7, actor=manager) == 1
    product.refresh_from_db()
    assert (product.price, product.old_price, product.discount_percent) == (800, 1000, 20)
    adjustment = PriceAdjustment.objects.get()
    assert (adjustment.percent, adjustment.original_price, adjustment.adjusted_price) == (-20, 1000, 800)
    assert adjustment.ends_at - adjustment.starts_at == timedelta(days=7)
    assert adjustment.restored_at is None
    change = PriceChange.objects.get()
    assert (change.old_price, change.new_price, change.reason) == (1000, 800, PriceChange.Reason.DISCOUNT)
    assert AuditEvent.objects.get(action="shop.price_adjusted").actor == manager


def test_a_discount_shows_the_old_price_struck_through_and_the_percent(client, user):
    client.force_login(user)
    product = ProductFactory(price=1000)
    adjust(product, percent=-25)
    html = product_page(client, product)
    assert '<span class="price fw-semibold">750 ₽</span>' in html
    assert '<s class="text-muted small old-price">1,000 ₽</s>' in html
    assert "−25%" in html
    listing = client.get(reverse("shop:product-list")).content.decode()
    assert '<s class="text-muted small old-price">1,000 ₽</s>' in listing


def test_a_mark_up_raises_the_price_without_an_old_price():
    product = ProductFactory(price=1000)
    assert adjust(product, percent=15) == 1
    product.refresh_from_db()
    assert (product.price, product.old_price, product.discount_percent) == (1150, None, 0)
    assert PriceChange.objects.get().reason == PriceChange.Reason.MARKUP


def test_a_mark_up_shows_nothing_struck_through(client, user):
    client.force_login(user)
    product = ProductFactory(price=1000)
    adjust(product, percent=10)
    html = product_page(client, product)
    assert '<span class="price fw-semibold">1,100 ₽</span>' in html
    assert "old-price" not in html
    assert "%</span>" not in html


def test_a_discount_never_makes_a_product_free():
    product = ProductFactory(price=5)
    adjust(product, percent=-90)
    product.refresh_from_db()
    assert product.price == 1


def test_a_product_already_adjusted_is_skipped():
    running, fresh = ProductFactory(price=1000), ProductFactory(price=2000)
    adjust(running, percent=-10)
    assert adjust(running, fresh, percent=-50) == 1
    running.refresh_from_db()
    fresh.refresh_from_db()
    assert (running.price, running.old_price) == (900, 1000)
    assert (fresh.price, fresh.old_price) == (1000, 2000)
    assert PriceAdjustment.objects.filter(product=running).count() == 1
    assert PriceChange.objects.filter(product=running).count() == 1


@pytest.mark.parametrize(
    ("percent", "days", "field"),
    [(0, 7, "percent"), (-91, 7, "percent"), (501, 7, "percent"), (-10, 0, "days"), (-10, 366, "days")],
)
def test_a_bad_percent_or_duration_is_refused_and_nothing_changes(percent, days, field):
    product = ProductFactory(price=1000)
    with pytest.raises(ValidationError) as error:
        adjust(product, percent=percent, days=days)
    assert list(error.value.message_dict) == [field]
    product.refresh_from_db()
    assert (product.price, product.old_price) == (1000, None)
    assert not PriceAdjustment.objects.exists()
    assert not PriceChange.objects.exists()


@pytest.mark.parametrize(("percent", "days"), [(-90, 1), (500, 365)])
def test_the_limits_themselves_are_accepted(percent, days):
    assert adjust(ProductFactory(price=1000), percent=percent, days=days) == 1


# --- The restore job -------------------------------------------------------------------------


def test_the_job_restores_the_price_once_an_adjustment_ends():
    product = ProductFactory(price=1000)
    adjust(product, percent=-20)
    end_adjustments()
    assert run_job("shop.restore_adjusted_prices") == 1
    product.refresh_from_db()
    assert (product.price, product.old_price) == (1000, None)
    assert PriceAdjustment.objects.get().restored_at is not None
    restore = PriceChange.objects.get(reason=PriceChange.Reason.RESTORE)
    assert (restore.old_price, restore.new_price) == (800, 1000)


def test_the_restore_job_is_idempotent():
    product = ProductFactory(price=1000)
    adjust(product, percent=30)
    end_adjustments()
    assert run_job("shop.restore_adjusted_prices") == 1
    assert run_job("shop.restore_adjusted_prices") == 0
    product.refresh_from_db()
    assert product.price == 1000
    assert PriceChange.objects.filter(reason=PriceChange.Reason.RESTORE).count() == 1


def test_the_job_leaves_running_adjustments_alone():
    product = ProductFactory(price=1000)
    adjust(product, percent=-20, days=1)
    assert run_job("shop.restore_adjusted_prices") == 0
    product.refresh_from_db()
    assert (product.price, product.old_price) == (800, 1000)


def test_after_a_restore_the_product_can_be_adjusted_again():
    product = ProductFactory(price=1000)
    adjust(product, percent=-20)
    end_adjustments()
    services.price_adjustments_restore()
    assert adjust(product, percent=-50) == 1
    product.refresh_from_db()
    assert (product.price, product.old_price) == (500, 1000)


# --- Price facts on the product page ---------------------------------------------------------


def dated_change(product, old: int, new: int, days_ago: int) -> None:
    change = PriceChange.objects.create(product=product, old_price=old, new_price=new, reason="manual")
    PriceChange.objects.filter(pk=change.pk).update(changed_at=timezone.now() - timedelta(days=days_ago))


def test_lowest_and_highest_price_of_the_last_30_days(client, user):
    client.force_login(user)
    product = ProductFactory(price=1000)
    dated_change(product, 3000, 1500, days_ago=45)  # before the window: 3000 does not count
    dated_change(product, 1500, 700, days_ago=20)  # 1500 was the price when the window opened
    dated_change(product, 700, 1000, days_ago=5)
    history = selectors.price_history_30_days(product)
    assert (history.lowest, history.highest) == (700, 1500)
    html = product_page(client, product)
    assert "Last 30 days: from 700 ₽ to 1,500 ₽" in html


def test_without_changes_the_range_is_todays_price(client, user):
    client.force_login(user)
    product = ProductFactory(price=1000)
    assert "Last 30 days: from 1,000 ₽ to 1,000 ₽" in product_page(client, product)


def test_a_running_discount_shows_in_the_30_day_range(client, user):
    client.force_login(user)
    product = ProductFactory(price=1000)
    adjust(product, percent=-40)
    product.refresh_from_db()
    html = product_page(client, product)
    assert "Last 30 days: from 600 ₽ to 1,000 ₽" in html
    assert "−40%" in html


@pytest.mark.django_db(transaction=True)
def test_two_restore_jobs_at_once_restore_each_price_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; two jobs at once are tested on PostgreSQL")
    products = ProductFactory.create_batch(5, price=1000)
    adjust(*products, percent=-20)
    end_adjustments()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def restore() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(run_job("shop.restore_adjusted_prices"))
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=restore) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 5
    assert PriceChange.objects.filter(reason=PriceChange.Reason.RESTORE).count() == 5
    assert set(Product.objects.values_list("price", "old_price")) == {(1000, None)}


# --- A manual price during a discount or mark-up -----------------------------------------------


def history(product) -> list[tuple[int, int, str]]:
    return list(
        PriceChange.objects.filter(product=product).order_by("id").values_list("old_price", "new_price", "reason")
    )


def test_a_manual_price_set_during_a_discount_is_kept_when_the_discount_ends(manager):
    product = ProductFactory(price=1000)
    adjust(product, percent=-20)

    services.product_price_set(product=product, price=1500, actor=manager)
    end_adjustments()
    restored = run_job("shop.restore_adjusted_prices")

    product.refresh_from_db()
    assert restored == 0
    assert (product.price, product.old_price) == (1500, None)
    assert history(product) == [(1000, 800, "discount"), (800, 1500, "manual")]
    assert AuditEvent.objects.filter(action="shop.price_changed", details__adjustment_ended=True).count() == 1


def test_a_manual_price_ends_the_running_discount_at_once():
    product = ProductFactory(price=1000)
    adjust(product, percent=-20)

    services.product_price_set(product=product, price=900, actor=None)

    product.refresh_from_db()
    assert (product.price, product.old_price, product.discount_percent) == (900, None, 0)
    assert PriceAdjustment.objects.get().restored_at is not None
    # The product is free for a new discount, based on the manual price.
    assert adjust(product, percent=-10) == 1
    product.refresh_from_db()
    assert (product.price, product.old_price) == (810, 900)


def test_an_untouched_discount_is_restored_and_the_history_has_both_changes():
    product = ProductFactory(price=1000)
    adjust(product, percent=-20)
    end_adjustments()

    assert run_job("shop.restore_adjusted_prices") == 1

    product.refresh_from_db()
    assert (product.price, product.old_price) == (1000, None)
    assert history(product) == [(1000, 800, "discount"), (800, 1000, "restore")]


def test_the_restore_leaves_a_price_changed_behind_its_back_alone():
    """Only a price that is still the adjusted one goes back (a conditional update), whoever changed it."""
    product = ProductFactory(price=1000)
    adjust(product, percent=30)
    Product.objects.filter(pk=product.pk).update(price=1111)
    end_adjustments()

    assert run_job("shop.restore_adjusted_prices") == 0

    product.refresh_from_db()
    assert (product.price, product.old_price) == (1111, None)
    assert PriceAdjustment.objects.get().restored_at is not None
    assert not PriceChange.objects.filter(reason=PriceChange.Reason.RESTORE).exists()
