"""Every change to a question leaves a trace: a new revision, who and when.

The admin form carries the revision it was opened at and refuses to save over a
newer one (`stale_edit_message`); bulk status changes go through `set_status`
so they bump the revision and `updated_at` like any other save.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F, QuerySet

from exams.models import Question


def bump_revisions(question_ids: Iterable[int], *, user, now: datetime) -> None:
    """Record that these questions changed, at `now`, by `user` (None: a bank load)."""
    Question.objects.filter(pk__in=list(question_ids)).update(
        revision=F("revision") + 1, updated_at=now, updated_by=user
    )


def stale_edit_message(question: Question, *, seen_revision: int) -> str | None:
    """Why a form opened at `seen_revision` must not be saved over `question`
    (read under a row lock), or None when nobody changed it since."""
    if question.revision == seen_revision:
        return None
    who = question.updated_by.get_username() if question.updated_by else "a bank file load"
    return (
        f"“{question}” was changed by {who} at {question.updated_at:%Y-%m-%d %H:%M} UTC "
        "after you opened it. Nothing was saved: open the question again to see that "
        "change, then make yours."
    )


def set_status(
    *, questions: QuerySet, status: str, user, now: datetime
) -> list[tuple[Question, str]]:
    """Move questions to `status`; returns each changed question with its old status.

    Questions already in `status` are left alone (no new revision)."""
    with transaction.atomic():
        wanted = Question.objects.filter(pk__in=list(questions.values_list("pk", flat=True)))
        changed = list(wanted.exclude(status=status).select_for_update().order_by("pk"))
        Question.objects.filter(pk__in=[q.pk for q in changed]).update(status=status)
        bump_revisions((q.pk for q in changed), user=user, now=now)
    return [(question, question.status) for question in changed]
