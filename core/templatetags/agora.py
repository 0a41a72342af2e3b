from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()

SELECT_WIDGETS = {"select", "selectmultiple", "nullbooleanselect"}


@register.filter
def bootstrap(field: BoundField) -> SafeString:
    """Render a field's widget with Bootstrap's classes, marked invalid when it has errors."""
    if field.widget_type in {"checkboxselectmultiple", "radioselect"}:
        return field.as_widget()
    css = "form-select" if field.widget_type in SELECT_WIDGETS else "form-control"
    if field.errors:
        css += " is-invalid"
    attrs: dict[str, str | bool] = {"class": css}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
