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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncWeek

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


def _practisable_objectives():
    """Objectives that have published questions."""
    return Objective.objects.filter(questions__status=Question.Status.PUBLISHED).distinct()


def weakest_objectives(
    user,
    now: datetime,
    *,
    count: int = 3,
    mastery: dict[int, Mastery] | None = None,
    objectives: list[Objective] | None = None,
) -> list[Objective]:
    """The objectives to study next: lowest mastery first (unpractised ones read 50 %),
    fewer answers first on ties; only objectives that have published questions
    (`objectives`, when the caller has read them already)."""
    if mastery is None:
        mastery = objective_mastery(user, now)
    if objectives is None:
        objectives = list(_practisable_objectives())
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
        Attempt.objects.finalized()
        .filter(user=user)
        .order_by("-submitted_at")
        .values_list("scaled_score", "passed")[:5]
    )
    if not scores:
        return None
    latest, passed = scores[0]
    change = latest - scores[1][0] if len(scores) > 1 else None
    return Readiness(latest, change, bool(passed), [s for s, _ in reversed(scores)])


def dashboard(user, now: datetime, mastery: dict[int, Mastery] | None = None) -> dict:
    """Everything the learner's home page shows about progress (constant queries)."""
    if mastery is None:
        mastery = objective_mastery(user, now)
    objectives = list(_practisable_objectives().select_related("task_statement"))
    weakest = weakest_objectives(user, now, mastery=mastery, objectives=objectives)
    tasks: dict[int, dict] = {}
    for objective in objectives:
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


# --- cohorts ------------------------------------------------------------------


@dataclass
class MemberRow:
    user: object
    last_active: datetime | None
    attempts: int
    best: int | None
    latest: int | None
    latest_passed: bool | None
    previous: int | None
    previous_passed: bool | None
    mastery: int | None = None
    cells: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def ready(self) -> bool:
        """Ready to book: the last two mock exams both reached the pass mark."""
        return bool(self.latest_passed and self.previous_passed)

    @property
    def ready_reason(self) -> str:
        if self.ready:
            return f"last two mock exams passed: {self.latest} and {self.previous}"
        if self.latest is None:
            return "no mock exam yet"
        if self.previous is None:
            return f"one mock exam so far ({self.latest}); needs two passes in a row"
        return f"last two mock exams: {self.latest} and {self.previous}"


@dataclass
class CohortReport:
    members: list[MemberRow]
    objectives: list[Objective]
    weakest: list[tuple[Objective, int]]
    trend: list[dict]
    active_7_days: int
    attempts: int
    pass_rate: int | None
    average: int | None
    computed_at: datetime | None = None


def _attempts_for(user_ref=None, exam=None, start=None, end=None):
    # Finalized attempts are those with a submitted_at; filtering on it (not on
    # status) lets the (user, submitted_at) index answer the per-member reads.
    attempts = Attempt.objects.filter(submitted_at__isnull=False)
    if user_ref is not None:
        attempts = attempts.filter(user=user_ref)
    if exam is not None:
        attempts = attempts.filter(exam=exam)
    if start is not None:
        attempts = attempts.filter(submitted_at__gte=start)
    if end is not None:
        attempts = attempts.filter(submitted_at__lt=end)
    return attempts


def cohort_report(
    cohort, *, now: datetime, exam=None, start: datetime | None = None, end: datetime | None = None
) -> CohortReport:
    """Everything the cohort page shows, in a constant number of queries."""
    from accounts.models import Membership, User

    member_ids = Membership.objects.filter(cohort=cohort, role=Membership.Role.LEARNER).values(
        "user_id"
    )
    mine = _attempts_for(OuterRef("pk"), exam, start, end)
    latest = mine.order_by("-submitted_at")
    count = mine.values("user").annotate(n=Count("id")).values("n")
    best = mine.values("user").annotate(m=Max("scaled_score")).values("m")
    last_attempt = Attempt.objects.filter(user=OuterRef("pk")).order_by("-started_at")
    last_practice = PracticeAnswer.objects.filter(user=OuterRef("pk")).order_by("-answered_at")
    users = (
        User.objects.filter(pk__in=member_ids)
        .only("id", "username", "first_name", "last_name", "last_login")
        .annotate(
            n_attempts=Subquery(count),
            best_score=Subquery(best),
            latest_score=Subquery(latest.values("scaled_score")[:1]),
            latest_passed=Subquery(latest.values("passed")[:1]),
            previous_score=Subquery(latest.values("scaled_score")[1:2]),
            previous_passed=Subquery(latest.values("passed")[1:2]),
            last_attempt=Subquery(last_attempt.values("started_at")[:1]),
            last_practice=Subquery(last_practice.values("answered_at")[:1]),
        )
        .order_by("username")
    )
    rows = {}
    for user in users:
        moments = [m for m in (user.last_attempt, user.last_practice, user.last_login) if m]
        rows[user.pk] = MemberRow(
            user=user,
            last_active=max(moments) if moments else None,
            attempts=user.n_attempts or 0,
            best=user.best_score,
            latest=user.latest_score,
            latest_passed=user.latest_passed,
            previous=user.previous_score,
            previous_passed=user.previous_passed,
        )

    # Mastery per member and objective: the learner formula, grouped by member.
    results = ObjectiveResult.objects.filter(attempt__user__in=member_ids)
    answers = PracticeAnswer.objects.filter(user__in=member_ids)
    if exam is not None:
        results = results.filter(attempt__exam=exam)
    if start is not None:
        results = results.filter(attempt__submitted_at__gte=start)
        answers = answers.filter(answered_at__gte=start)
    if end is not None:
        results = results.filter(attempt__submitted_at__lt=end)
        answers = answers.filter(answered_at__lt=end)
    when = "attempt__submitted_at"
    sums: dict[tuple[int, int], list[int]] = {}
    grouped = [
        results.values("attempt__user_id", "objective_id")
        .order_by()
        .annotate(
            weight=Sum(_weight(when, now) * F("total")),
            right=Sum(_weight(when, now) * F("correct")),
        )
        .values_list("attempt__user_id", "objective_id", "weight", "right"),
        answers.values("user_id", "objective_id")
        .order_by()
        .annotate(
            weight=Sum(_weight("answered_at", now)),
            right=Sum(_weight("answered_at", now), filter=Q(is_correct=True)),
        )
        .values_list("user_id", "objective_id", "weight", "right"),
    ]
    for query in grouped:
        # Tens of thousands of rows: read them straight from the cursor, without
        # the ORM's per-value converters (about a third of the page's time).
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows_read = cursor.fetchall()
        for user_id, objective_id, weight, right in rows_read:
            total = sums.setdefault((user_id, objective_id), [0, 0])
            total[0] += right or 0
            total[1] += weight or 0
    by_objective: dict[int, list[int]] = {}
    by_member: dict[int, list[int]] = {}
    for (user_id, objective_id), (right, weight) in sums.items():
        if user_id in rows:
            rows[user_id].cells[objective_id] = mastery_percent(right, weight)
        for key, bucket in ((objective_id, by_objective), (user_id, by_member)):
            acc = bucket.setdefault(key, [0, 0])
            acc[0] += right
            acc[1] += weight
    for user_id, (right, weight) in by_member.items():
        if user_id in rows:
            rows[user_id].mastery = mastery_percent(right, weight)

    objectives = list(
        Objective.objects.filter(questions__status=Question.Status.PUBLISHED)
        .distinct()
        .order_by("task_statement__code", "position", "code")
    )
    cohort_mastery = [
        (o, mastery_percent(*by_objective[o.id])) for o in objectives if o.id in by_objective
    ]
    weakest = sorted(cohort_mastery, key=lambda pair: (pair[1], pair[0].code))[:3]

    weekly = (
        _attempts_for(exam=exam, start=start, end=end)
        .filter(user__in=member_ids)
        .annotate(week=TruncWeek("submitted_at"))
        .values("week")
        .order_by("week")
        .annotate(average=Avg("scaled_score"), n=Count("id"))
    )
    trend = [
        {"week": w["week"], "average": round(w["average"]), "attempts": w["n"]} for w in weekly
    ]
    members = list(rows.values())
    with_attempts = [m for m in members if m.latest is not None]
    total_attempts = sum(w["attempts"] for w in trend)
    week_ago = now - timedelta(days=7)
    return CohortReport(
        computed_at=now,
        members=members,
        objectives=objectives,
        weakest=weakest,
        trend=trend,
        active_7_days=sum(1 for m in members if m.last_active and m.last_active >= week_ago),
        attempts=total_attempts,
        pass_rate=(
            round(100 * sum(1 for m in with_attempts if m.latest_passed) / len(with_attempts))
            if with_attempts
            else None
        ),
        average=(
            round(sum(w["average"] * w["attempts"] for w in trend) / total_attempts)
            if total_attempts
            else None
        ),
    )
