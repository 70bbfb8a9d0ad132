"""The Instructors group edits case studies too (see 0002_instructors_group)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = [f"{action}_case" for action in ("add", "change", "delete", "view")]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    app_config = apps.get_app_config("exams")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructors")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="exams", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Instructors"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="exams", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0009_case_studies"),
        ("exams", "0002_instructors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
