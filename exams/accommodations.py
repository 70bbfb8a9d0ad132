"""Extra time for learners who need it (`Accommodation`)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Cohort, Membership
from exams.models import Accommodation, Exam


def grant_to_cohort(*, cohort: Cohort, exam: Exam | None, extra_time_percent: int) -> int:
    """Give every learner of `cohort` `extra_time_percent` on `exam` (None: every
    exam), replacing what they had for it; returns how many learners."""
    with transaction.atomic():
        user_ids = list(
            Membership.objects.filter(cohort=cohort, role=Membership.Role.LEARNER)
            .values_list("user_id", flat=True)
            .distinct()
        )
        for user_id in user_ids:
            Accommodation.objects.update_or_create(
                user_id=user_id, exam=exam, defaults={"extra_time_percent": extra_time_percent}
            )
    return len(user_ids)
