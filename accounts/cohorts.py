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
    if not code_is_open(cohort, now):
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


def code_is_open(cohort: Cohort, now: datetime) -> bool:
    """Whether the cohort's join code still lets people join."""
    return cohort.join_code_expires_at is None or cohort.join_code_expires_at > now


def regenerate_code(*, cohort: Cohort, now: datetime) -> Cohort:
    """A new join code; the old one stops working at once. The new code keeps
    an expiry still to come, and has none if the old one had passed."""
    cohort.join_code = new_join_code()
    if not code_is_open(cohort, now):
        cohort.join_code_expires_at = None
    cohort.save(update_fields=["join_code", "join_code_expires_at"])
    return cohort


def close_code(*, cohort: Cohort, now: datetime) -> Cohort:
    """The join code stops working now; members stay. A new code reopens joining."""
    if code_is_open(cohort, now):
        cohort.join_code_expires_at = now
        cohort.save(update_fields=["join_code_expires_at"])
    return cohort
