"""Joining and leaving cohorts, and managing their join codes."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from accounts.models import Cohort, Membership, User, new_join_code


class CohortError(Exception):
    pass


def find_by_code(code: str, now: datetime) -> Cohort:
    """The cohort a join code opens, or CohortError with the reason."""
    normalized = "".join(code.split()).upper()
    cohort = Cohort.objects.filter(join_code=normalized).first() if normalized else None
    if cohort is None:
        raise CohortError("That join code does not match any cohort. Check it with your team lead.")
    if cohort.join_code_expires_at is not None and cohort.join_code_expires_at <= now:
        raise CohortError("That join code has expired. Ask your team lead for a new one.")
    return cohort


def join_cohort(*, user: User, code: str, now: datetime) -> Cohort:
    cohort = find_by_code(code, now)
    try:
        with transaction.atomic():
            Membership.objects.get_or_create(user=user, cohort=cohort, role=Membership.Role.LEARNER)
    except IntegrityError:  # joined twice at once: already a member
        pass
    return cohort


def leave_cohort(*, user: User, cohort: Cohort) -> None:
    Membership.objects.filter(user=user, cohort=cohort, role=Membership.Role.LEARNER).delete()


def regenerate_code(*, cohort: Cohort, expires_at: datetime | None = None) -> Cohort:
    """A new join code; the old one stops working at once."""
    cohort.join_code = new_join_code()
    cohort.join_code_expires_at = expires_at
    cohort.save(update_fields=["join_code", "join_code_expires_at"])
    return cohort
