"""Managers also add products (they could already add the categories to put them in)."""

from django.db import migrations

PERMISSIONS = ["add_product"]


def grant(apps, schema_editor):
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
    dependencies = [("shop", "0002_manager_permissions")]

    operations = [migrations.RunPython(grant, revoke)]
