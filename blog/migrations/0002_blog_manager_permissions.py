"""Blog managers write the blog, in the pages and in the admin: articles, and the view log to look at."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    "view_article",
    "add_article",
    "change_article",
    "delete_article",
    "view_articleview",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("blog")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    blog_manager, _ = Group.objects.get_or_create(name="blog_manager")
    blog_manager.permissions.add(*Permission.objects.filter(content_type__app_label="blog", codename__in=PERMISSIONS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for blog_manager in Group.objects.filter(name="blog_manager"):
        blog_manager.permissions.remove(
            *Permission.objects.filter(content_type__app_label="blog", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
