"""Managers run the shop from the admin: products, categories, orders, prices, the search log."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    "view_product",
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
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("shop")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    manager, _ = Group.objects.get_or_create(name="manager")
    manager.permissions.add(*Permission.objects.filter(content_type__app_label="shop", codename__in=PERMISSIONS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for manager in Group.objects.filter(name="manager"):
        manager.permissions.remove(*Permission.objects.filter(content_type__app_label="shop", codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
