from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdmin
from shop import services
from shop.models import (
    CartItem,
    Category,
    CategoryInterest,
    NewsletterDelivery,
    Order,
    OrderItem,
    PriceAdjustment,
    PriceChange,
    Product,
    SearchQuery,
)
from shop.selectors import trending_queries


class PriceAdjustmentForm(forms.Form):
    percent = forms.IntegerField(
        label=_("Percent"),
        min_value=-90,
        max_value=500,
        help_text=_("Negative for a discount (e.g. -20), positive for a mark-up (e.g. 10)."),
    )
    days = forms.IntegerField(label=_("For how many days"), min_value=1, max_value=365, initial=7)

    def clean_percent(self) -> int:
        percent = self.cleaned_data["percent"]
        if percent == 0:
            raise ValidationError(_("Zero percent changes nothing: enter a discount (below 0) or a mark-up (above 0)."))
        return percent


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "product_count", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description=_("products"), ordering="product_count")
    def product_count(self, obj: Category) -> int:
        return obj.product_count


class PriceChangeInline(admin.TabularInline):
    model = PriceChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "old_price", "new_price", "reason", "changed_by"]
    readonly_fields = fields
    ordering = ["-changed_at"]

    # The price history is written by the services only: shown, never edited here.
    def has_add_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "company", "price", "old_price", "stock", "is_active", "updated_at"]
    list_filter = ["is_active", "category", "company", "created_at"]
    search_fields = ["name", "company", "description", "category__name"]
    list_select_related = ["category"]
    readonly_fields = ["old_price", "created_at", "updated_at"]
    inlines = [PriceChangeInline]
    actions = ["activate", "deactivate", "adjust_prices"]
    list_per_page = 50

    def save_model(self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool) -> None:
        # A price typed in the form goes through the service, so the price history records it.
        new_price = obj.price
        if change and "price" in form.changed_data:
            obj.price = form.initial["price"]
            super().save_model(request, obj, form, change)
            services.product_price_set(product=obj, price=new_price, actor=request.user)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Activate selected products"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = services.products_set_active(products=queryset, active=True, actor=request.user)
        self.message_user(request, ngettext("%d product activated.", "%d products activated.", count) % count)

    @admin.action(description=_("Deactivate selected products"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = services.products_set_active(products=queryset, active=False, actor=request.user)
        self.message_user(request, ngettext("%d product deactivated.", "%d products deactivated.", count) % count)

    @admin.action(description=_("Start a discount or mark-up…"), permissions=["change"])
    def adjust_prices(self, request: HttpRequest, queryset: QuerySet[Product]) -> HttpResponse | None:
        form = PriceAdjustmentForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            try:
                count = services.price_adjustment_start(
                    products=queryset,
                    percent=form.cleaned_data["percent"],
                    days=form.cleaned_data["days"],
                    actor=request.user,
                )
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                return None
            skipped = queryset.count() - count
            self.message_user(request, ngettext("%d price adjusted.", "%d prices adjusted.", count) % count)
            if skipped:
                self.message_user(
                    request,
                    ngettext(
                        "%d product skipped: it already has a running adjustment.",
                        "%d products skipped: they already have a running adjustment.",
                        skipped,
                    )
                    % skipped,
                    messages.WARNING,
                )
            return None
        return render(
            request,
            "admin/shop/product/adjust_prices.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Discount or mark-up"),
                "form": form,
                "queryset": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "product", "old_price", "new_price", "reason", "changed_by"]
    list_filter = ["reason", "changed_at"]
    search_fields = ["product__name"]
    list_select_related = ["product", "changed_by"]


@admin.register(PriceAdjustment)
class PriceAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["product", "percent", "original_price", "adjusted_price", "starts_at", "ends_at", "restored_at"]
    list_filter = ["restored_at", "ends_at"]
    search_fields = ["product__name"]
    list_select_related = ["product"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    fields = ["product", "product_name", "price", "quantity", "line_total"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are read-mostly: only their status changes, through the actions."""

    list_display = ["__str__", "user", "status", "total", "created_at", "status_changed_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__username", "user__email", "id"]
    list_select_related = ["user"]
    readonly_fields = ["user", "status", "total", "created_at", "status_changed_at"]
    inlines = [OrderItemInline]
    actions = ["mark_paid", "mark_shipped", "cancel"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def _move(self, request: HttpRequest, queryset: QuerySet[Order], status: str) -> None:
        moved, refused = 0, []
        for order in queryset:
            try:
                services.order_set_status(order=order, status=status, actor=request.user)
                moved += 1
            except ValidationError as error:
                refused.append(f"#{order.pk}: {' '.join(error.messages)}")
        if moved:
            self.message_user(request, ngettext("%d order updated.", "%d orders updated.", moved) % moved)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Mark selected orders paid"), permissions=["change"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move(request, queryset, Order.Status.PAID)

    @admin.action(description=_("Mark selected orders shipped"), permissions=["change"])
    def mark_shipped(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move(request, queryset, Order.Status.SHIPPED)

    @admin.action(description=_("Cancel selected orders (returns stock)"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move(request, queryset, Order.Status.CANCELLED)


@admin.register(OrderItem)
class OrderItemAdmin(ReadOnlyAdmin):
    """Every line ever ordered: what sold, at which price (the snapshot), in which order."""

    list_display = ["order", "product_name", "price", "quantity", "line_total"]
    list_filter = ["order__status"]
    search_fields = ["product_name", "order__id", "order__user__username"]
    list_select_related = ["order"]

    @admin.display(description=_("line total"))
    def line_total(self, obj: OrderItem) -> int:
        return obj.line_total


@admin.register(SearchQuery)
class SearchQueryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "query", "user"]
    list_filter = ["created_at"]
    search_fields = ["query"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    change_list_template = "admin/shop/searchquery/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "trending": trending_queries()})


@admin.register(CartItem)
class CartItemAdmin(ReadOnlyAdmin):
    list_display = ["user", "product", "quantity", "added_at"]
    search_fields = ["user__username", "product__name"]
    list_select_related = ["user", "product"]


@admin.register(CategoryInterest)
class CategoryInterestAdmin(ReadOnlyAdmin):
    list_display = ["user", "category", "views", "purchases", "updated_at"]
    search_fields = ["user__username", "category__name"]
    list_select_related = ["user", "category"]


@admin.register(NewsletterDelivery)
class NewsletterDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["week", "user", "status", "response", "created_at"]
    list_filter = ["status", "week"]
    search_fields = ["user__username", "user__email", "week"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
