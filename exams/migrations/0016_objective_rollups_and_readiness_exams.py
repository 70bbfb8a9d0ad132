import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Roll up every answer given so far (the same code as rebuild_rollups)."""
    from exams import rollups

    rollups.write_all(
        apps.get_model("exams", "ObjectiveRollup"),
        rollups.from_scratch(
            apps.get_model("exams", "ObjectiveResult"), apps.get_model("exams", "PracticeAnswer")
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0015_item_statistics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="exam",
            name="is_readiness",
            field=models.BooleanField(
                default=False,
                help_text='Team leads judge "ready to book" on readiness exams. When no exam open '
                "to a cohort is marked, the one with the most questions (the full-length "
                "simulation) is its readiness exam.",
                verbose_name="readiness exam",
            ),
        ),
        migrations.CreateModel(
            name="ObjectiveRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("decayed_right", models.FloatField(default=0.0)),
                ("decayed_total", models.FloatField(default=0.0)),
                ("answers", models.PositiveIntegerField(default=0)),
                ("correct", models.PositiveIntegerField(default=0)),
                ("last_at", models.DateTimeField()),
                (
                    "objective",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="exams.objective",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="objective_rollups",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "objective"), name="objectiverollup_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
