"""Learner mastery and progress: aggregate reads, a constant number of queries.

Mastery of an objective combines mock-exam items and practice answers. Each
answer is weighted by its age — 100 in the last 7 days, 60 up to 30 days, 35 up
to 90 days, 15 after that — and the weighted share correct is smoothed toward
50 % by one virtual right and one virtual wrong answer:

    mastery = (Σ weight × correct + 100) / (Σ weight + 200)

so one lucky answer reads 75 %, not 100 %, and old results fade as new ones
arrive. docs/practice.md explains the choice.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncDate

from exams.models import (
    Attempt,
    AttemptItem,
    Objective,
    ObjectiveResult,
    PracticeAnswer,
    Question,
)

RECENCY = ((7, 100), (30, 60), (90, 35))
OLDEST_WEIGHT = 15
PRIOR = 100  # one virtual right and one virtual wrong answer of full weight


@dataclass(frozen=True)
class Mastery:
    objective_id: int
    percent: int
    answers: int


def _weight(field: str, now: datetime) -> Case:
    whens = [
        When(**{f"{field}__gte": now - timedelta(days=days)}, then=Value(weight))
        for days, weight in RECENCY
    ]
    return Case(*whens, default=Value(OLDEST_WEIGHT), output_field=IntegerField())


def mastery_percent(weighted_correct: int, weighted_total: int) -> int:
    return round(100 * (weighted_correct + PRIOR) / (weighted_total + 2 * PRIOR))


def objective_mastery(user, now: datetime) -> dict[int, Mastery]:
    """Mastery per objective the learner has answered (two queries).

    Mock exams count through their per-objective result rows, written once
    when an attempt is finalized; practice through its answers.
    """
    sums: dict[int, list[int]] = {}
    practice = (
        PracticeAnswer.objects.filter(user=user)
        .values("objective_id")
        .order_by()
        .annotate(
            weight=Sum(_weight("answered_at", now)),
            right=Sum(_weight("answered_at", now), filter=Q(is_correct=True)),
            answers=Count("id"),
        )
    )
    when = "attempt__submitted_at"
    mock = (
        ObjectiveResult.objects.filter(attempt__user=user)
        .values("objective_id")
        .order_by()
        .annotate(
            weight=Sum(_weight(when, now) * F("total")),
            right=Sum(_weight(when, now) * F("correct")),
            answers=Sum("total"),
        )
    )
    for rows in (practice, mock):
        for row in rows:
            total = sums.setdefault(row["objective_id"], [0, 0, 0])
            total[0] += row["right"] or 0
            total[1] += row["weight"] or 0
            total[2] += row["answers"] or 0
    return {
        objective_id: Mastery(objective_id, mastery_percent(right, weight), answers)
        for objective_id, (right, weight, answers) in sums.items()
    }


def weakest_objectives(
    user, now: datetime, *, count: int = 3, mastery: dict[int, Mastery] | None = None
) -> list[Objective]:
    """The objectives to study next: lowest mastery first (unpractised ones read 50 %),
    fewer answers first on ties; only objectives that have published questions."""
    if mastery is None:
        mastery = objective_mastery(user, now)
    objectives = Objective.objects.filter(questions__status=Question.Status.PUBLISHED).distinct()
    ranked = sorted(
        objectives,
        key=lambda o: (
            mastery[o.id].percent if o.id in mastery else 50,
            mastery[o.id].answers if o.id in mastery else 0,
            o.code,
        ),
    )
    return ranked[:count]


def coverage(user) -> tuple[int, int]:
    """(published questions this learner has seen, published questions)."""
    seen = Q(pk__in=PracticeAnswer.objects.filter(user=user).values("question_id")) | Q(
        pk__in=AttemptItem.objects.filter(attempt__user=user).values("question_id")
    )
    totals = Question.objects.published().aggregate(
        total=Count("id"), seen=Count("id", filter=seen)
    )
    return totals["seen"], totals["total"]


def practice_streak(user, now: datetime) -> int:
    """Consecutive days, in the learner's time zone, with a practice answer,
    ending today (or yesterday, so the streak is not lost before today's practice)."""
    tz = zoneinfo.ZoneInfo(getattr(user, "time_zone", "UTC") or "UTC")
    days: list[date] = list(
        PracticeAnswer.objects.filter(user=user, answered_at__gte=now - timedelta(days=400))
        .annotate(day=TruncDate("answered_at", tzinfo=tz))
        .values_list("day", flat=True)
        .distinct()
        .order_by("-day")
    )
    today = now.astimezone(tz).date()
    if not days or days[0] < today - timedelta(days=1):
        return 0
    streak, expected = 0, days[0]
    for day in days:
        if day != expected:
            break
        streak += 1
        expected = day - timedelta(days=1)
    return streak


@dataclass(frozen=True)
class Readiness:
    latest: int
    change: int | None
    passed: bool
    scores: list[int]


def readiness(user) -> Readiness | None:
    """The latest approximate scaled score and its change since the attempt before."""
    scores = list(
        Attempt.objects.filter(
            user=user, status__in=[Attempt.Status.SUBMITTED, Attempt.Status.EXPIRED]
        )
        .order_by("-submitted_at")
        .values_list("scaled_score", "passed")[:5]
    )
    if not scores:
        return None
    latest, passed = scores[0]
    change = latest - scores[1][0] if len(scores) > 1 else None
    return Readiness(latest, change, bool(passed), [s for s, _ in reversed(scores)])


def dashboard(user, now: datetime) -> dict:
    """Everything the learner's home page shows about progress (constant queries)."""
    mastery = objective_mastery(user, now)
    weakest = weakest_objectives(user, now, mastery=mastery)
    tasks: dict[int, dict] = {}
    for objective in (
        Objective.objects.select_related("task_statement")
        .filter(questions__status=Question.Status.PUBLISHED)
        .distinct()
    ):
        entry = tasks.setdefault(
            objective.task_statement_id, {"task": objective.task_statement, "rows": []}
        )
        entry["rows"].append({"objective": objective, "mastery": mastery.get(objective.id)})
    seen, total = coverage(user)
    return {
        "mastery_by_task": sorted(tasks.values(), key=lambda t: t["task"].code),
        "weakest": weakest,
        "seen": seen,
        "total": total,
        "coverage_percent": round(100 * seen / total) if total else 0,
        "streak": practice_streak(user, now),
        "readiness": readiness(user),
    }
