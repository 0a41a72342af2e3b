"""Managers moderate crowdfunding from the admin: they see every model and may change projects, which
the admin allows only through its moderation actions (hide, unhide, cancel with refunds, refresh
ratings). Nothing is added or deleted there: projects, teams and money belong to their people."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    "view_participantprofile",
    "view_project",
    "change_project",
    "view_projectrole",
    "view_application",
    "view_promotion",
    "view_rewardtier",
    "view_donation",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("crowdfunding")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    manager, _ = Group.objects.get_or_create(name="manager")
    manager.permissions.add(
        *Permission.objects.filter(content_type__app_label="crowdfunding", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for manager in Group.objects.filter(name="manager"):
        manager.permissions.remove(
            *Permission.objects.filter(content_type__app_label="crowdfunding", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [("crowdfunding", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
