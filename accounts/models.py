from __future__ import annotations

import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris).")


class User(AbstractUser):
    """A person using Quizsite. Times are stored in UTC and shown in `time_zone`."""

    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    @cached_property
    def is_lead(self) -> bool:
        """Leads at least one cohort (shows the Cohorts link)."""
        return self.memberships.filter(role=Membership.Role.LEAD).exists()


def new_join_code() -> str:
    # 10 characters of a 32-letter alphabet without look-alikes: about 50 bits.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class CohortQuerySet(models.QuerySet):
    def led_by(self, user) -> CohortQuerySet:
        """The cohorts `user` is a team lead of."""
        return self.filter(memberships__user=user, memberships__role=Membership.Role.LEAD)


class Cohort(models.Model):
    """A group of learners followed by one or more team leads."""

    name = models.CharField(max_length=120, unique=True)
    join_code = models.CharField(max_length=20, unique=True, default=new_join_code)
    join_code_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="Membership", related_name="cohorts")

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        LEARNER = "learner", "Learner"
        LEAD = "lead", "Team lead"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.LEARNER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cohort", "role"], name="membership_unique_user_cohort_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort} ({self.get_role_display()})"
