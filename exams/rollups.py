"""Per-(learner, objective) rollups: what reports read instead of every answer.

A rollup row sums a learner's scored mock-exam items and practice answers for
one objective. Recent answers count more: an answer's weight halves every
HALF_LIFE (30 days). The decayed sums are stored as of a fixed EPOCH, that is
each answer given at time t adds 2^((t − EPOCH) / HALF_LIFE), so that

- adding an answer is a plain addition (one upsert, in the same transaction
  as the attempt's finalization or the practice check that gave it), and
- reading at `now` divides by 2^((now − EPOCH) / HALF_LIFE): the weights age
  exactly, at read time, with no job to run.

The stored numbers grow by 2^12 a year; a double holds them until about the
year 2100, long before which EPOCH can move forward in one migration that
divides every stored sum.

Two more rows are kept in the same transactions, so that a report about many
learners reads one row a learner, not one per answer or attempt:

- a LearnerRollup per learner: their ObjectiveRollup rows summed over every
  objective (written by the same `record` call), and
- an ExamRollup per (learner, exam): their finalized attempts at it — how many,
  the best score, the latest and the one before (`record_attempt`, at
  finalization).

`rebuild_rollups` recomputes every row from the answers themselves and reports
any drift.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from exams.grading import ObjectiveTally

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
HALF_LIFE = timedelta(days=30)
# Stored sums are compared with a relative tolerance: additions in another
# order round differently in the last bits.
TOLERANCE = 1e-9


def growth(at: datetime) -> float:
    """The stored weight of one answer given at `at`."""
    return 2.0 ** ((at - EPOCH) / HALF_LIFE)


def aged(stored: float, now: datetime) -> float:
    """A stored decayed sum read at `now`: each answer weighs 2^(−age / HALF_LIFE)."""
    return stored / growth(now)


@dataclass(frozen=True)
class Evidence:
    """One learner's answers to one objective, read at a moment: decayed sums and counts."""

    right: float
    total: float
    answers: int
    correct: int


def evidence(row, now: datetime) -> Evidence:
    """An ObjectiveRollup (or anything with its fields) read at `now`."""
    scale = growth(now)
    return Evidence(row.decayed_right / scale, row.decayed_total / scale, row.answers, row.correct)


def _table(model: str = "ObjectiveRollup") -> str:
    from django.apps import apps

    return connection.ops.quote_name(apps.get_model("exams", model)._meta.db_table)


def record(*, user_id: int, tallies: Iterable[ObjectiveTally], at: datetime) -> None:
    """Add answers given at `at` to the learner's rollups: one statement.

    Called inside the transaction that stores the answers (attempt finalization,
    practice check), so a rollup never holds an answer that was rolled back.
    The upsert adds to what is there, so two transactions adding to the same
    row at once both count.
    """
    tallies = [t for t in tallies if t.total]
    if not tallies:
        return
    weight = growth(at)
    when = connection.ops.adapt_datetimefield_value(at)
    later = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    table = _table()
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(tallies))
    params: list = []
    for t in tallies:
        params += [user_id, t.objective_id, weight * t.correct, weight * t.total]
        params += [t.total, t.correct, when]
    sums = _added(table, later, "(user_id, objective_id)")
    right = sum(t.correct for t in tallies)
    total = sum(t.total for t in tallies)
    learners = _table("LearnerRollup")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, objective_id, decayed_right, decayed_total, "
            f"answers, correct, last_at) VALUES {values} {sums}",
            params,
        )
        # The learner's total: the same answers, summed over the objectives.
        cursor.execute(
            f"INSERT INTO {learners} (user_id, decayed_right, decayed_total, answers, "
            f"correct, last_at) VALUES (%s, %s, %s, %s, %s, %s) "
            f"{_added(learners, later, '(user_id)')}",
            [user_id, weight * right, weight * total, total, right, when],
        )


def _added(table: str, later: str, key: str) -> str:
    """The upsert clause that adds a row's sums to the stored ones: two
    transactions adding to the same row at once both count."""
    return (
        f"ON CONFLICT {key} DO UPDATE SET "
        f"decayed_right = {table}.decayed_right + excluded.decayed_right, "
        f"decayed_total = {table}.decayed_total + excluded.decayed_total, "
        f"answers = {table}.answers + excluded.answers, "
        f"correct = {table}.correct + excluded.correct, "
        f"last_at = {later}({table}.last_at, excluded.last_at)"
    )


def record_attempt(*, user_id: int, exam_id: int, score: int, passed: bool, at: datetime) -> None:
    """Add a finalized attempt (its scaled score, pass, submission time) to the
    learner's ExamRollup for its exam: one statement, in the finalization's
    transaction.

    The attempt becomes the latest unless a later one is already stored (an
    expired attempt ends at its deadline, whenever it is noticed), and the one
    before it otherwise; the SET expressions all read the stored row as it was.
    """
    table = _table("ExamRollup")
    later = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    when = connection.ops.adapt_datetimefield_value(at)
    newest = f"excluded.latest_at >= {table}.latest_at"
    second = f"({table}.previous_at IS NULL OR excluded.latest_at > {table}.previous_at)"

    def pick(field: str, previous: str) -> str:
        return (
            f"CASE WHEN {newest} THEN {table}.{field} WHEN {second} THEN excluded.{field} "
            f"ELSE {table}.{previous} END"
        )

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, exam_id, attempts, best, latest_score, "
            "latest_passed, latest_at, previous_passed, previous_at) "
            "VALUES (%s, %s, 1, %s, %s, %s, %s, NULL, NULL) "
            "ON CONFLICT (user_id, exam_id) DO UPDATE SET "
            f"attempts = {table}.attempts + 1, "
            f"best = {later}({table}.best, excluded.best), "
            f"latest_score = CASE WHEN {newest} THEN excluded.latest_score "
            f"ELSE {table}.latest_score END, "
            f"latest_passed = CASE WHEN {newest} THEN excluded.latest_passed "
            f"ELSE {table}.latest_passed END, "
            f"latest_at = {later}({table}.latest_at, excluded.latest_at), "
            f"previous_passed = {pick('latest_passed', 'previous_passed')}, "
            f"previous_at = {pick('latest_at', 'previous_at')}",
            [user_id, exam_id, score, score, passed, when],
        )


# --- recomputing from scratch -------------------------------------------------


@dataclass
class Sums:
    decayed_right: float = 0.0
    decayed_total: float = 0.0
    answers: int = 0
    correct: int = 0
    last_at: datetime | None = None

    def add(self, correct: int, total: int, at: datetime) -> None:
        weight = growth(at)
        self.decayed_right += weight * correct
        self.decayed_total += weight * total
        self.answers += total
        self.correct += correct
        self.last_at = at if self.last_at is None else max(self.last_at, at)


def from_scratch(objective_results, practice_answers, user_ids=None) -> dict[tuple[int, int], Sums]:
    """Every (learner, objective)'s sums recomputed from the answers: the
    objective results of finalized attempts (scored items only) and practice
    answers. Takes the two models, so the backfill migration can pass its own."""
    results = objective_results.objects.filter(attempt__submitted_at__isnull=False)
    answers = practice_answers.objects.all()
    if user_ids is not None:
        results = results.filter(attempt__user_id__in=user_ids)
        answers = answers.filter(user_id__in=user_ids)
    sums: dict[tuple[int, int], Sums] = {}
    for user_id, objective_id, correct, total, at in results.values_list(
        "attempt__user_id", "objective_id", "correct", "total", "attempt__submitted_at"
    ).iterator(chunk_size=5000):
        sums.setdefault((user_id, objective_id), Sums()).add(correct, total, at)
    for user_id, objective_id, is_correct, at in answers.values_list(
        "user_id", "objective_id", "is_correct", "answered_at"
    ).iterator(chunk_size=5000):
        sums.setdefault((user_id, objective_id), Sums()).add(int(is_correct), 1, at)
    return {key: s for key, s in sums.items() if s.answers}


def learner_sums(sums: dict[tuple[int, int], Sums]) -> dict[int, Sums]:
    """Each learner's objective sums added up: what their LearnerRollup holds."""
    totals: dict[int, Sums] = {}
    for (user_id, _), s in sums.items():
        total = totals.setdefault(user_id, Sums())
        total.decayed_right += s.decayed_right
        total.decayed_total += s.decayed_total
        total.answers += s.answers
        total.correct += s.correct
        total.last_at = s.last_at if total.last_at is None else max(total.last_at, s.last_at)
    return totals


@dataclass
class ExamSums:
    """A learner's finalized attempts at one exam, as an ExamRollup holds them."""

    attempts: int = 0
    best: int = 0
    latest_score: int = 0
    latest_passed: bool = False
    latest_at: datetime | None = None
    previous_passed: bool | None = None
    previous_at: datetime | None = None

    def add(self, score: int, passed: bool, at: datetime) -> None:
        """An attempt submitted at `at`, added in order of submission."""
        self.attempts += 1
        self.best = max(self.best, score)
        self.previous_passed, self.previous_at = (
            (self.latest_passed, self.latest_at) if self.latest_at is not None else (None, None)
        )
        self.latest_score, self.latest_passed, self.latest_at = score, passed, at


def exams_from_scratch(attempts, user_ids=None) -> dict[tuple[int, int], ExamSums]:
    """Every (learner, exam)'s ExamSums recomputed from the finalized attempts
    (takes the model, so the backfill migration can pass its own)."""
    finalized = attempts.objects.filter(submitted_at__isnull=False)
    if user_ids is not None:
        finalized = finalized.filter(user_id__in=user_ids)
    sums: dict[tuple[int, int], ExamSums] = {}
    for user_id, exam_id, score, passed, at in (
        finalized.order_by("submitted_at", "pk")
        .values_list("user_id", "exam_id", "scaled_score", "passed", "submitted_at")
        .iterator(chunk_size=5000)
    ):
        sums.setdefault((user_id, exam_id), ExamSums()).add(score, bool(passed), at)
    return sums


def _replace(model, rows, user_ids) -> None:
    stored = model.objects.all()
    if user_ids is not None:
        stored = stored.filter(user_id__in=user_ids)
    stored.delete()
    model.objects.bulk_create(rows, batch_size=2000)


def write_all(rollup_model, sums: dict[tuple[int, int], Sums], user_ids=None) -> None:
    """Replace the ObjectiveRollup rows (of `user_ids`, or all) with `sums`."""
    rows = (
        rollup_model(user_id=user_id, objective_id=objective_id, **asdict(s))
        for (user_id, objective_id), s in sums.items()
    )
    _replace(rollup_model, rows, user_ids)


def write_learners(learner_model, totals: dict[int, Sums], user_ids=None) -> None:
    """Replace the LearnerRollup rows (of `user_ids`, or all) with `totals`."""
    rows = (learner_model(user_id=user_id, **asdict(s)) for user_id, s in totals.items())
    _replace(learner_model, rows, user_ids)


def write_exams(exam_model, sums: dict[tuple[int, int], ExamSums], user_ids=None) -> None:
    """Replace the ExamRollup rows (of `user_ids`, or all) with `sums`."""
    rows = (
        exam_model(user_id=user_id, exam_id=exam_id, **asdict(s))
        for (user_id, exam_id), s in sums.items()
    )
    _replace(exam_model, rows, user_ids)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-12)


@dataclass(frozen=True)
class Drift:
    """Rollup rows that differ from a recomputation: (user id, which row, what),
    the row named "objective N", "all objectives" or "exam N"."""

    rows: list[tuple[int, str, str]]
    checked: int

    def __bool__(self) -> bool:
        return bool(self.rows)


def _sums_drift(row, want: Sums) -> str | None:
    if (row.answers, row.correct) != (want.answers, want.correct):
        return f"counts {row.correct}/{row.answers}, answers say {want.correct}/{want.answers}"
    if not (
        _close(row.decayed_right, want.decayed_right)
        and _close(row.decayed_total, want.decayed_total)
    ):
        return "decayed sums differ"
    if row.last_at != want.last_at:
        return f"last answer {row.last_at}, answers say {want.last_at}"
    return None


def _exam_drift(row, want: ExamSums) -> str | None:
    fields = ExamSums.__dataclass_fields__
    stored = {name: getattr(row, name) for name in fields}
    expected = {name: getattr(want, name) for name in fields}
    differ = [
        f"{name} {stored[name]} (attempts say {expected[name]})"
        for name in fields
        if stored[name] != expected[name]
    ]
    return ", ".join(differ) or None


def _compare(found, stored_rows, expected: dict, key, name, differs, empty) -> None:
    """Add to `found` each stored row that differs from `expected`, and each
    expected row that is missing."""
    seen = set()
    for row in stored_rows:
        k = key(row)
        seen.add(k)
        want = expected.get(k)
        if want is None:
            if not empty(row):
                found.append((row.user_id, name(k), "stored, but nothing was answered"))
            continue
        what = differs(row, want)
        if what:
            found.append((row.user_id, name(k), what))
    for k, want in expected.items():
        if k not in seen:
            if isinstance(want, Sums):
                what = f"missing: {want.correct}/{want.answers} answered"
            else:
                plural = "s" if want.attempts != 1 else ""
                what = f"missing: {want.attempts} finalized attempt{plural}"
            found.append((k[0] if isinstance(k, tuple) else k, name(k), what))


def drift(user_ids=None) -> Drift:
    """Compare the stored rollups — per objective, per learner and per exam —
    with a recomputation from scratch."""
    from exams.models import (
        Attempt,
        ExamRollup,
        LearnerRollup,
        ObjectiveResult,
        ObjectiveRollup,
        PracticeAnswer,
    )

    def of(model):
        rows = model.objects.all()
        if user_ids is not None:
            rows = rows.filter(user_id__in=user_ids)
        return rows.iterator(chunk_size=5000)

    expected = from_scratch(ObjectiveResult, PracticeAnswer, user_ids)
    totals = learner_sums(expected)
    exams = exams_from_scratch(Attempt, user_ids)
    found: list[tuple[int, str, str]] = []
    _compare(
        found,
        of(ObjectiveRollup),
        expected,
        key=lambda r: (r.user_id, r.objective_id),
        name=lambda k: f"objective {k[1]}",
        differs=_sums_drift,
        empty=lambda r: not r.answers,
    )
    _compare(
        found,
        of(LearnerRollup),
        totals,
        key=lambda r: r.user_id,
        name=lambda k: "all objectives",
        differs=_sums_drift,
        empty=lambda r: not r.answers,
    )
    _compare(
        found,
        of(ExamRollup),
        exams,
        key=lambda r: (r.user_id, r.exam_id),
        name=lambda k: f"exam {k[1]}",
        differs=_exam_drift,
        empty=lambda r: False,
    )
    return Drift(sorted(found), len(expected) + len(totals) + len(exams))


def rebuild(user_ids=None) -> None:
    """Recompute the rollups (of `user_ids`, or all) from scratch, in one transaction."""
    from exams.models import (
        Attempt,
        ExamRollup,
        LearnerRollup,
        ObjectiveResult,
        ObjectiveRollup,
        PracticeAnswer,
    )

    with transaction.atomic():
        sums = from_scratch(ObjectiveResult, PracticeAnswer, user_ids)
        write_all(ObjectiveRollup, sums, user_ids)
        write_learners(LearnerRollup, learner_sums(sums), user_ids)
        write_exams(ExamRollup, exams_from_scratch(Attempt, user_ids), user_ids)
