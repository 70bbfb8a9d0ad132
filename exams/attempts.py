"""The attempt lifecycle: the only code that moves an attempt between states.

start_attempt → save_answer / set_flag … → submit_attempt or expire_attempt.
Every function takes `now` from its caller, so the server's clock decides,
and runs in a transaction. Finalization locks the attempt row and a save locks
it too (SELECT … FOR UPDATE on PostgreSQL; on SQLite every write transaction
starts IMMEDIATE and so takes the database's write lock): an answer is either
stored before grading or refused after it.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.http import QueryDict

from exams import blueprints, grading, rollups
from exams.models import (
    Accommodation,
    Attempt,
    AttemptItem,
    Choice,
    Exam,
    ObjectiveResult,
    Question,
    extended,
)
from exams.snapshots import ItemSnapshot
from quizsite.bulk import insert_rows


class AttemptError(Exception):
    """A request the attempt's state refuses; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


STALE_MESSAGE = (
    "Not saved: this answer was changed in another window since. "
    "The answer saved now is shown; change it again if you wish."
)
FINALIZED_MESSAGE = "This attempt has been submitted: its answers can no longer change."
LATE_MESSAGE = "Time is up: answers that arrive after the deadline are not saved."


def grace() -> timedelta:
    return timedelta(seconds=settings.QUIZSITE_DEADLINE_GRACE_SECONDS)


def is_past_grace(attempt: Attempt, now: datetime) -> bool:
    return attempt.is_past_deadline(now, grace())


# --- starting -------------------------------------------------------------


def _draw_questions(exam: Exam, rng: random.Random) -> list[tuple[_Question, bool]]:
    """The blueprint's questions with whether each is scored: stratified by
    the weights, case studies drawn whole and kept together, unscored items
    among the others (grading.draw_form)."""
    blueprint = blueprints.blueprint_of(exam)
    objective_ids = blueprint.objective_ids
    published: dict[int, list[int]] = {o: [] for o in objective_ids}
    pretest: dict[int, list[int]] = {o: [] for o in objective_ids}
    cases: dict[int, list[tuple[int, int]]] = {}
    case_of: dict[int, int] = {}
    objective_of: dict[int, int] = {}
    for question_id, objective_id, case_id, status in (
        Question.objects.filter(objective_id__in=objective_ids)
        .filter(Q(status=Question.Status.PUBLISHED) | Q(status=Question.Status.DRAFT, pretest=True))
        .values_list("id", "objective_id", "case_id", "status")
        .order_by("id")
    ):
        objective_of[question_id] = objective_id
        (published if status == Question.Status.PUBLISHED else pretest)[objective_id].append(
            question_id
        )
        if case_id is not None:
            cases.setdefault(case_id, []).append((question_id, objective_id))
            case_of[question_id] = case_id
    units = grading.draw_form(
        entries=blueprint.weights,
        members=blueprint.members,
        published=published,
        pretest=pretest,
        groups={question: cases[case] for question, case in case_of.items()},
        scored_count=exam.scored_count,
        unscored_count=exam.unscored_count,
        rng=rng,
    )
    if exam.shuffle_questions:
        rng.shuffle(units)
    elif any(not unit.scored for unit in units):
        # Unshuffled, unscored items still sit among the others, by objective:
        # in random order within each objective (drawn last, they would
        # otherwise end every objective's run of questions).
        rng.shuffle(units)
        order = {o: n for n, o in enumerate(objective_ids)}
        units.sort(key=lambda unit: order[objective_of[unit.questions[0]]])
    chosen = [(question, unit.scored) for unit in units for question in unit.questions]
    questions = _content([i for i, _ in chosen])
    return [(questions[i], scored) for i, scored in chosen]


@dataclass(frozen=True, slots=True)
class _Case:
    external_id: str
    title: str
    scenario: str


@dataclass(frozen=True, slots=True)
class _Choice:
    text: str
    match: str
    is_correct: bool
    feedback: str


@dataclass(frozen=True, slots=True)
class _Question:
    """What freezing a question reads, as plain values: a start copies 65 of
    them, and model instances of them and their choices cost more than the
    rest of the start together."""

    id: int
    version: int
    objective_id: int
    kind: str
    stem: str
    explanation: str
    source: str
    case_id: int | None
    case: _Case | None
    choices: list[_Choice]


def _content(ids: list[int]) -> dict[int, _Question]:
    """The questions `ids` with their choices in key order (two queries)."""
    choices: dict[int, list[_Choice]] = {i: [] for i in ids}
    for question_id, *fields in (
        Choice.objects.filter(question_id__in=ids)
        .order_by("question_id", "position", "id")
        .values_list("question_id", "text", "match", "is_correct", "feedback")
    ):
        choices[question_id].append(_Choice(*fields))
    found = {}
    for row in Question.objects.filter(id__in=ids).values_list(
        "id",
        "version",
        "objective_id",
        "kind",
        "stem",
        "explanation",
        "source",
        "case_id",
        "case__external_id",
        "case__title",
        "case__scenario",
    ):
        case = _Case(*row[8:]) if row[7] is not None else None
        found[row[0]] = _Question(*row[:8], case=case, choices=choices[row[0]])
    return found


def start_attempt(*, user, exam: Exam, now: datetime, rng: random.Random | None = None) -> Attempt:
    """The learner's attempt at `exam`: the one in progress, or a new one.

    A new attempt draws its questions by the blueprint's objective weights and
    freezes each one as shown. The database allows one attempt in progress per
    learner and exam, so two tabs starting at once end up in the same attempt.
    """
    mine = Attempt.objects.filter(user=user, exam=exam).aggregate(
        started=Count("id"), current=Max("id", filter=Q(status=Attempt.Status.IN_PROGRESS))
    )
    if mine["current"] is not None:
        current = finalize_if_expired(Attempt.objects.get(pk=mine["current"]), now)
        if current.status == Attempt.Status.IN_PROGRESS:
            return current
    refusal = exam.refusal(now=now, attempts_started=mine["started"])
    if refusal is not None:
        raise AttemptError(refusal, status=403)
    rng = rng or random.Random()
    questions = _draw_questions(exam, rng)
    if not questions:
        raise AttemptError("This exam has no published questions yet.", status=409)
    extra = Accommodation.extra_percent_for(user, exam) if exam.time_limit is not None else 0
    time_allowed = extended(exam.time_limit, extra)
    deadline = now + time_allowed if time_allowed is not None else None
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                user=user,
                exam=exam,
                started_at=now,
                deadline=deadline,
                total=len(questions),
                # The terms of this attempt: later edits of the exam do not change them.
                pass_mark=exam.pass_mark,
                time_allowed=time_allowed,
                extra_time_percent=extra,
                question_count=exam.question_count,
                scored_count=sum(1 for _, scored in questions if scored),
            )
            insert_rows(
                AttemptItem,
                [
                    {
                        "attempt_id": attempt.pk,
                        "position": position,
                        "question_id": question.id,
                        "question_version": question.version,
                        "objective_id": question.objective_id,
                        "scored": scored,
                        "snapshot": ItemSnapshot.freeze(
                            question, question.choices, rng=rng, shuffle=exam.shuffle_choices
                        ).data,
                    }
                    for position, (question, scored) in enumerate(questions, start=1)
                ],
            )
    except IntegrityError:
        # Another request started it first: resume that one.
        return Attempt.objects.in_progress().get(user=user, exam=exam)
    return attempt


# --- answering ------------------------------------------------------------


class Verdict(enum.Enum):
    APPLY = "apply"  # newer than what is stored: write it
    UNCHANGED = "unchanged"  # allowed, and the stored answer is already this one
    RETRY = "retry"  # the very write that was applied last, sent again
    STALE = "stale"  # older than what is stored: refuse, keep the newer answer


@dataclass(frozen=True)
class Write:
    """A save as the page sends it: the answer's version the page last saw
    (`seq`), the page's id (`writer`) and the page's own count of its writes
    (`number`, rising by one with every save the page sends)."""

    seq: int
    writer: str
    number: int


def judge_write(*, item: AttemptItem, write: Write, same_answer: bool) -> Verdict:
    """Is `write` newer than what `item` holds? (docs/exams.md, "Saving answers")

    The page that wrote last is judged by its own write numbers: a higher one
    is newer even when its `seq` is behind (the reply to its previous save was
    lost), the same one is a retry, a lower one a replayed or delayed older
    request. Any other page must have seen the newest version (`seq`).
    """
    if write.writer and write.writer == item.writer:
        if write.number == item.write_no:
            return Verdict.RETRY if same_answer else Verdict.STALE
        if write.number < item.write_no:
            return Verdict.STALE
    elif write.seq != item.seq and not same_answer:
        return Verdict.STALE
    return Verdict.UNCHANGED if same_answer else Verdict.APPLY


@dataclass(frozen=True)
class Saved:
    """The item as stored; `answered_count` is the attempt's answered items, or
    None when this save did not change whether the item counts as answered
    (so the progress shown cannot have changed either)."""

    item: AttemptItem
    answered_count: int | None


class StaleWrite(AttemptError):
    """A write older than the stored answer: refused. `current` is what the
    server holds, so the page can show it."""

    def __init__(self, current: Saved) -> None:
        super().__init__(STALE_MESSAGE)
        self.current = current


def _lock_item(*, user, attempt_id: int, position: int) -> AttemptItem:
    """The item with its attempt, both rows locked until the transaction ends.

    Raises AttemptItem.DoesNotExist for another learner's attempt.
    """
    # Both rows are locked: a save that waited for another sees the item as
    # that one left it (PostgreSQL re-reads only the rows it locks).
    return (
        AttemptItem.objects.select_related("attempt")
        .select_for_update(of=("self", "attempt"))
        .get(attempt_id=attempt_id, attempt__user=user, position=position)
    )


def ensure_open(attempt: Attempt, now: datetime) -> None:
    """Raise AttemptError unless the attempt still takes answers at `now`."""
    if attempt.accepts_answers(now, grace()):
        return
    if attempt.status == Attempt.Status.SUBMITTED:
        raise AttemptError(FINALIZED_MESSAGE)
    raise AttemptError(LATE_MESSAGE)


def save_answer(
    *, user, attempt_id: int, position: int, data: QueryDict, write: Write, now: datetime
) -> Saved:
    """Store the answer posted in `data` for one item of the learner's attempt.

    Lock the item and its attempt → check it takes answers → parse the answer against the
    item's snapshot → judge the write against what is stored → write. Raises
    AttemptItem.DoesNotExist (not the learner's), StaleWrite (older than the
    stored answer), AttemptError (the attempt is closed) and AnswerInvalid.
    """
    with transaction.atomic():
        item = _lock_item(user=user, attempt_id=attempt_id, position=position)
        ensure_open(item.attempt, now)
        snapshot = ItemSnapshot.from_json(item.snapshot)
        response = snapshot.parse_response(data)
        verdict = judge_write(item=item, write=write, same_answer=response == item.response)
        was_answered = item.answered_at is not None
        if verdict is Verdict.APPLY:
            item.response = response
            item.answered_at = now if snapshot.is_complete(response) else None
            item.seq += 1
            item.writer, item.write_no = write.writer, write.number
            item.save(update_fields=["response", "answered_at", "seq", "writer", "write_no"])
        answered = None
        if verdict is Verdict.STALE or was_answered != (item.answered_at is not None):
            # Counted after the attempt row is locked: every save of this
            # attempt that committed before is in the count.
            answered = AttemptItem.objects.filter(
                attempt_id=item.attempt_id, answered_at__isnull=False
            ).count()
    saved = Saved(item=item, answered_count=answered)
    if verdict is Verdict.STALE:
        raise StaleWrite(saved)
    return saved


def set_flag(*, user, attempt_id: int, position: int, flagged: bool, now: datetime) -> AttemptItem:
    """Mark an item of the learner's attempt for review (or clear the mark)."""
    with transaction.atomic():
        item = _lock_item(user=user, attempt_id=attempt_id, position=position)
        ensure_open(item.attempt, now)
        if item.flagged != flagged:
            item.flagged = flagged
            item.save(update_fields=["flagged"])
    return item


# --- finishing ------------------------------------------------------------


def submit_attempt(*, attempt: Attempt, now: datetime) -> Attempt:
    """The learner submits. Idempotent: a second submit returns the first result.

    A submit after the deadline and its grace finalizes the attempt as expired,
    with the answers saved in time.
    """
    if is_past_grace(attempt, now):
        return _finalize(attempt.pk, now, Attempt.Status.EXPIRED)
    return _finalize(attempt.pk, now, Attempt.Status.SUBMITTED)


def expire_attempt(*, attempt: Attempt, now: datetime) -> Attempt:
    """The page says time is up. Only the server's clock ends an attempt, and
    only once the grace for answers still on their way has passed: before that,
    nothing happens."""
    return finalize_if_expired(attempt, now)


def finalize_if_expired(attempt: Attempt, now: datetime) -> Attempt:
    """Called on every read: an attempt past its deadline and grace is finalized."""
    if attempt.status == Attempt.Status.IN_PROGRESS and is_past_grace(attempt, now):
        return _finalize(attempt.pk, now, Attempt.Status.EXPIRED)
    return attempt


def _finalize(attempt_id: int, now: datetime, status: str) -> Attempt:
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            return attempt  # finalized already: once only
        items = list(
            AttemptItem.objects.filter(attempt=attempt).only(
                "id", "objective_id", "snapshot", "response", "scored"
            )
        )
        # Every item is graded (unscored ones too, for item analysis); only
        # scored ones count (grading.score).
        for item in items:
            item.is_correct = ItemSnapshot.from_json(item.snapshot).grade(item.response)
        AttemptItem.objects.bulk_update(items, ["is_correct"], batch_size=500)
        result = grading.score((i.objective_id, i.is_correct, i.scored) for i in items)
        ObjectiveResult.objects.bulk_create(
            ObjectiveResult(
                attempt=attempt, objective_id=t.objective_id, correct=t.correct, total=t.total
            )
            for t in result.objectives
        )
        attempt.status = status
        # An attempt that ran out ended at its deadline, whenever it is noticed.
        expired = status == Attempt.Status.EXPIRED and attempt.deadline is not None
        attempt.submitted_at = min(now, attempt.deadline) if expired else now
        attempt.raw_score = result.raw
        attempt.total = len(items)
        attempt.scored_count = result.total
        attempt.scaled_score = result.scaled
        attempt.passed = attempt.scaled_score >= attempt.pass_mark
        attempt.save(
            update_fields=[
                "status",
                "submitted_at",
                "raw_score",
                "total",
                "scored_count",
                "scaled_score",
                "passed",
            ]
        )
        rollups.record(user_id=attempt.user_id, tallies=result.objectives, at=attempt.submitted_at)
        rollups.record_attempt(
            user_id=attempt.user_id,
            exam_id=attempt.exam_id,
            score=attempt.scaled_score,
            passed=attempt.passed,
            at=attempt.submitted_at,
        )
    return attempt


def finalize_expired_attempts(*, now: datetime) -> int:
    """Finalize every attempt past its deadline and grace; returns how many."""
    cutoff = now - grace()
    ids = list(
        Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lt=cutoff).values_list(
            "id", flat=True
        )
    )
    for attempt_id in ids:
        _finalize(attempt_id, now, Attempt.Status.EXPIRED)
    return len(ids)
