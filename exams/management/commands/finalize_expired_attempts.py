from django.core.management.base import BaseCommand
from django.utils import timezone

from exams.attempts import finalize_expired_attempts


class Command(BaseCommand):
    help = (
        "Finalize every attempt past its deadline and grace period. Idempotent; "
        "pages also finalize lazily, this keeps reports current (run it from cron)."
    )

    def handle(self, *args, **options) -> None:
        count = finalize_expired_attempts(now=timezone.now())
        self.stdout.write(f"Finalized {count} expired attempt(s).")
