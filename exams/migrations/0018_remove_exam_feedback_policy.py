# The exam's "feedback policy" was never read: mock exams always show feedback
# after submit and practice at once. The field is removed rather than kept as
# a setting that does nothing.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0017_blueprints_unscored_accommodations_availability"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="exam",
            name="feedback_policy",
        ),
    ]
