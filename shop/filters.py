"""One filter set for the catalogue page and the products API: the same parameters, the same errors."""

from typing import Any

import django_filters
from django import forms
from django.db.models import F, OrderBy, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from shop.models import Category, Product
from shop.search import search_products

ORDERINGS = (
    ("name", "name"),
    ("category__name", "category"),
    ("company", "company"),
    ("price", "price"),
    ("created_at", "created"),
)


# Orderings that ignore case: "apple", "Banana", "cherry" (matches the index on ``Lower("name")``).
CASE_INSENSITIVE = {"name"}


def order_term(field: str) -> str | OrderBy:
    """``field`` (``-`` for descending) as an ``order_by`` term, lower-cased where it ignores case."""
    name = field.removeprefix("-")
    if name not in CASE_INSENSITIVE:
        return field
    expression = Lower(F(name))
    return expression.desc() if field.startswith("-") else expression.asc()


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering on one column, with the id as tie-breaker so pages never overlap."""

    def filter(self, queryset: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return queryset
        fields = [order_term(self.get_ordering_value(param)) for param in value]
        return queryset.order_by(*fields, "id")


class WholeNumberFilter(django_filters.NumberFilter):
    """Prices are whole numbers: ``1.5`` is an error, not silently rounded."""

    field_class = forms.IntegerField


class ProductFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("The upper price must not be below the lower price."))
        return data


class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("Search"), max_length=200)
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all(), label=_("Category"))
    company = django_filters.CharFilter(field_name="company", lookup_expr="iexact", label=_("Company"))
    min_price = WholeNumberFilter(field_name="price", lookup_expr="gte", label=_("Price from"), min_value=0)
    max_price = WholeNumberFilter(field_name="price", lookup_expr="lte", label=_("Price to"), min_value=0)
    ordering = StableOrderingFilter(
        fields=ORDERINGS,
        field_labels={
            "name": _("Name"),
            "category__name": _("Category"),
            "company": _("Company"),
            "price": _("Price"),
            "created_at": _("Newest"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Product
        fields = ["search", "category", "company", "min_price", "max_price", "ordering"]
        form = ProductFilterForm

    def filter_search(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return search_products(queryset, value)

    def filter_queryset(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        queryset = super().filter_queryset(queryset)
        # Without an explicit order, searches come best match first (PostgreSQL's rank).
        if not self.form.cleaned_data.get("ordering") and "rank" in queryset.query.annotations:
            queryset = queryset.order_by("-rank", Lower("name"), "id")  # type: ignore[misc]  # annotated by the search
        return queryset
