from collections import defaultdict

from django.db import migrations, models


def backfill_skeletons(apps, schema_editor):
    # The current function, not a frozen copy: the column must hold what the
    # application will compare against from now on.
    from accounts.models import username_skeleton

    User = apps.get_model("accounts", "User")
    users = list(User.objects.only("pk", "username"))
    groups = defaultdict(list)
    for user in users:
        user.username_skeleton = username_skeleton(user.username)
        groups[user.username_skeleton].append(user.username)
    clashes = [sorted(names) for names in groups.values() if len(names) > 1]
    if clashes:
        listed = "; ".join(", ".join(repr(n) for n in names) for names in clashes)
        raise RuntimeError(
            "These usernames look alike and cannot all be kept: "
            f"{listed}. Rename all but one of each group, then migrate again."
        )
    User.objects.bulk_update(users, ["username_skeleton"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_skeleton",
            field=models.CharField(editable=False, max_length=600, null=True),
        ),
        migrations.RunPython(backfill_skeletons, migrations.RunPython.noop),
    ]
