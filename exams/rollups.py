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

`rebuild_rollups` recomputes every row from the answers themselves and reports
any drift.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
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


def _table() -> str:
    from exams.models import ObjectiveRollup

    return connection.ops.quote_name(ObjectiveRollup._meta.db_table)


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
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, objective_id, decayed_right, decayed_total, "
            f"answers, correct, last_at) VALUES {values} "
            "ON CONFLICT (user_id, objective_id) DO UPDATE SET "
            f"decayed_right = {table}.decayed_right + excluded.decayed_right, "
            f"decayed_total = {table}.decayed_total + excluded.decayed_total, "
            f"answers = {table}.answers + excluded.answers, "
            f"correct = {table}.correct + excluded.correct, "
            f"last_at = {later}({table}.last_at, excluded.last_at)",
            params,
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


def write_all(rollup_model, sums: dict[tuple[int, int], Sums], user_ids=None) -> None:
    """Replace the rollups (of `user_ids`, or all) with `sums`."""
    rows = rollup_model.objects.all()
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    rows.delete()
    rollup_model.objects.bulk_create(
        (
            rollup_model(
                user_id=user_id,
                objective_id=objective_id,
                decayed_right=s.decayed_right,
                decayed_total=s.decayed_total,
                answers=s.answers,
                correct=s.correct,
                last_at=s.last_at,
            )
            for (user_id, objective_id), s in sums.items()
        ),
        batch_size=2000,
    )


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-12)


@dataclass(frozen=True)
class Drift:
    """Rollup rows that differ from a recomputation: (user id, objective id, what)."""

    rows: list[tuple[int, int, str]]
    checked: int

    def __bool__(self) -> bool:
        return bool(self.rows)


def drift(user_ids=None) -> Drift:
    """Compare the stored rollups with a recomputation from scratch."""
    from exams.models import ObjectiveResult, ObjectiveRollup, PracticeAnswer

    expected = from_scratch(ObjectiveResult, PracticeAnswer, user_ids)
    stored = ObjectiveRollup.objects.all()
    if user_ids is not None:
        stored = stored.filter(user_id__in=user_ids)
    found: list[tuple[int, int, str]] = []
    seen = set()
    for row in stored.iterator(chunk_size=5000):
        key = (row.user_id, row.objective_id)
        seen.add(key)
        want = expected.get(key)
        if want is None:
            if row.answers:
                found.append((*key, f"stored {row.answers} answers, none given"))
            continue
        if (row.answers, row.correct) != (want.answers, want.correct):
            found.append(
                (
                    *key,
                    f"counts {row.correct}/{row.answers}, "
                    f"answers say {want.correct}/{want.answers}",
                )
            )
        elif not (
            _close(row.decayed_right, want.decayed_right)
            and _close(row.decayed_total, want.decayed_total)
        ):
            found.append((*key, "decayed sums differ"))
        elif row.last_at != want.last_at:
            found.append((*key, f"last answer {row.last_at}, answers say {want.last_at}"))
    for key, want in expected.items():
        if key not in seen:
            found.append((*key, f"missing: {want.correct}/{want.answers} answered"))
    return Drift(sorted(found), len(expected))


def rebuild(user_ids=None) -> None:
    """Recompute the rollups (of `user_ids`, or all) from scratch, in one transaction."""
    from exams.models import ObjectiveResult, ObjectiveRollup, PracticeAnswer

    with transaction.atomic():
        sums = from_scratch(ObjectiveResult, PracticeAnswer, user_ids)
        write_all(ObjectiveRollup, sums, user_ids)
