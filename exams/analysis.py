"""Item analysis: how each question performs, from the answers learners gave.

Classical test theory over finalized mock-exam attempts (submitted or expired),
with practice answers counted separately (docs/instructors.md says what each
figure means):

- responses: the times the question was shown in a finalized attempt
  (an unanswered item counts, as a wrong one, as it does in the score);
- facility: the share of those responses that were fully correct;
- discrimination: the corrected item–rest correlation, the Pearson
  correlation between the item's score (1 right, 0 not) and the rest of the
  attempt's score (its scored items other than this one);
- for single and multiple choice, the share of responses that chose each option;
- per exam, Cronbach's alpha (KR-20, the form for right/wrong items) and the
  standard error of measurement.

Everything is computed from sums that SQL aggregates — n, Σx, Σy, Σxy, Σy² per
question — in a constant number of queries, whatever the number of answers.
Unscored (pretest) items are analysed like the others, but never count in any
attempt's rest score: their rest is the attempt's whole scored score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Min, Prefetch, Q

from exams.grading import MULTIPLE, SINGLE
from exams.models import (
    Attempt,
    AttemptItem,
    Choice,
    Exam,
    ExamStatistics,
    PracticeAnswer,
    Question,
    QuestionStatistics,
)

# Below this many responses a figure is mostly noise: "not enough data" instead.
# With 30 responses a facility of 0.5 is known to about ±0.18 (95 %), and a
# correlation of 0 to about ±0.36; the warnings need at least that.
MIN_RESPONSES = 30
TOO_EASY_ABOVE = 0.9
TOO_HARD_BELOW = 0.2
DISCRIMINATION_BELOW = 0.15
DEAD_DISTRACTOR_BELOW = 0.05
# The admin recomputes the stored figures when they are older than this.
MAX_AGE = timedelta(minutes=10)

TOO_EASY = "too_easy"
TOO_HARD = "too_hard"
NOT_DISCRIMINATING = "not_discriminating"
NEGATIVE = "negative"
DEAD_DISTRACTOR = "dead_distractor"
WARNING_LABELS = {
    TOO_EASY: "too easy",
    TOO_HARD: "too hard",
    NOT_DISCRIMINATING: "not discriminating",
    NEGATIVE: "negative: check the key",
    DEAD_DISTRACTOR: "dead distractor",
}
CHOICE_KINDS = (SINGLE, MULTIPLE)


# --- the arithmetic (no database) ----------------------------------------------


def item_rest_correlation(*, n: int, sx: int, sy: int, sxy: int, syy: int) -> float | None:
    """Pearson's r between a right/wrong item score x and the rest score y, from sums.

    x is 0 or 1, so Σx² = Σx. None when either score does not vary (everyone
    right, everyone wrong, or the same rest score for all): there is nothing
    to correlate.
    """
    var_x = n * sx - sx * sx
    var_y = n * syy - sy * sy
    if var_x <= 0 or var_y <= 0:
        return None
    return (n * sxy - sx * sy) / math.sqrt(var_x * var_y)


def cronbach_alpha(*, items: float, item_variance: float, total_variance: float) -> float | None:
    """Cronbach's alpha: k/(k−1) · (1 − Σ item variances / variance of the totals).

    `items` is k, the items per attempt, and `item_variance` the sum of their
    variances. None when it is undefined (one item, or totals that do not vary).
    """
    if items <= 1 or total_variance <= 0:
        return None
    return items / (items - 1) * (1 - item_variance / total_variance)


@dataclass(frozen=True)
class Finding:
    """A warning about a question: `code` (WARNING_LABELS) and a plain reason."""

    code: str
    message: str

    @property
    def label(self) -> str:
        return WARNING_LABELS[self.code]


@dataclass(frozen=True)
class OptionShare:
    """How often one option of a choice question was chosen."""

    label: str  # A, B, C … in the question's order
    choice_id: int
    text: str
    correct: bool
    chosen: int
    share: float | None  # None: not enough data

    @property
    def dead(self) -> bool:
        return not self.correct and self.share is not None and self.share < DEAD_DISTRACTOR_BELOW


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def findings(
    *, facility: float | None, discrimination: float | None, options: Iterable[OptionShare]
) -> list[Finding]:
    """The warnings a question's figures call for, each with what to do about it."""
    found = []
    if facility is not None and facility > TOO_EASY_ABOVE:
        found.append(
            Finding(
                TOO_EASY,
                f"Too easy: {_percent(facility)} answered it right (more than 90 %). It "
                "hardly tells who knows the topic; make the wrong options more plausible.",
            )
        )
    if facility is not None and facility < TOO_HARD_BELOW:
        found.append(
            Finding(
                TOO_HARD,
                f"Too hard: only {_percent(facility)} answered it right (less than 20 %). "
                "Check the key and the wording; if both are right, the topic needs teaching.",
            )
        )
    if discrimination is not None and discrimination < 0:
        found.append(
            Finding(
                NEGATIVE,
                f"Negative discrimination ({discrimination:.2f}): learners who did well on "
                "the rest of the exam got it wrong more often than those who did badly. "
                "The key may be wrong: check it first.",
            )
        )
    elif discrimination is not None and discrimination < DISCRIMINATION_BELOW:
        found.append(
            Finding(
                NOT_DISCRIMINATING,
                f"Not discriminating ({discrimination:.2f}, less than 0.15): learners who "
                "did well on the rest of the exam were hardly more likely to get it right. "
                "Look for ambiguous wording, a trick, or two defensible answers.",
            )
        )
    for option in options:
        if option.dead:
            found.append(
                Finding(
                    DEAD_DISTRACTOR,
                    f"Dead distractor {option.label}: chosen by {_percent(option.share or 0)} "
                    "(less than 5 %). Nobody falls for it; replace it with a mistake "
                    "learners really make.",
                )
            )
    return found


# --- the figures ----------------------------------------------------------------


@dataclass(frozen=True)
class ItemAnalysis:
    """One question's figures. Statistics are None below `MIN_RESPONSES` responses
    (or when undefined); `warnings` is empty then."""

    question_id: int
    external_id: str
    kind: str
    responses: int
    facility: float | None
    discrimination: float | None
    options: tuple[OptionShare, ...]
    # Choices of options whose wording is no longer in the question.
    other_chosen: int
    practice_responses: int
    practice_facility: float | None
    warnings: tuple[Finding, ...]


@dataclass(frozen=True)
class Reliability:
    """An exam's reliability over its finalized attempts; None: not enough data."""

    attempts: int
    items: float  # scored items per attempt, on average
    alpha: float | None
    sem: float | None  # in items (raw score points)

    @property
    def sem_scaled(self) -> float | None:
        """The SEM on the 100–1000 scale (900 points for all the items)."""
        if self.sem is None or not self.items:
            return None
        return self.sem * 900 / self.items


def _finalized(alias: str) -> str:
    return f"{alias}.status IN ({', '.join(repr(str(s)) for s in Attempt.FINAL)})"


def _item_sums(exam_id: int | None) -> dict[int, tuple[int, int, int, int, int]]:
    """Per question: n, Σx, Σy, Σxy, Σy² with x its item score and y the rest score."""
    items, attempts = AttemptItem._meta.db_table, Attempt._meta.db_table
    exam_filter = "AND a.exam_id = %s" if exam_id is not None else ""
    params = [exam_id] if exam_id is not None else []
    # x = 1 for a fully correct item; the attempt's scored score t; the rest
    # y = t − x for a scored item, t for an unscored one.
    sql = f"""
        WITH scored AS (
            SELECT i.id, i.attempt_id, i.question_id,
                   CASE WHEN i.is_correct THEN 1 ELSE 0 END AS x,
                   CASE WHEN i.is_correct AND i.scored THEN 1 ELSE 0 END AS sx
            FROM {items} i JOIN {attempts} a ON a.id = i.attempt_id
            WHERE {_finalized("a")} {exam_filter}
        ),
        totals AS (SELECT attempt_id, SUM(sx) AS t FROM scored GROUP BY attempt_id),
        rest AS (
            SELECT s.question_id, s.x, t.t - s.sx AS y
            FROM scored s JOIN totals t ON t.attempt_id = s.attempt_id
        )
        SELECT question_id, COUNT(*), SUM(x), SUM(y), SUM(x * y), SUM(y * y)
        FROM rest GROUP BY question_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: tuple(int(v or 0) for v in row[1:]) for row in cursor.fetchall()}


def _option_counts(exam_id: int | None) -> dict[tuple[int, str], int]:
    """Per (question, option text as shown): how many responses chose it.

    Option ids are random per attempt, so an option is known by its text. The
    snapshot's options are unnested per backend: JSON functions differ.
    """
    items, attempts = AttemptItem._meta.db_table, Attempt._meta.db_table
    exam_filter = "AND a.exam_id = %s" if exam_id is not None else ""
    params: list = [SINGLE, MULTIPLE]
    if exam_id is not None:
        params.append(exam_id)
    if connection.vendor == "postgresql":
        sql = f"""
            SELECT i.question_id, o.value ->> 'text', COUNT(*)
            FROM {items} i JOIN {attempts} a ON a.id = i.attempt_id
            CROSS JOIN LATERAL jsonb_array_elements(i.snapshot -> 'options') AS o(value)
            WHERE i.snapshot ->> 'kind' IN (%s, %s) AND {_finalized("a")} {exam_filter}
              AND i.response IS NOT NULL
              AND (i.response ->> 'choice' = o.value ->> 'id'
                   OR COALESCE(i.response -> 'choices', '[]'::jsonb)
                      @> jsonb_build_array(o.value -> 'id'))
            GROUP BY 1, 2
        """
    else:
        sql = f"""
            SELECT i.question_id, json_extract(o.value, '$.text'), COUNT(*)
            FROM {items} i JOIN {attempts} a ON a.id = i.attempt_id,
                 json_each(i.snapshot, '$.options') AS o
            WHERE json_extract(i.snapshot, '$.kind') IN (%s, %s) AND {_finalized("a")}
              {exam_filter} AND i.response IS NOT NULL
              AND (json_extract(i.response, '$.choice') = json_extract(o.value, '$.id')
                   OR EXISTS (SELECT 1 FROM json_each(i.response, '$.choices') AS c
                              WHERE c.value = json_extract(o.value, '$.id')))
            GROUP BY 1, 2
        """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(row[0], row[1]): int(row[2]) for row in cursor.fetchall()}


def _practice_counts() -> dict[int, tuple[int, int]]:
    rows = (
        PracticeAnswer.objects.order_by()
        .values("question_id")
        .annotate(n=Count("id"), right=Count("id", filter=Q(is_correct=True)))
        .values_list("question_id", "n", "right")
    )
    return {question_id: (n, right) for question_id, n, right in rows}


def option_label(index: int) -> str:
    """A, B, C … for the options in the question's order."""
    return chr(ord("A") + index) if index < 26 else str(index + 1)


def analyse_items(
    *, exam: Exam | None = None, min_responses: int = MIN_RESPONSES
) -> dict[int, ItemAnalysis]:
    """The figures of every published question and of every question with responses,
    by question id; over the attempts of `exam`, or of every exam.

    Five queries: the item sums, the option counts, the practice counts, the
    questions, their choices.
    """
    exam_id = exam.pk if exam is not None else None
    sums = _item_sums(exam_id)
    chosen = _option_counts(exam_id)
    practice = _practice_counts()
    published = Q(status=Question.Status.PUBLISHED)
    if exam is not None:
        published &= Q(objective__examobjective__exam=exam)
    questions = (
        Question.objects.filter(published | Q(pk__in=list(sums)))
        .order_by("id")
        .only("id", "external_id", "kind")
        .prefetch_related(
            Prefetch(
                "choices",
                queryset=Choice.objects.order_by("position", "id").only(
                    "id", "question_id", "text", "is_correct"
                ),
            )
        )
    )
    result = {}
    for question in questions:
        n, sx, sy, sxy, syy = sums.get(question.pk, (0, 0, 0, 0, 0))
        enough = n >= min_responses
        facility = sx / n if enough else None
        discrimination = (
            item_rest_correlation(n=n, sx=sx, sy=sy, sxy=sxy, syy=syy) if enough else None
        )
        options: list[OptionShare] = []
        other = 0
        if question.kind in CHOICE_KINDS:
            texts = set()
            for index, choice in enumerate(question.choices.all()):
                texts.add(choice.text)
                count = chosen.get((question.pk, choice.text), 0)
                options.append(
                    OptionShare(
                        label=option_label(index),
                        choice_id=choice.pk,
                        text=choice.text,
                        correct=choice.is_correct,
                        chosen=count,
                        share=count / n if enough else None,
                    )
                )
            other = sum(
                count
                for (qid, text), count in chosen.items()
                if qid == question.pk and text not in texts
            )
        p_n, p_right = practice.get(question.pk, (0, 0))
        result[question.pk] = ItemAnalysis(
            question_id=question.pk,
            external_id=question.external_id,
            kind=question.kind,
            responses=n,
            facility=facility,
            discrimination=discrimination,
            options=tuple(options),
            other_chosen=other,
            practice_responses=p_n,
            practice_facility=p_right / p_n if p_n >= min_responses else None,
            warnings=tuple(
                findings(facility=facility, discrimination=discrimination, options=options)
            ),
        )
    return result


def reliabilities(
    *, exam: Exam | None = None, min_attempts: int = MIN_RESPONSES
) -> dict[int, Reliability]:
    """Cronbach's alpha and the SEM over each exam's finalized attempts, by exam id
    (of `exam` only, if given), in one query.

    Attempts draw different questions, so the sum of item variances is that of
    the average attempt: Σ over questions of n·p(1−p), divided by the attempts
    (with every attempt on the same items, this is the textbook KR-20).
    Variances are population variances, items and totals alike.
    """
    items, attempts = AttemptItem._meta.db_table, Attempt._meta.db_table
    exam_filter = "AND a.exam_id = %s" if exam is not None else ""
    sql = f"""
        WITH scored AS (
            SELECT a.exam_id, i.attempt_id, i.question_id,
                   CASE WHEN i.is_correct THEN 1 ELSE 0 END AS x
            FROM {items} i JOIN {attempts} a ON a.id = i.attempt_id
            WHERE {_finalized("a")} AND i.scored {exam_filter}
        ),
        per_question AS (
            SELECT exam_id, COUNT(*) AS n, SUM(x) AS sx FROM scored GROUP BY exam_id, question_id
        ),
        per_item AS (
            SELECT exam_id, SUM(sx * (n - sx) * 1.0 / n) AS v FROM per_question GROUP BY exam_id
        ),
        totals AS (
            SELECT exam_id, COUNT(*) AS k, SUM(x) AS t FROM scored GROUP BY exam_id, attempt_id
        )
        SELECT t.exam_id, MAX(p.v), COUNT(*), SUM(t.k), SUM(t.t), SUM(t.t * t.t)
        FROM totals t JOIN per_item p ON p.exam_id = t.exam_id
        GROUP BY t.exam_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [exam.pk] if exam is not None else [])
        rows = cursor.fetchall()
    result = {}
    for exam_id, variance_sum, count, k_sum, t_sum, tt_sum in rows:
        count = int(count)
        k = int(k_sum) / count
        if count < min_attempts:
            result[exam_id] = Reliability(attempts=count, items=k, alpha=None, sem=None)
            continue
        mean = int(t_sum) / count
        total_variance = int(tt_sum) / count - mean * mean
        alpha = cronbach_alpha(
            items=k, item_variance=float(variance_sum) / count, total_variance=total_variance
        )
        sem = (
            math.sqrt(total_variance) * math.sqrt(max(0.0, 1 - alpha))
            if alpha is not None
            else None
        )
        result[exam_id] = Reliability(attempts=count, items=k, alpha=alpha, sem=sem)
    return result


def exam_reliability(*, exam: Exam, min_attempts: int = MIN_RESPONSES) -> Reliability:
    """The exam's reliability (`reliabilities`); no attempts: zero attempts, no alpha."""
    found = reliabilities(exam=exam, min_attempts=min_attempts)
    return found.get(exam.pk, Reliability(attempts=0, items=0, alpha=None, sem=None))


# --- stored figures for the admin ---------------------------------------------------


def refresh_statistics(*, now: datetime, min_responses: int = MIN_RESPONSES) -> int:
    """Recompute every question's figures over all exams and store them
    (`QuestionStatistics`); returns how many rows were written.

    Ten queries: the five of `analyse_items`, the exams' reliabilities, and for
    questions and exams each an upsert and a delete of rows no longer analysed.
    Two refreshes at once are safe: each row is an upsert.
    """
    analysed = analyse_items(min_responses=min_responses)
    exams = [
        ExamStatistics(
            exam_id=exam_id,
            attempts=r.attempts,
            items=r.items,
            alpha=r.alpha,
            sem=r.sem,
            computed_at=now,
        )
        for exam_id, r in reliabilities(min_attempts=min_responses).items()
    ]
    rows = [
        QuestionStatistics(
            question_id=a.question_id,
            responses=a.responses,
            facility=a.facility,
            discrimination=a.discrimination,
            practice_responses=a.practice_responses,
            practice_facility=a.practice_facility,
            options={str(o.choice_id): {"chosen": o.chosen, "share": o.share} for o in a.options},
            other_chosen=a.other_chosen,
            warnings=[{"code": w.code, "message": w.message} for w in a.warnings],
            has_warning=bool(a.warnings),
            computed_at=now,
        )
        for a in analysed.values()
    ]
    with transaction.atomic():
        QuestionStatistics.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["question"],
            update_fields=[
                "responses",
                "facility",
                "discrimination",
                "practice_responses",
                "practice_facility",
                "options",
                "other_chosen",
                "warnings",
                "has_warning",
                "computed_at",
            ],
        )
        QuestionStatistics.objects.exclude(computed_at=now).delete()
        ExamStatistics.objects.bulk_create(
            exams,
            update_conflicts=True,
            unique_fields=["exam"],
            update_fields=["attempts", "items", "alpha", "sem", "computed_at"],
        )
        ExamStatistics.objects.exclude(computed_at=now).delete()
    return len(rows)


def ensure_fresh(*, now: datetime, max_age: timedelta = MAX_AGE) -> datetime:
    """Refresh the stored figures when they are older than `max_age` (or missing);
    returns when they were computed. One query when they are fresh."""
    oldest = QuestionStatistics.objects.aggregate(oldest=Min("computed_at"))["oldest"]
    if oldest is not None and now - oldest <= max_age:
        return oldest
    refresh_statistics(now=now)
    return now
