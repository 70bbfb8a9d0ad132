from __future__ import annotations

import secrets
import unicodedata
import zoneinfo
from collections.abc import Iterable

import icu
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property

LOOKALIKE_USERNAME = "This username looks too much like an existing one; choose another."
SKELETON_MAX_LENGTH = 600

# ICU's spoof checker computes the confusable skeleton of Unicode TS #39 from
# Unicode's own confusables table; it is safe to share between threads.
_SPOOF_CHECKER = icu.SpoofChecker()


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris).")


def username_skeleton(username: str) -> str:
    """What a username looks like, ignoring case: equal for "admin", "Admin",
    "аdmin" (Cyrillic а), "ａｄｍｉｎ" (fullwidth) and "adrnin".

    NFKC folds compatibility forms (fullwidth, ligatures), casefold makes it
    case-insensitive, the TS #39 skeleton maps look-alikes to one prototype;
    the last casefold because some prototypes are capitals ("0" becomes "O").
    """
    folded = unicodedata.normalize("NFKC", username).casefold()
    return _SPOOF_CHECKER.getSkeleton(0, folded).casefold()


class UserManager(BaseUserManager):
    def bulk_create(self, objs: Iterable[User], *args, **kwargs) -> list[User]:
        # bulk_create skips save(), where every other write sets the skeleton.
        objs = list(objs)
        for user in objs:
            user.username_skeleton = username_skeleton(user.username)
        return super().bulk_create(objs, *args, **kwargs)


class User(AbstractUser):
    """A person using Quizsite. Times are stored in UTC and shown in `time_zone`."""

    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Unique, so that of two concurrent sign-ups with look-alike names only one
    # is stored, whichever form checked first; derived from username on save.
    username_skeleton = models.CharField(
        max_length=SKELETON_MAX_LENGTH, unique=True, editable=False
    )

    objects = UserManager()

    def clean(self) -> None:
        super().clean()  # NFKC-normalises the username, as Django does
        if not self.username:
            return
        skeleton = username_skeleton(self.username)
        if len(self.username) > 150 or len(skeleton) > SKELETON_MAX_LENGTH:
            raise ValidationError({"username": "This username is too long."})
        taken = User.objects.filter(username_skeleton=skeleton).exclude(pk=self.pk)
        if taken.exists():
            raise ValidationError({"username": LOOKALIKE_USERNAME})

    def save(self, *args, **kwargs) -> None:
        # Derived here, not in a form, so that no way of saving a user skips it.
        self.username_skeleton = username_skeleton(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_skeleton"}
        super().save(*args, **kwargs)

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


class InvitationQuerySet(models.QuerySet):
    def pending(self, now) -> InvitationQuerySet:
        """Not yet used, not withdrawn, not expired at `now`."""
        return self.filter(accepted_at__isnull=True, withdrawn_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A signed, expiring link that lets one person join a cohort.

    Sent to an email address that has no account yet; the link carries the
    invitation's id signed with the secret key, so it cannot be guessed or
    altered. Used once: accepting it records who accepted it and when.
    """

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and cohort: inviting again renews it.
            models.UniqueConstraint(
                fields=["cohort", "email"],
                condition=models.Q(accepted_at__isnull=True, withdrawn_at__isnull=True),
                name="invitation_one_open_per_cohort_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.cohort}"
