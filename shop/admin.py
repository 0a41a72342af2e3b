from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.types import account_of
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
from shop.selectors import newsletter_status_counts, trending_queries


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


def _changes(form: forms.ModelForm, fields: tuple[str, ...], change: bool) -> dict[str, Any]:
    """What the form changes (everything it has, for a new object); a cleared image is ``None``."""
    names = [name for name in fields if name in form.cleaned_data and (not change or name in form.changed_data)]
    return {name: form.cleaned_data[name] or None if name == "image" else form.cleaned_data[name] for name in names}


def _become(obj: Product | Category, saved: Product | Category) -> None:
    """Let the admin (its log, its redirect) continue with the row the service wrote."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj.refresh_from_db()


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = list(services.CATEGORY_FIELDS)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Every write goes through ``shop.services`` (validation, audit)."""

    form = CategoryAdminForm
    list_display = ["name", "slug", "product_count", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(product_count=Count("products"))

    def save_model(self, request: HttpRequest, obj: Category, form: forms.ModelForm, change: bool) -> None:
        data = _changes(form, services.CATEGORY_FIELDS, change)
        if change:
            saved = services.category_update(
                category=Category.objects.get(pk=obj.pk), data=data, actor=account_of(request), request=request
            )
        else:
            saved = services.category_create(data=data, actor=account_of(request), request=request)
        _become(obj, saved)

    # The admin's confirmation page already refuses categories that still have products (PROTECT).
    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        services.category_delete(category=obj, actor=account_of(request), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        for category in queryset:
            services.category_delete(category=category, actor=account_of(request), request=request)

    @admin.display(description=_("products"), ordering="product_count")
    def product_count(self, obj: Category) -> int:
        return obj.product_count  # type: ignore[attr-defined]  # annotated by get_queryset


class PriceChangeInline(admin.TabularInline):
    model = PriceChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "old_price", "new_price", "reason", "changed_by")
    readonly_fields = fields
    ordering = ["-changed_at"]

    # The price history is written by the services only: shown, never edited here.
    def has_add_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False


class ProductAdminForm(forms.ModelForm):
    # A plain file field: the one image check (core.images, through the services) judges the upload,
    # so every image is refused for the same reasons and with the same words.
    image = forms.FileField(label=_("image"), required=False, widget=AdminFileWidget)

    class Meta:
        model = Product
        fields = list(services.PRODUCT_FIELDS)

    def clean(self) -> dict[str, Any]:
        """The services' rules (the one image check among them), shown beside the fields."""
        super().clean()
        data = self.cleaned_data
        if not self.errors:
            try:
                services.product_check(
                    data=_changes(self, services.PRODUCT_FIELDS, self.instance.pk is not None),
                    product=self.instance if self.instance.pk else None,
                )
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    raise
                for field, messages_of_field in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages_of_field)
        return data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Every write goes through ``shop.services`` (image check, price history, audit, file clean-up)."""

    form = ProductAdminForm
    list_display = ["name", "category", "company", "price", "old_price", "stock", "is_active", "updated_at"]
    list_filter = ["is_active", "category", "company", "created_at"]
    search_fields = ["name", "company", "description", "category__name"]
    list_select_related = ["category"]
    readonly_fields = ["old_price", "created_at", "updated_at"]
    inlines = [PriceChangeInline]
    actions = ["activate", "deactivate", "adjust_prices"]
    list_per_page = 50

    def save_model(self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool) -> None:
        data = _changes(form, services.PRODUCT_FIELDS, change)
        if change:
            saved = services.product_update(
                product=Product.objects.get(pk=obj.pk), data=data, actor=account_of(request), request=request
            )
        else:
            saved = services.product_create(data=data, actor=account_of(request), request=request)
        _become(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        services.product_delete(product=obj, actor=account_of(request), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset:
            services.product_delete(product=product, actor=account_of(request), request=request)

    @admin.action(description=_("Activate selected products"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = services.products_set_active(products=queryset, active=True, actor=account_of(request))
        self.message_user(request, ngettext("%d product activated.", "%d products activated.", count) % count)

    @admin.action(description=_("Deactivate selected products"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = services.products_set_active(products=queryset, active=False, actor=account_of(request))
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
                    actor=account_of(request),
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
    fields = ("product", "product_name", "price", "quantity", "line_total")
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
                services.order_set_status(order=order, status=status, actor=account_of(request))
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


class NewsletterStatusFilter(admin.SimpleListFilter):
    """The status filter with how many deliveries are in each state (of the chosen week), so an
    unknown delivery is visible at a glance."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        counts = newsletter_status_counts(week=request.GET.get("week__exact") or None)
        labels = dict(NewsletterDelivery.Status.choices)
        return [(status, f"{labels[status]} ({count})") for status, count in counts.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(NewsletterDelivery)
class NewsletterDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["week", "user", "status", "tries", "response", "attempted_at", "created_at"]
    list_filter = [NewsletterStatusFilter, "week"]
    search_fields = ["user__username", "user__email", "week"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    actions = ["send_unknown_again"]

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("shop.resend_newsletterdelivery")

    @admin.action(description=_("Send unknown deliveries again"), permissions=["resend"])
    def send_unknown_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.newsletter_unknown_resend(actor=cast(User, request.user), deliveries=queryset, request=request)
        if count:
            message = ngettext(
                "%(count)d unknown delivery will be sent again.",
                "%(count)d unknown deliveries will be sent again.",
                count,
            ) % {"count": count}
            self.message_user(request, message, messages.SUCCESS)
        else:
            self.message_user(
                request, _("None of the selected deliveries is unknown: nothing will be sent."), messages.WARNING
            )
