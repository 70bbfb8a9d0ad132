"""The Instructors group: exactly the question bank's permissions.

Instructors edit domains, task statements, objectives, questions and choices,
and read version history. They get nothing on users, cohorts or attempts.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BANK_MODELS = ["domain", "taskstatement", "objective", "question", "choice"]
READ_ONLY_MODELS = ["questionversion"]


def wanted_codenames() -> list[str]:
    codenames = [
        f"{action}_{model}"
        for model in BANK_MODELS
        for action in ("add", "change", "delete", "view")
    ]
    return codenames + [f"view_{model}" for model in READ_ONLY_MODELS]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructors")
    permissions = Permission.objects.filter(
        content_type__app_label="exams", codename__in=wanted_codenames()
    )
    group.permissions.set(permissions)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Instructors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
