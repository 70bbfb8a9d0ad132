"""`refresh_item_statistics`: recompute the admin's item analysis (run from cron)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from exams.analysis import refresh_statistics


class Command(BaseCommand):
    help = (
        "Recompute every question's item analysis and every exam's reliability for the "
        "admin. The admin recomputes figures older than ten minutes itself; running this "
        "every five minutes from cron spares instructors that wait."
    )

    def handle(self, *args, **options) -> None:
        count = refresh_statistics(now=timezone.now())
        self.stdout.write(f"Item analysis recomputed for {count} questions.")
