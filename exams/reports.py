"""Learner mastery and progress: aggregate reads, a constant number of queries.

Mastery of an objective combines scored mock-exam items and practice answers,
read from the learner's per-objective rollups (exams/rollups.py): an answer's
weight halves every 30 days, and the weighted share right is smoothed toward
50 % by one virtual right and one virtual wrong answer of full weight,

    mastery = (Σ weight × correct + 1) / (Σ weight + 2)

so one lucky answer reads 67 %, not 100 %, and old results fade as new ones
arrive. The learner's home page, practice and the lead's cohort page all read
it this way (`mastery_share`). docs/practice.md explains the choice.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate, TruncWeek

from exams import blueprints, rollups
from exams.forecast import MIN_ANSWERS, Blueprint, Forecast, forecast, prior
from exams.models import (
    Attempt,
    AttemptItem,
    Exam,
    ExamArea,
    ExamObjective,
    ExamRollup,
    LearnerRollup,
    Objective,
    ObjectiveRollup,
    PracticeAnswer,
    Question,
)
from quizsite.bulk import read_rows


@dataclass(frozen=True)
class Mastery:
    objective_id: int
    percent: int
    answers: int


def objective_mastery(user, now: datetime, rows=None) -> dict[int, Mastery]:
    """Mastery per objective the learner has answered: one indexed read of
    their rollup rows (or `rows`, when the caller has read them already)."""
    if rows is None:
        rows = ObjectiveRollup.objects.filter(user=user)
    scale = rollups.growth(now)
    return {
        row.objective_id: Mastery(
            row.objective_id,
            mastery_share(row.decayed_right / scale, row.decayed_total / scale),
            row.answers,
        )
        for row in rows
        if row.answers
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
    """(published questions this learner has answered, published questions):
    a question drawn into a mock exam but left unanswered does not count."""
    answered_items = AttemptItem.objects.filter(attempt__user=user, answered_at__isnull=False)
    seen = Q(pk__in=PracticeAnswer.objects.filter(user=user).values("question_id")) | Q(
        pk__in=answered_items.values("question_id")
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


def readiness(user, recent: list[Attempt] | None = None) -> Readiness | None:
    """The latest approximate scaled score and its change since the attempt
    before; `recent`: the learner's last five finalized attempts, newest first,
    when the caller has read them."""
    if recent is not None:
        scores = [(a.scaled_score, a.passed) for a in recent[:5]]
    else:
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


def dashboard(
    user,
    now: datetime,
    mastery: dict[int, Mastery] | None = None,
    *,
    cohort=None,
    exams: list[Exam] | None = None,
    recent: list[Attempt] | None = None,
) -> dict:
    """Everything the learner's home page shows about progress (constant queries);
    `cohort`: the one whose lead is looking (its prior and exams for the forecast).
    The home page passes what it has read already: the exams open to the
    learner and their last five finalized attempts, newest first."""
    rows = list(ObjectiveRollup.objects.filter(user=user))
    if mastery is None:
        mastery = objective_mastery(user, now, rows)
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
        "readiness": readiness(user, recent),
        "forecast": learner_forecast(user, now, cohort=cohort, rows=rows, exams=exams),
    }


# --- cohorts ------------------------------------------------------------------

READY_RULE = "the last two attempts at the readiness exam both reached its pass mark"
INACTIVE_DAYS = 14


@dataclass(frozen=True)
class AttemptEvidence:
    """One finalized attempt, as the readiness rule and the page quote it."""

    exam: str
    score: int
    pass_mark: int
    passed: bool
    when: datetime

    def __str__(self) -> str:
        verdict = "pass" if self.passed else "fail"
        return f"{self.exam} {self.score} ({verdict} at {self.pass_mark}) on {self.when:%b %-d}"


@dataclass(eq=False)
class MemberRow:
    """A member as the cohort page lists them: plain values read for every
    member in one query (`cohort_report`), not model instances. What only the
    rows shown need — the readiness evidence quoted, the heatmap's cells and
    the forecast — is read for those rows only (`quote_evidence`, `fill_in`)."""

    user_id: int
    username: str
    first_name: str
    last_name: str
    email: str
    last_active: datetime | None  # last log-in, attempt started or answer given
    attempts: int
    best: int | None
    latest: int | None
    latest_passed: bool | None
    readiness_attempts: int = 0  # how many of READY_RULE's last two there are (0–2)
    ready: bool = False  # READY_RULE, on the cohort's readiness exams
    mastery: int | None = None
    evidence: list[AttemptEvidence] = field(default_factory=list)
    cells: dict = field(default_factory=dict)
    forecast: Forecast | None = None
    filled: bool = False  # cells and forecast read (fill_in)
    quoted: bool = False  # evidence read (quote_evidence)

    @property
    def name(self) -> str:
        # As User.get_full_name(), falling back to the username.
        return f"{self.first_name} {self.last_name}".strip() or self.username

    @cached_property
    def user(self):
        """The member as a User, built from the row (no query)."""
        from accounts.models import User

        return User(
            pk=self.user_id,
            username=self.username,
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
        )

    @property
    def ready_reason(self) -> str:
        """READY_RULE's verdict with the attempts it was judged on (quote_evidence)."""
        if not self.evidence:
            return "no readiness exam yet"
        quoted = "; ".join(str(e) for e in self.evidence)
        if self.ready:
            return f"last two passed: {quoted}"
        if len(self.evidence) == 1:
            return f"one so far: {quoted}"
        return f"last two: {quoted}"


@dataclass
class ObjectiveAverage:
    objective: Objective
    percent: int
    answers: int


@dataclass
class CohortReport:
    members: list[MemberRow]  # every member, by username
    objectives: list[Objective]
    averages: list[ObjectiveAverage]  # weakest first
    trend: list[dict]
    active_7_days: int
    attempts: int
    pass_rate: int | None
    average: int | None
    readiness_exams: list[Exam]
    blueprint: Blueprint | None
    priors: dict[int, tuple[float, float]] = field(default_factory=dict)
    cohort_forecast: Forecast | None = None
    computed_at: datetime | None = None

    @property
    def ready(self) -> list[MemberRow]:
        return [m for m in self.members if m.ready]


def readiness_exams(exams: Iterable[Exam]) -> list[Exam]:
    """The readiness exams among `exams` (those open to a cohort): the ones marked,
    or else the one with the most questions — the full-length simulation."""
    exams = list(exams)
    marked = [e for e in exams if e.is_readiness]
    if marked or not exams:
        return marked
    return [max(exams, key=lambda e: (e.question_count, -e.pk))]


def blueprint_of(exam: Exam | None) -> Blueprint | None:
    """What the forecast predicts on `exam` (one query): each objective's weight,
    a task statement's or domain's spread evenly over its objectives as the
    draw spreads it, and the scored items only (unscored ones count in no score)."""
    if exam is None:
        return None
    own = ExamObjective.objects.filter(exam=exam, objective=OuterRef("pk"))
    task = ExamArea.objects.filter(exam=exam, task_statement=OuterRef("task_statement"))
    domain = ExamArea.objects.filter(exam=exam, domain=OuterRef("task_statement__domain"))
    rows = list(
        Objective.objects.annotate(
            own=Subquery(own.values("weight")[:1]),
            task=Subquery(task.values("weight")[:1]),
            domain=Subquery(domain.values("weight")[:1]),
        )
        .filter(Q(own__isnull=False) | Q(task__isnull=False) | Q(domain__isnull=False))
        .order_by()
        .values_list(
            "pk", "task_statement_id", "task_statement__domain_id", "own", "task", "domain"
        )
    )
    entries: dict[tuple[str, int], tuple[int, list[Objective]]] = {}
    for objective_id, task_id, domain_id, *weights in rows:
        objective = Objective(pk=objective_id)
        for key, weight in zip(
            (("objective", objective_id), ("task", task_id), ("domain", domain_id)),
            weights,
            strict=True,
        ):
            if weight is not None:
                entries.setdefault(key, (weight, []))[1].append(objective)
    weights = blueprints.Blueprint(
        tuple(blueprints.Entry(key, "", w, tuple(o)) for key, (w, o) in entries.items())
    ).objective_weights()
    weights = {objective_id: float(weight) for objective_id, weight in weights.items()}
    return Blueprint(weights, exam.scored_count, exam.pass_mark, exam.title)


def _attempts_for(exam=None, start=None, end=None) -> Q:
    """The attempts the page's exam and date filters count: finalized ones
    (those with a submitted_at), of `exam`, submitted in [start, end)."""
    counted = Q(submitted_at__isnull=False)
    if exam is not None:
        counted &= Q(exam=exam)
    if start is not None:
        counted &= Q(submitted_at__gte=start)
    if end is not None:
        counted &= Q(submitted_at__lt=end)
    return counted


def _moment(value) -> datetime | None:
    """A datetime read straight from the cursor: PostgreSQL gives aware
    datetimes, SQLite text (or naive datetimes) in UTC."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _latest_two(attempts):
    return attempts.annotate(
        rank=Window(RowNumber(), partition_by=F("user_id"), order_by=F("submitted_at").desc())
    ).filter(rank__lte=2)


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _sql(query) -> tuple[str, tuple]:
    """A queryset's SQL and parameters, unordered, for a larger statement or
    for read_rows (thousands of rows read without the ORM's per-value
    converters: only for columns that need none)."""
    return query.order_by().query.sql_with_params()


def _member_query(member_ids, exam, start, end, ready_exam_ids: list[int]) -> tuple[str, list]:
    """One statement for the whole cohort: a row per member — the user's
    fields, when they were last active, their attempt figures, readiness and
    mastery — by username, and a row per objective (user id NULL) with the
    members' pooled rollup sums.

    Each read is a row or a few a member, from the rollups kept at
    finalization and practice checks (exams/rollups.py): the users, their
    LearnerRollup (overall sums), their ExamRollups (count, best, latest; the
    last two at the readiness exams), their attempts in progress (started, for
    last activity) and, pooled per objective, their ObjectiveRollups. Only the
    date filters read the attempts themselves: a window over the dated ones.
    Each read is summed and stacked (UNION ALL), then folded into one row per
    member or objective by a last GROUP BY; `moment` is each read's latest
    log-in, answer, attempt started or finished, so the fold's MAX is the last
    activity. Stacked rather than joined: a join of aggregated subqueries is
    planned from row estimates, and a cohort just filled (estimated at one
    member) got nested loops that read every member's rows once per member.
    """
    from accounts.models import User

    users = User.objects.filter(pk__in=member_ids).values_list(
        "id", "username", "first_name", "last_name", "email", "last_login"
    )
    totals = LearnerRollup.objects.filter(user__in=member_ids).values_list(
        "user_id", "last_at", "decayed_right", "decayed_total"
    )
    started = Attempt.objects.filter(
        user__in=member_ids, status=Attempt.Status.IN_PROGRESS
    ).values_list("user_id", "started_at")
    dated = start is not None or end is not None
    counted = Value(1) if exam is None else _flag(Q(exam_id=exam.pk))
    records = (
        ExamRollup.objects.filter(user__in=member_ids)
        .annotate(counted=counted, passes=_flag(Q(latest_passed=True)))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("user_id")] if exam is None else [F("user_id"), F("counted")],
                order_by=F("latest_at").desc(),
            )
        )
        .values_list(
            "user_id", "latest_at", "attempts", "best", "latest_score", "passes", "counted", "rank"
        )
    )
    parts = [_sql(users), _sql(totals), _sql(started), _sql(records)]
    figures = (
        "NULL, NULL, NULL, NULL"
        if dated
        else (
            "SUM(attempts) FILTER (WHERE counted = 1), MAX(best) FILTER (WHERE counted = 1), "
            "MAX(latest_score) FILTER (WHERE counted = 1 AND rank = 1), "
            "MAX(passes) FILTER (WHERE counted = 1 AND rank = 1)"
        )
    )
    reads = [
        f"""SELECT id AS user_id, CAST(NULL AS INTEGER) AS objective_id, username,
                   first_name, last_name, email, last_login AS moment,
                   CAST(NULL AS BIGINT) AS attempts, CAST(NULL AS BIGINT) AS best,
                   CAST(NULL AS BIGINT) AS latest, CAST(NULL AS BIGINT) AS latest_passed,
                   CAST(NULL AS BIGINT) AS readiness_attempts,
                   CAST(NULL AS BIGINT) AS readiness_passes,
                   CAST(NULL AS FLOAT) AS right_sum, CAST(NULL AS FLOAT) AS total_sum,
                   CAST(NULL AS INTEGER) AS answer_count
            FROM ({parts[0][0]}) users""",
        f"""SELECT user_id, NULL, NULL, NULL, NULL, NULL, last_at,
                   NULL, NULL, NULL, NULL, NULL, NULL, decayed_right, decayed_total, NULL
            FROM ({parts[1][0]}) totals""",
        f"""SELECT user_id, NULL, NULL, NULL, NULL, NULL, MAX(started_at),
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
            FROM ({parts[2][0]}) started GROUP BY user_id""",
        f"""SELECT user_id, NULL, NULL, NULL, NULL, NULL, MAX(latest_at), {figures},
                   NULL, NULL, NULL, NULL, NULL
            FROM ({parts[3][0]}) records GROUP BY user_id""",
    ]
    if ready_exam_ids:
        # READY_RULE: the last two finalized attempts at the readiness exams,
        # from each exam's latest and the one before it.
        ready = ExamRollup.objects.filter(user__in=member_ids, exam_id__in=ready_exam_ids)
        latest = ready.annotate(at=F("latest_at"), passes=_flag(Q(latest_passed=True)))
        previous = ready.filter(previous_at__isnull=False).annotate(
            at=F("previous_at"), passes=_flag(Q(previous_passed=True))
        )
        parts += [
            _sql(latest.values_list("user_id", "at", "passes")),
            _sql(previous.values_list("user_id", "at", "passes")),
        ]
        reads.append(
            f"""SELECT user_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                       COUNT(*), SUM(passes), NULL, NULL, NULL
                FROM (
                    SELECT user_id, passes,
                           ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY at DESC) AS rank
                    FROM ({parts[-2][0]} UNION ALL {parts[-1][0]}) entries
                ) ranked
                WHERE rank <= 2
                GROUP BY user_id"""
        )
    if dated:
        # The date filters count the attempts submitted between them: the
        # latest of those ranked first per member (the (user, -submitted_at) index).
        window = (
            Attempt.objects.filter(_attempts_for(exam, start, end), user__in=member_ids)
            .annotate(
                passes=_flag(Q(passed=True)),
                rank=Window(
                    RowNumber(), partition_by=F("user_id"), order_by=F("submitted_at").desc()
                ),
            )
            .values_list("user_id", "scaled_score", "passes", "rank")
        )
        parts.append(_sql(window))
        reads.append(
            f"""SELECT user_id, NULL, NULL, NULL, NULL, NULL, NULL, COUNT(*),
                       MAX(scaled_score), MAX(scaled_score) FILTER (WHERE rank = 1),
                       MAX(passes) FILTER (WHERE rank = 1), NULL, NULL, NULL, NULL, NULL
                FROM ({parts[-1][0]}) dated GROUP BY user_id"""
        )
    objectives = (
        ObjectiveRollup.objects.filter(user__in=member_ids)
        .values("objective_id")
        .annotate(
            pooled_right=Sum("decayed_right"),
            pooled_total=Sum("decayed_total"),
            pooled_answers=Sum("answers"),
        )
        .values_list("objective_id", "pooled_right", "pooled_total", "pooled_answers")
    )
    parts.append(_sql(objectives))
    reads.append(
        f"""SELECT NULL, objective_id, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, NULL, pooled_right, pooled_total, pooled_answers
            FROM ({parts[-1][0]}) objectives"""
    )
    # The first read types every column (PostgreSQL types a UNION's columns
    # pairwise, left to right, and an untyped NULL would be text).
    stacked = "\n UNION ALL \n".join(reads)
    sql = f"""
        SELECT user_id, objective_id, MAX(username), MAX(first_name), MAX(last_name),
               MAX(email), MAX(moment), MAX(attempts), MAX(best), MAX(latest),
               MAX(latest_passed), MAX(readiness_attempts), MAX(readiness_passes),
               MAX(right_sum), MAX(total_sum), MAX(answer_count)
        FROM ({stacked}) reads
        GROUP BY user_id, objective_id
        ORDER BY MAX(username)
    """
    return sql, [p for _, params in parts for p in params]


def cohort_report(
    cohort,
    *,
    now: datetime,
    exams: Iterable[Exam],
    exam=None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> CohortReport:
    """Everything the cohort page shows about all its members, in a constant
    number of queries whose size grows with members, not with answers.

    `exams` are the exams open to the cohort. The exam and date filters narrow
    attempts, scores and the trend; readiness, mastery and the forecast are
    about now, from every answer (mastery and forecast from the rollups). Each
    member is a row of plain values (one query with the objectives'
    sums); `quote_evidence` and
    `fill_in` add what only the rows shown need.
    """
    member_ids = _member_ids(cohort)
    ready_exams = readiness_exams(exams)
    counted = _attempts_for(exam, start, end)
    scale = rollups.growth(now)
    fetched = read_rows(*_member_query(member_ids, exam, start, end, [e.pk for e in ready_exams]))
    members = []
    # The mastery per objective, pooled over the members, aged to `now` (every
    # stored sum shares one scale): the objective averages and the forecast's priors.
    by_objective = {}
    for (
        user_id,
        objective_id,
        username,
        first_name,
        last_name,
        email,
        last_active,
        attempts,
        best,
        latest,
        latest_passed,
        readiness_attempts,
        readiness_passes,
        right,
        total,
        answers,
    ) in fetched:
        if objective_id is not None:
            by_objective[objective_id] = (right / scale, total / scale, answers)
            continue
        members.append(
            MemberRow(
                user_id,
                username,
                first_name,
                last_name,
                email,
                _moment(last_active),
                attempts or 0,
                best,
                latest,
                None if latest_passed is None else bool(latest_passed),
                readiness_attempts or 0,
                readiness_attempts == 2 and readiness_passes == 2,
                None if right is None else mastery_share(right / scale, total / scale),
            )
        )

    priors = {o: prior(right, total) for o, (right, total, _) in by_objective.items()}
    blueprint = blueprint_of(ready_exams[0]) if ready_exams else None
    answering = sum(1 for m in members if m.mastery is not None)
    typical = None
    if blueprint is not None and answering:
        # The cohort's forecast: a typical member, with the cohort's answers
        # shared out evenly between the members who gave any.
        typical = forecast(
            {
                o: rollups.Evidence(right / answering, total / answering, answers // answering, 0)
                for o, (right, total, answers) in by_objective.items()
            },
            blueprint,
            priors,
        )

    objectives = list(
        Objective.objects.filter(questions__status=Question.Status.PUBLISHED)
        .distinct()
        .order_by("task_statement__code", "position", "code")
    )
    averages = sorted(
        (
            ObjectiveAverage(o, mastery_share(*by_objective[o.id][:2]), by_objective[o.id][2])
            for o in objectives
            if o.id in by_objective
        ),
        key=lambda a: (a.percent, a.objective.code),
    )

    trend = _weekly_trend(Attempt.objects.filter(counted, user__in=member_ids))
    with_attempts = [m for m in members if m.latest is not None]
    total_attempts = sum(w["attempts"] for w in trend)
    week_ago = now - timedelta(days=7)
    return CohortReport(
        computed_at=now,
        members=members,
        objectives=objectives,
        averages=averages,
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
        readiness_exams=ready_exams,
        blueprint=blueprint,
        priors=priors,
        cohort_forecast=typical,
    )


def _weekly_trend(attempts) -> list[dict]:
    """The attempts' average scaled score and count per week (Monday, UTC).

    Grouped over a materialized CTE on PostgreSQL: grouped directly, the
    planner takes the number of weeks to be the number of distinct submission
    times (one per attempt) and sorts every attempt; over the CTE it assumes
    few groups and hashes them, about a third faster for a large cohort.
    """
    dated = attempts.annotate(week=TruncWeek("submitted_at")).values_list("week", "scaled_score")
    sql, params = _sql(dated)
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    weeks = read_rows(
        f"WITH dated AS {materialized} ({sql}) "
        "SELECT week, AVG(scaled_score), COUNT(*) FROM dated GROUP BY week ORDER BY week",
        params,
    )
    return [
        {"week": _moment(week), "average": round(average), "attempts": n}
        for week, average, n in weeks
    ]


def quote_evidence(report: CohortReport, members: Iterable[MemberRow]) -> None:
    """The attempts READY_RULE judged `members` on (one query): the last two at
    the readiness exams, newest first, for the rows the page shows."""
    by_id = {m.user_id: m for m in members if not m.quoted}
    if not by_id:
        return
    titles = {e.pk: e.title for e in report.readiness_exams}
    attempts = _latest_two(
        Attempt.objects.filter(
            submitted_at__isnull=False, user_id__in=list(by_id), exam__in=list(titles)
        )
    ).order_by("user_id", "rank")
    for member in by_id.values():
        member.quoted, member.evidence = True, []
    for user_id, exam_id, score, pass_mark, passed, when in attempts.values_list(
        "user_id", "exam_id", "scaled_score", "pass_mark", "passed", "submitted_at"
    ):
        by_id[user_id].evidence.append(
            AttemptEvidence(titles[exam_id], score, pass_mark, bool(passed), when)
        )


def fill_in(report: CohortReport, members: Iterable[MemberRow], now: datetime) -> None:
    """The heatmap's cells and the forecasts of `members` (one query): the page's
    rows, or every member for a forecast sort or a CSV."""
    scale = rollups.growth(now)
    by_id = {m.user_id: m for m in members if not m.filled}
    if not by_id:
        return
    evidence: dict[int, dict[int, rollups.Evidence]] = {}
    query = ObjectiveRollup.objects.filter(user_id__in=list(by_id)).values_list(
        "user_id", "objective_id", "decayed_right", "decayed_total", "answers", "correct"
    )
    for user_id, objective_id, right, total, answers, correct in read_rows(*_sql(query)):
        seen = rollups.Evidence(right / scale, total / scale, answers, correct)
        evidence.setdefault(user_id, {})[objective_id] = seen
        by_id[user_id].cells[objective_id] = mastery_share(seen.right, seen.total)
    for user_id, member in by_id.items():
        member.filled = True
        if report.blueprint is not None and user_id in evidence:
            member.forecast = forecast(evidence[user_id], report.blueprint, report.priors)


def mastery_share(right: float, total: float) -> int:
    """Mastery from decayed sums: (right + 1) / (total + 2), one virtual right
    and one virtual wrong answer of full weight, as a percentage."""
    return round(100 * (right + 1.0) / (total + 2.0))


def _member_ids(cohort):
    from accounts.models import Membership

    return Membership.objects.filter(cohort=cohort, role=Membership.Role.LEARNER).values("user_id")


PRIOR_SECONDS = 300


def cohort_priors(cohort, now: datetime) -> dict[int, tuple[float, float]]:
    """The forecast's prior per objective: the cohort's pooled, recency-weighted
    share right (one aggregate over its rollups). Kept for PRIOR_SECONDS: a
    prior moves slowly and holds nothing about who may see what."""
    key = f"cohort-prior:{cohort.pk}:{int(now.timestamp()) // PRIOR_SECONDS}"
    priors = cache.get(key)
    if priors is None:
        scale = rollups.growth(now)
        sums = (
            ObjectiveRollup.objects.filter(user__in=_member_ids(cohort))
            .values("objective_id")
            .order_by()
            .annotate(right=Sum("decayed_right"), total=Sum("decayed_total"))
            .values_list("objective_id", "right", "total")
        )
        priors = {o: prior(right / scale, total / scale) for o, right, total in sums}
        cache.set(key, priors, PRIOR_SECONDS)
    return priors


def learner_forecast(user, now: datetime, *, cohort=None, rows=None, exams=None) -> dict:
    """The learner's forecast on their readiness exam: {"exam", "blueprint",
    "forecast" (None: not enough data), "min_answers"}. `cohort` gives the prior
    (by default the learner's first cohort; none: a neutral prior); `rows`, the
    learner's rollup rows, and `exams`, the exams open to them, when the caller
    has read them."""
    from accounts.models import Cohort, Membership

    if cohort is None:
        cohort = Cohort.objects.filter(
            memberships__user=user, memberships__role=Membership.Role.LEARNER
        ).first()
        if exams is None:
            exams = Exam.objects.visible_to(user)
    else:
        exams = Exam.objects.open_to_cohort(cohort)
    ready = readiness_exams(exams)
    exam = ready[0] if ready else None
    blueprint = blueprint_of(exam)
    result = {"exam": exam, "forecast": None, "min_answers": MIN_ANSWERS, "blueprint": blueprint}
    if blueprint is None:
        return result
    priors = cohort_priors(cohort, now) if cohort is not None else {}
    if rows is None:
        rows = ObjectiveRollup.objects.filter(user=user)
    seen = {row.objective_id: rollups.evidence(row, now) for row in rows}
    result["forecast"] = forecast(seen, blueprint, priors)
    return result


@dataclass(frozen=True)
class MissedQuestion:
    question: Question
    answers: int
    missed: int

    @property
    def percent(self) -> int:
        return round(100 * self.missed / self.answers)


def missed_questions(cohort, objective, *, count: int = 10) -> list[MissedQuestion]:
    """The objective's questions the cohort's members miss most: scored items of
    finalized attempts and practice answers, the largest share wrong first."""
    member_ids = _member_ids(cohort)
    tallies: dict[int, list[int]] = {}
    reads = [
        AttemptItem.objects.filter(
            attempt__user__in=member_ids,
            attempt__submitted_at__isnull=False,
            objective=objective,
            scored=True,
        ),
        PracticeAnswer.objects.filter(user__in=member_ids, objective=objective),
    ]
    for query in reads:
        for question_id, n, wrong in (
            query.values("question_id")
            .order_by()
            .annotate(n=Count("id"), wrong=Count("id", filter=Q(is_correct=False)))
            .values_list("question_id", "n", "wrong")
        ):
            acc = tallies.setdefault(question_id, [0, 0])
            acc[0] += n
            acc[1] += wrong
    questions = Question.objects.in_bulk(list(tallies))
    ranked = sorted(
        (MissedQuestion(questions[q], n, wrong) for q, (n, wrong) in tallies.items() if n),
        key=lambda m: (-m.missed / m.answers, -m.answers, m.question.external_id),
    )
    return ranked[:count]
