"""The shop's admin, as a superuser and as a manager: products, prices, orders, the search log."""

from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core.models import AuditEvent
from shop import services
from shop.models import (
    CartItem,
    Category,
    CategoryInterest,
    Order,
    OrderItem,
    PriceAdjustment,
    PriceChange,
    Product,
    SearchQuery,
)
from tests.factories import CategoryFactory, OrderFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("admin:shop_product_changelist")
ORDERS = reverse("admin:shop_order_changelist")
SEARCHES = reverse("admin:shop_searchquery_changelist")


@pytest.fixture(params=["superuser", "manager"])
def staff(request, client):
    """A signed-in admin client, once as a superuser and once as a member of the manager group."""
    person = request.getfixturevalue(request.param)
    client.force_login(person)
    client.person = person
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def run_action(client, url: str, action: str, objects, **extra):
    """POST an admin action for ``objects`` to a changelist, as the action dropdown does."""
    data = {"action": action, "_selected_action": [str(obj.pk) for obj in objects], "index": "0", **extra}
    return client.post(url, data)


def adjust(client, products, **fields):
    """The second step of the price action: its own form, posted with ``apply``."""
    data = {"action": "adjust_prices", "_selected_action": [str(p.pk) for p in products], "apply": "Start"}
    return client.post(PRODUCTS, {**data, **fields})


def messages_of(client, response) -> list[str]:
    """Flash messages of a response, following a redirect to the page that shows them."""
    if response.status_code == 302:
        response = client.get(response["Location"])
    return [str(message) for message in response.context["messages"]]


def prices(*products) -> list[tuple[int | None, ...]]:
    return [tuple(Product.objects.values_list("price", "old_price").get(pk=p.pk)) for p in products]


def stock_of(product) -> int:
    return Product.objects.values_list("stock", flat=True).get(pk=product.pk)


def status_of(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


# --- The manager's permissions ---------------------------------------------------------------


def test_the_manager_group_can_run_the_shop():
    granted = set(Group.objects.get(name="manager").permissions.values_list("codename", flat=True))

    needed = {
        "view_product",
        "add_product",
        "change_product",
        "view_category",
        "add_category",
        "change_category",
        "view_order",
        "change_order",
        "view_orderitem",
        "view_pricechange",
        "view_priceadjustment",
        "view_searchquery",
    }
    assert needed <= granted
    # Orders are never added or deleted by hand; products are withdrawn, not deleted.
    assert not {"add_order", "delete_order", "delete_product"} & granted


def test_every_shop_model_is_in_the_admin():
    from django.apps import apps
    from django.contrib import admin

    assert all(admin.site.is_registered(model) for model in apps.get_app_config("shop").get_models())


def test_a_manager_sees_the_shop_on_the_admin_index(manager_client):
    response = manager_client.get(reverse("admin:index"))

    assert response.status_code == 200
    content = response.content.decode()
    for url in [PRODUCTS, ORDERS, SEARCHES, reverse("admin:shop_category_changelist")]:
        assert url in content


def test_a_plain_user_cannot_open_the_shop_admin(client, user):
    client.force_login(user)

    response = client.get(PRODUCTS)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_plain_staff_member_without_the_group_cannot_change_products(client):
    staff_member = UserFactory(is_staff=True)
    product = ProductFactory(is_active=True)
    client.force_login(staff_member)

    listing = client.get(PRODUCTS)
    action = run_action(client, PRODUCTS, "deactivate", [product])

    assert listing.status_code == 403
    assert action.status_code == 403
    assert Product.objects.get(pk=product.pk).is_active


# --- Products: changelist, search, filters ---------------------------------------------------


def test_product_changelist_renders_with_search(staff):
    ProductFactory(name="Bosch kettle", company="Bosch")
    ProductFactory(name="Sony headphones", company="Sony")

    response = staff.get(PRODUCTS, {"q": "kettle"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Bosch kettle" in content
    assert "Sony headphones" not in content


@pytest.mark.parametrize("term", ["Kitchen", "bosch", "descaling"])
def test_product_search_covers_category_company_and_description(staff, term):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    ProductFactory(name="Kettle", company="Bosch", category=kitchen, description="Easy descaling.")
    ProductFactory(name="Headphones", company="Sony")

    response = staff.get(PRODUCTS, {"q": term})

    assert [product.name for product in response.context["cl"].result_list] == ["Kettle"]


def test_product_changelist_filters_render_and_filter(staff):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    ProductFactory(name="Kettle", company="Bosch", category=kitchen)
    ProductFactory(name="Old kettle", company="Bosch", category=kitchen, is_active=False)
    ProductFactory(name="Headphones", company="Sony")

    response = staff.get(PRODUCTS, {"is_active__exact": "0", "category__id__exact": kitchen.pk, "company": "Bosch"})

    assert response.status_code == 200
    assert [product.name for product in response.context["cl"].result_list] == ["Old kettle"]
    assert response.context["cl"].has_filters


def test_product_changelist_offers_the_bulk_actions(staff):
    response = staff.get(PRODUCTS)

    choices = {value for value, _label in response.context["action_form"].fields["action"].choices}
    assert {"activate", "deactivate", "adjust_prices"} <= choices


def test_product_changelist_costs_the_same_queries_whatever_its_length(staff):
    # The first request of a session also notes the device's last use (accounts.services.device_seen,
    # at most every few minutes): measure the pages' own queries after it.
    staff.get(PRODUCTS)

    def queries_for_a_list_of(count: int) -> int:
        for number in range(count - Product.objects.count()):
            ProductFactory(category=CategoryFactory(name=f"Category {count}-{number}", slug=f"c-{count}-{number}"))
        with CaptureQueriesContext(connection) as captured:
            response = staff.get(PRODUCTS)
        assert len(response.context["cl"].result_list) == min(count, 50)
        return len(captured)

    assert queries_for_a_list_of(3) == queries_for_a_list_of(60)


def test_category_changelist_counts_products(staff):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    ProductFactory.create_batch(3, category=kitchen)

    response = staff.get(reverse("admin:shop_category_changelist"), {"q": "kit"})

    assert response.status_code == 200
    assert [(category.name, category.product_count) for category in response.context["cl"].result_list] == [
        ("Kitchen", 3)
    ]


def test_a_manager_adds_a_category_and_a_product(manager_client):
    response = manager_client.post(
        reverse("admin:shop_category_add"), {"name": "Garden", "slug": "garden", "description": ""}
    )
    assert response.status_code == 302
    garden = Category.objects.get(slug="garden")

    response = manager_client.post(
        reverse("admin:shop_product_add"),
        {
            "name": "Rake",
            "price": "990",
            "is_active": "on",
            "description": "",
            "category": garden.pk,
            "company": "Fiskars",
            "stock": "12",
            "price_changes-TOTAL_FORMS": "0",
            "price_changes-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    rake = Product.objects.get(name="Rake")
    assert (rake.price, rake.stock, rake.category, rake.is_active) == (990, 12, garden, True)
    assert not PriceChange.objects.exists()


# --- Products: bulk activate / deactivate ----------------------------------------------------


def test_deactivate_action_withdraws_the_selected_products_and_is_audited(staff):
    chosen = ProductFactory.create_batch(2, is_active=True)
    untouched = ProductFactory(is_active=True)

    response = run_action(staff, PRODUCTS, "deactivate", chosen)

    assert response.status_code == 302
    assert [Product.objects.get(pk=p.pk).is_active for p in [*chosen, untouched]] == [False, False, True]
    event = AuditEvent.objects.get(action="shop.products_deactivated")
    assert event.actor == staff.person
    assert sorted(event.details["products"]) == sorted(p.pk for p in chosen)
    assert messages_of(staff, response) == ["2 products deactivated."]


def test_activate_action_puts_products_back_on_sale_and_is_audited(staff):
    chosen = ProductFactory.create_batch(2, is_active=False)
    already_active = ProductFactory(is_active=True)
    untouched = ProductFactory(is_active=False)

    response = run_action(staff, PRODUCTS, "activate", [*chosen, already_active])

    assert [Product.objects.get(pk=p.pk).is_active for p in [*chosen, already_active, untouched]] == [
        True,
        True,
        True,
        False,
    ]
    event = AuditEvent.objects.get(action="shop.products_activated")
    assert event.actor == staff.person
    # Only what actually changed is counted and recorded.
    assert sorted(event.details["products"]) == sorted(p.pk for p in chosen)
    assert messages_of(staff, response) == ["2 products activated."]


def test_a_deactivated_product_disappears_from_the_catalogue(staff, user):
    product = ProductFactory(name="Kettle")
    run_action(staff, PRODUCTS, "deactivate", [product])
    staff.force_login(user)

    response = staff.get("/api/products/")

    assert response.json()["count"] == 0


# --- Products: discounts and mark-ups --------------------------------------------------------


def test_the_price_action_first_shows_its_form_and_changes_nothing(staff):
    kettle = ProductFactory(name="Kettle", price=1000)

    response = run_action(staff, PRODUCTS, "adjust_prices", [kettle])

    assert response.status_code == 200
    assert "percent" in response.context["form"].fields
    content = response.content.decode()
    assert "Kettle (1000)" in content
    assert f'name="_selected_action" value="{kettle.pk}"' in content
    assert 'name="action" value="adjust_prices"' in content
    assert f'href="{PRODUCTS}"' in content  # breadcrumbs and "Cancel" lead back to the list
    assert prices(kettle) == [(1000, None)]
    assert not PriceAdjustment.objects.exists()


def test_a_discount_lowers_prices_keeps_the_old_one_and_records_the_change(staff):
    kettle = ProductFactory(price=1000)
    lamp = ProductFactory(price=2999)
    untouched = ProductFactory(price=500)

    response = adjust(staff, [kettle, lamp], percent="-20", days="7")

    assert response.status_code == 302
    assert prices(kettle, lamp, untouched) == [(800, 1000), (2399, 2999), (500, None)]
    change = PriceChange.objects.get(product=kettle)
    assert (change.old_price, change.new_price, change.reason, change.changed_by) == (
        1000,
        800,
        PriceChange.Reason.DISCOUNT,
        staff.person,
    )
    adjustment = PriceAdjustment.objects.get(product=kettle)
    assert (adjustment.percent, adjustment.original_price, adjustment.adjusted_price) == (-20, 1000, 800)
    assert adjustment.ends_at - adjustment.starts_at == timedelta(days=7)
    assert adjustment.restored_at is None
    assert AuditEvent.objects.filter(action="shop.price_adjusted", actor=staff.person).count() == 2
    assert messages_of(staff, response) == ["2 prices adjusted."]


def test_a_mark_up_raises_prices_without_an_old_price(staff):
    kettle = ProductFactory(price=1000)

    adjust(staff, [kettle], percent="10", days="3")

    assert prices(kettle) == [(1100, None)]
    assert PriceChange.objects.get(product=kettle).reason == PriceChange.Reason.MARKUP


def test_products_already_under_an_adjustment_are_skipped_with_a_warning(staff):
    kettle = ProductFactory(price=1000)
    lamp = ProductFactory(price=2000)
    messages_of(staff, adjust(staff, [kettle], percent="-10", days="7"))

    response = adjust(staff, [kettle, lamp], percent="-50", days="7")

    assert prices(kettle, lamp) == [(900, 1000), (1000, 2000)]
    assert PriceAdjustment.objects.filter(product=kettle).count() == 1
    assert PriceChange.objects.filter(product=kettle).count() == 1
    assert messages_of(staff, response) == [
        "1 price adjusted.",
        "1 product skipped: it already has a running adjustment.",
    ]


def test_the_restore_job_puts_the_admin_discount_back(staff):
    kettle = ProductFactory(price=1000)
    adjust(staff, [kettle], percent="-25", days="1")
    PriceAdjustment.objects.update(ends_at=timezone.now() - timedelta(minutes=1))

    assert services.price_adjustments_restore() == 1

    assert prices(kettle) == [(1000, None)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"percent": "0", "days": "7"}, "percent"),
        ({"percent": "-95", "days": "7"}, "percent"),
        ({"percent": "501", "days": "7"}, "percent"),
        ({"percent": "ten", "days": "7"}, "percent"),
        ({"percent": "", "days": "7"}, "percent"),
        ({"percent": "-10", "days": "0"}, "days"),
        ({"percent": "-10", "days": "366"}, "days"),
        ({"percent": "-10", "days": "-1"}, "days"),
    ],
)
def test_invalid_adjustments_show_the_form_again_and_change_nothing(staff, fields, field):
    kettle = ProductFactory(price=1000)

    response = adjust(staff, [kettle], **fields)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert prices(kettle) == [(1000, None)]
    assert not PriceAdjustment.objects.exists()
    assert not PriceChange.objects.exists()
    assert not AuditEvent.objects.filter(action="shop.price_adjusted").exists()


# --- Products: the change form records price changes -----------------------------------------


def product_form_data(client, product, **changes) -> dict:
    """The product change form's data as the browser would send it, with ``changes`` applied."""
    response = client.get(reverse("admin:shop_product_change", args=[product.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "is_active":
            if value:
                data[name] = "on"
            continue
        if name == "image":
            continue
        data[name] = "" if value is None else getattr(value, "pk", value)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{name}"] = management.initial.get(name, "")
        for inline_form in inline.formset.forms:
            for name in inline_form.fields:
                value = inline_form.initial.get(name)
                if value is not None:
                    data[inline_form.add_prefix(name)] = getattr(value, "pk", value)
    data.update(changes)
    return data


def test_editing_the_price_in_the_change_form_records_a_price_change(staff):
    kettle = ProductFactory(name="Kettle", price=1000, stock=4)

    response = staff.post(
        reverse("admin:shop_product_change", args=[kettle.pk]),
        product_form_data(staff, kettle, price="1250", stock="9"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    kettle.refresh_from_db()
    assert (kettle.price, kettle.stock) == (1250, 9)
    change = PriceChange.objects.get(product=kettle)
    assert (change.old_price, change.new_price, change.reason, change.changed_by) == (
        1000,
        1250,
        PriceChange.Reason.MANUAL,
        staff.person,
    )


def test_editing_other_fields_records_no_price_change(staff):
    kettle = ProductFactory(name="Kettle", price=1000)

    staff.post(
        reverse("admin:shop_product_change", args=[kettle.pk]),
        product_form_data(staff, kettle, name="Better kettle"),
    )

    kettle.refresh_from_db()
    assert (kettle.name, kettle.price) == ("Better kettle", 1000)
    assert not PriceChange.objects.exists()


def test_a_negative_price_in_the_change_form_is_refused_and_changes_nothing(staff):
    kettle = ProductFactory(name="Kettle", price=1000)

    response = staff.post(
        reverse("admin:shop_product_change", args=[kettle.pk]),
        product_form_data(staff, kettle, price="-5", name="Changed"),
    )

    assert response.status_code == 200
    assert "price" in response.context["adminform"].form.errors
    kettle.refresh_from_db()
    assert (kettle.name, kettle.price) == ("Kettle", 1000)
    assert not PriceChange.objects.exists()


def test_the_change_form_shows_the_price_history_read_only(staff):
    kettle = ProductFactory(price=1000)
    adjust(staff, [kettle], percent="-10", days="7")

    response = staff.get(reverse("admin:shop_product_change", args=[kettle.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "900" in content
    inline = response.context["inline_admin_formsets"][0]
    assert inline.formset.model is PriceChange
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    # old_price is set by discounts only, never typed.
    assert "old_price" not in response.context["adminform"].form.fields


# --- Orders ----------------------------------------------------------------------------------


@pytest.fixture
def order(user):
    kettle = ProductFactory(name="Kettle", price=1000, stock=3)
    order = OrderFactory(user=user, products=[kettle])
    OrderItem.objects.filter(order=order).update(quantity=2)
    return order


def test_order_changelist_and_change_page_render(staff, order):
    listing = staff.get(ORDERS, {"status__exact": "placed", "q": order.user.username})
    page = staff.get(reverse("admin:shop_order_change", args=[order.pk]))

    assert listing.status_code == 200
    assert [o.pk for o in listing.context["cl"].result_list] == [order.pk]
    assert page.status_code == 200
    assert "Kettle" in page.content.decode()


def test_order_changelist_search_by_a_word_is_not_an_error(staff, order):
    response = staff.get(ORDERS, {"q": "kettle"})

    assert response.status_code == 200


def test_order_changelist_search_by_number_finds_the_order(staff, order):
    OrderFactory(products=[ProductFactory()])

    response = staff.get(ORDERS, {"q": str(order.pk)})

    assert order.pk in [o.pk for o in response.context["cl"].result_list]


def test_orders_cannot_be_added_or_deleted(staff, order):
    add = staff.get(reverse("admin:shop_order_add"))
    delete = staff.post(reverse("admin:shop_order_delete", args=[order.pk]), {"post": "yes"})
    bulk_delete = run_action(staff, ORDERS, "delete_selected", [order], post="yes")
    choices = {value for value, _label in staff.get(ORDERS).context["action_form"].fields["action"].choices}

    assert add.status_code == 403
    assert delete.status_code == 403
    assert bulk_delete.status_code in (200, 302)
    assert Order.objects.filter(pk=order.pk).exists()
    assert OrderItem.objects.filter(order=order).exists()
    assert "delete_selected" not in choices
    assert {"mark_paid", "mark_shipped", "cancel"} <= choices


def test_the_order_change_form_cannot_change_the_order(staff, order):
    response = staff.post(
        reverse("admin:shop_order_change", args=[order.pk]),
        {
            "status": "shipped",
            "total": "1",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "1",
            "items-0-id": str(order.items.get().pk),
            "items-0-order": str(order.pk),
            "_save": "Save",
        },
    )

    assert response.status_code in (200, 302)
    order.refresh_from_db()
    assert (order.status, order.total) == ("placed", 1000)


def test_mark_paid_then_shipped(staff, order):
    first = run_action(staff, ORDERS, "mark_paid", [order])
    assert status_of(order) == "paid"
    assert messages_of(staff, first) == ["1 order updated."]

    run_action(staff, ORDERS, "mark_shipped", [order])

    assert status_of(order) == "shipped"
    events = AuditEvent.objects.filter(target_id=str(order.pk), action__startswith="shop.order_")
    assert set(events.values_list("action", flat=True)) >= {"shop.order_paid", "shop.order_shipped"}
    assert events.filter(action="shop.order_paid").get().actor == staff.person


@pytest.mark.parametrize("start", ["placed", "paid"])
def test_cancel_returns_the_stock(staff, order, start):
    Order.objects.filter(pk=order.pk).update(status=start)
    kettle = order.items.get().product

    run_action(staff, ORDERS, "cancel", [order])

    assert status_of(order) == "cancelled"
    assert stock_of(kettle) == 3 + 2


def test_cancel_of_an_order_whose_product_was_deleted_still_works(staff, order):
    order.items.get().product.delete()

    run_action(staff, ORDERS, "cancel", [order])

    assert status_of(order) == "cancelled"


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("placed", "mark_shipped"),
        ("shipped", "mark_paid"),
        ("shipped", "cancel"),
        ("cancelled", "mark_paid"),
        ("cancelled", "cancel"),
        ("paid", "mark_paid"),
    ],
)
def test_illegal_transitions_are_refused_with_a_warning_and_change_nothing(staff, order, start, action):
    Order.objects.filter(pk=order.pk).update(status=start)
    kettle = order.items.get().product
    events_before = AuditEvent.objects.count()

    response = run_action(staff, ORDERS, action, [order])

    assert status_of(order) == start
    assert stock_of(kettle) == 3
    assert AuditEvent.objects.count() == events_before
    shown = messages_of(staff, response)
    assert len(shown) == 1
    assert shown[0].startswith(f"#{order.pk}: ")
    assert "cannot become" in shown[0]


def test_a_mixed_selection_moves_the_legal_orders_and_warns_about_the_rest(staff, user):
    placed = OrderFactory(user=user, products=[ProductFactory()])
    shipped = OrderFactory(user=user, products=[ProductFactory()], status="shipped")

    response = run_action(staff, ORDERS, "mark_paid", [placed, shipped])

    assert (status_of(placed), status_of(shipped)) == ("paid", "shipped")
    shown = messages_of(staff, response)
    assert shown[0] == "1 order updated."
    assert shown[1].startswith(f"#{shipped.pk}: ")


# --- The search log and the read-only admins -------------------------------------------------


def test_the_search_log_shows_the_trending_block(staff):
    SearchQuery.objects.bulk_create([SearchQuery(query="kettle") for _ in range(3)] + [SearchQuery(query="lamp")])

    response = staff.get(SEARCHES)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="trending-module"' in content
    assert [(item["query"], item["count"]) for item in response.context["trending"]] == [("kettle", 3), ("lamp", 1)]
    assert content.index("kettle") < content.index("lamp")


def test_the_search_log_without_searches_says_so(staff):
    response = staff.get(SEARCHES, {"q": "nothing"})

    assert response.status_code == 200
    assert "Nothing yet." in response.content.decode()


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (PriceChange, lambda: PriceChange.objects.create(product=ProductFactory(), old_price=1, new_price=2)),
        (
            PriceAdjustment,
            lambda: PriceAdjustment.objects.create(
                product=ProductFactory(),
                percent=-10,
                original_price=100,
                adjusted_price=90,
                starts_at=timezone.now(),
                ends_at=timezone.now() + timedelta(days=1),
            ),
        ),
        (SearchQuery, lambda: SearchQuery.objects.create(query="kettle")),
        (OrderItem, lambda: OrderFactory(products=[ProductFactory()]).items.get()),
        (CartItem, lambda: CartItem.objects.create(user=UserFactory(), product=ProductFactory())),
        (CategoryInterest, lambda: CategoryInterest.objects.create(user=UserFactory(), category=CategoryFactory())),
    ],
)
def test_history_admins_are_read_only(client, superuser, model, make):
    obj = make()
    client.force_login(superuser)
    info = model._meta.app_label, model._meta.model_name
    before = list(model.objects.values())

    listing = client.get(reverse("admin:{}_{}_changelist".format(*info)))
    detail = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    add = client.get(reverse("admin:{}_{}_add".format(*info)))
    changed = client.post(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]), {})
    deleted = client.post(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"})

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    assert add.status_code == 403
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert list(model.objects.values()) == before


@pytest.mark.parametrize("model", [PriceChange, PriceAdjustment, SearchQuery, OrderItem])
def test_a_manager_can_read_the_shop_histories(manager_client, model):
    url = reverse(f"admin:shop_{model._meta.model_name}_changelist")

    response = manager_client.get(url)
    searched = manager_client.get(url, {"q": "kettle 12"})

    assert response.status_code == 200
    assert searched.status_code == 200
    assert not response.context["has_add_permission"]


@pytest.mark.parametrize("model", [CartItem, CategoryInterest])
def test_a_manager_does_not_see_private_shopping_data(manager_client, model):
    response = manager_client.get(reverse(f"admin:shop_{model._meta.model_name}_changelist"))

    assert response.status_code == 403


# --- Catalogue writes go through the services (validation, audit, image check, files) ---------


def png_upload(size=(2400, 1200), name: str = "photo.png"):
    buffer = BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 128)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_adding_and_changing_a_category_is_audited(manager_client, manager):
    manager_client.post(reverse("admin:shop_category_add"), {"name": "Garden", "slug": "garden", "description": ""})
    garden = Category.objects.get(slug="garden")

    manager_client.post(
        reverse("admin:shop_category_change", args=[garden.pk]),
        {"name": "Garden and yard", "slug": "garden", "description": ""},
    )

    garden.refresh_from_db()
    assert garden.name == "Garden and yard"
    events = AuditEvent.objects.filter(target_id=str(garden.pk), action__startswith="shop.category_")
    assert sorted(events.values_list("action", "details__fields")) == [
        ("shop.category_created", ["name", "slug", "description"]),
        ("shop.category_updated", ["name"]),
    ]
    assert {event.actor_id for event in events} == {manager.pk}


def test_deleting_a_category_is_audited_and_one_with_products_stays(superuser, client):
    client.force_login(superuser)
    empty, used = CategoryFactory(name="Empty"), CategoryFactory(name="Used")
    ProductFactory(category=used)

    run_action(client, reverse("admin:shop_category_changelist"), "delete_selected", [empty, used], post="yes")
    client.post(reverse("admin:shop_category_delete", args=[empty.pk]), {"post": "yes"})

    assert list(Category.objects.values_list("name", flat=True)) == ["Used"]
    assert AuditEvent.objects.filter(action="shop.category_deleted").count() == 1


def test_a_category_with_products_is_refused_by_the_service_too(superuser):
    used = CategoryFactory()
    ProductFactory(category=used)

    with pytest.raises(ValidationError):
        services.category_delete(category=used, actor=superuser)

    assert Category.objects.filter(pk=used.pk).exists()
    assert not AuditEvent.objects.filter(action="shop.category_deleted").exists()


def test_a_product_added_with_an_image_is_stored_shrunk_as_jpeg_and_audited(manager_client, settings):
    category = CategoryFactory()

    response = manager_client.post(
        reverse("admin:shop_product_add"),
        {
            "name": "Rake",
            "price": "990",
            "is_active": "on",
            "description": "",
            "category": category.pk,
            "company": "Fiskars",
            "stock": "12",
            "image": png_upload(),
            "price_changes-TOTAL_FORMS": "0",
            "price_changes-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    rake = Product.objects.get(name="Rake")
    with Image.open(rake.image.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (settings.SHOP_PRODUCT_IMAGE_MAX_SIDE, 600))
    assert AuditEvent.objects.filter(action="shop.product_created", target_id=str(rake.pk)).exists()


def test_a_file_that_is_no_image_is_a_form_error_and_nothing_is_saved(staff):
    kettle = ProductFactory(name="Kettle", price=1000)

    response = staff.post(
        reverse("admin:shop_product_change", args=[kettle.pk]),
        product_form_data(staff, kettle, name="Changed", image=SimpleUploadedFile("x.png", b"not an image")),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["image"] == ["This file is not a valid image."]
    kettle.refresh_from_db()
    assert (kettle.name, kettle.image.name) == ("Kettle", "")


def test_replacing_and_clearing_a_product_image_deletes_the_old_file(staff, django_capture_on_commit_callbacks):
    kettle = ProductFactory(name="Kettle")
    url = reverse("admin:shop_product_change", args=[kettle.pk])
    staff.post(url, product_form_data(staff, kettle, image=png_upload()))
    kettle.refresh_from_db()
    first = Path(kettle.image.path)

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, product_form_data(staff, kettle, image=png_upload((300, 300))))
    kettle.refresh_from_db()
    second = Path(kettle.image.path)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, product_form_data(staff, kettle, **{"image-clear": "on"}))

    kettle.refresh_from_db()
    assert kettle.image.name == ""
    assert not first.exists() and not second.exists()
    assert AuditEvent.objects.filter(action="shop.product_updated", target_id=str(kettle.pk)).count() == 3


def test_deleting_products_in_the_admin_removes_their_images_and_is_audited(
    superuser, client, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    products = [ProductFactory(), ProductFactory(), ProductFactory()]
    for product in products:
        services.product_update(product=product, data={"image": png_upload((40, 40))}, actor=None)
    paths = [Path(Product.objects.get(pk=product.pk).image.path) for product in products]
    kept = products[2]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:shop_product_delete", args=[products[0].pk]), {"post": "yes"})
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, PRODUCTS, "delete_selected", [products[1]], post="yes")

    assert list(Product.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [path.exists() for path in paths] == [False, False, True]
    assert AuditEvent.objects.filter(action="shop.product_deleted").count() == 2
