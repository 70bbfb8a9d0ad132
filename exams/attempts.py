"""The attempt lifecycle: the only code that moves an attempt between states.

start_attempt → save_answer / set_flag … → submit_attempt or expire_attempt.
Every function takes `now` from its caller, so the server's clock decides,
and runs in a transaction. Finalization locks the attempt row and a save locks
it too (SELECT … FOR UPDATE on PostgreSQL; on SQLite every write transaction
starts IMMEDIATE and so takes the database's write lock): an answer is either
stored before grading or refused after it.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q

from exams import grading
from exams.models import (
    Attempt,
    AttemptItem,
    Choice,
    Exam,
    ExamObjective,
    ObjectiveResult,
    Question,
)


class AttemptError(Exception):
    """A request the attempt's state refuses; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


STALE_MESSAGE = (
    "This answer was changed in another window. Reload the page to see the newest answer."
)
FINALIZED_MESSAGE = "This attempt has been submitted: its answers can no longer change."
LATE_MESSAGE = "Time is up: answers that arrive after the deadline are not saved."


def grace() -> timedelta:
    return timedelta(seconds=settings.QUIZSITE_DEADLINE_GRACE_SECONDS)


def is_past_grace(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + grace()


# --- starting -------------------------------------------------------------


def _token(used: set[str]) -> str:
    while True:
        token = secrets.token_hex(4)
        if token not in used:
            used.add(token)
            return token


def _shuffled(values: list, rng: random.Random, avoid_identity: bool) -> list:
    """A shuffled copy; with `avoid_identity`, never the original order (n > 1)."""
    result = values[:]
    rng.shuffle(result)
    if avoid_identity and len(result) > 1:
        while result == values:
            rng.shuffle(result)
    return result


def snapshot_question(
    question: Question, choices: list[Choice], *, rng: random.Random, shuffle: bool
) -> dict[str, Any]:
    """Freeze a question as this attempt shows it, with its key.

    Options get random ids, so neither the ids nor the order shown say anything
    about the key. Ordering items and matching partners are always shown out of
    their correct order.
    """
    used: set[str] = set()
    ids = [_token(used) for _ in choices]
    options = [
        {"id": oid, "text": c.text, "feedback": c.feedback}
        for oid, c in zip(ids, choices, strict=True)
    ]
    snapshot: dict[str, Any] = {
        "kind": question.kind,
        "stem": question.stem,
        "explanation": question.explanation,
        "source": question.source,
    }
    kind = question.kind
    if kind == grading.SINGLE:
        snapshot["key"] = next(
            o["id"] for o, c in zip(options, choices, strict=True) if c.is_correct
        )
    elif kind == grading.MULTIPLE:
        snapshot["key"] = sorted(
            o["id"] for o, c in zip(options, choices, strict=True) if c.is_correct
        )
        snapshot["select"] = len(snapshot["key"])
    elif kind == grading.ORDERING:
        snapshot["key"] = [o["id"] for o in options]  # choices arrive in correct order
    elif kind == grading.MATCHING:
        match_ids = [_token(used) for _ in choices]
        snapshot["key"] = dict(zip(ids, match_ids, strict=True))
    must_move = kind == grading.ORDERING
    snapshot["options"] = _shuffled(options, rng, must_move) if shuffle or must_move else options
    if kind == grading.MATCHING:
        # Partners in the order of the prompts as shown, then moved off that order.
        text = {mid: c.match for mid, c in zip(match_ids, choices, strict=True)}
        aligned = [snapshot["key"][o["id"]] for o in snapshot["options"]]
        snapshot["matches"] = [
            {"id": mid, "text": text[mid]} for mid in _shuffled(aligned, rng, avoid_identity=True)
        ]
    return snapshot


def _draw_questions(exam: Exam, rng: random.Random) -> list[Question]:
    weights = dict(ExamObjective.objects.filter(exam=exam).values_list("objective_id", "weight"))
    pool: dict[int, list[int]] = {objective: [] for objective in weights}
    for question_id, objective_id in (
        Question.objects.published()
        .filter(objective_id__in=weights)
        .values_list("id", "objective_id")
        .order_by("id")
    ):
        pool[objective_id].append(question_id)
    allocation = grading.allocate(
        weights, {o: len(ids) for o, ids in pool.items()}, exam.question_count, rng
    )
    chosen: list[int] = []
    for objective in sorted(allocation):
        chosen += rng.sample(pool[objective], allocation[objective])
    questions = {
        q.id: q
        for q in Question.objects.filter(id__in=chosen).prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
        )
    }
    ordered = [questions[i] for i in chosen]
    if exam.shuffle_questions:
        rng.shuffle(ordered)
    return ordered


def start_attempt(*, user, exam: Exam, now: datetime, rng: random.Random | None = None) -> Attempt:
    """The learner's attempt at `exam`: the one in progress, or a new one.

    A new attempt draws its questions by the blueprint's objective weights and
    freezes each one as shown. The database allows one attempt in progress per
    learner and exam, so two tabs starting at once end up in the same attempt.
    """
    current = Attempt.objects.filter(
        user=user, exam=exam, status=Attempt.Status.IN_PROGRESS
    ).first()
    if current is not None:
        current = finalize_if_expired(current, now)
        if current.status == Attempt.Status.IN_PROGRESS:
            return current
    rng = rng or random.Random()
    questions = _draw_questions(exam, rng)
    if not questions:
        raise AttemptError("This exam has no published questions yet.", status=409)
    deadline = now + exam.time_limit if exam.time_limit is not None else None
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                user=user,
                exam=exam,
                started_at=now,
                deadline=deadline,
                total=len(questions),
                pass_mark=exam.pass_mark,
            )
            AttemptItem.objects.bulk_create(
                AttemptItem(
                    attempt=attempt,
                    position=position,
                    question=question,
                    question_version=question.version,
                    objective_id=question.objective_id,
                    snapshot=snapshot_question(
                        question,
                        list(question.choices.all()),
                        rng=rng,
                        shuffle=exam.shuffle_choices,
                    ),
                )
                for position, question in enumerate(questions, start=1)
            )
    except IntegrityError:
        # Another request started it first: resume that one.
        return Attempt.objects.get(user=user, exam=exam, status=Attempt.Status.IN_PROGRESS)
    return attempt


# --- answering ------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    item: AttemptItem
    answered_count: int


def lock_item(*, attempt_id: int, user, position: int) -> AttemptItem:
    """The item with its attempt, the attempt row locked until the transaction ends.

    Raises AttemptItem.DoesNotExist for another learner's attempt.
    """
    return (
        AttemptItem.objects.select_related("attempt")
        .select_for_update(of=("attempt",))
        .get(attempt_id=attempt_id, attempt__user=user, position=position)
    )


def ensure_open(attempt: Attempt, now: datetime) -> None:
    """Raise AttemptError unless the attempt still takes answers at `now`."""
    if attempt.status == Attempt.Status.EXPIRED or is_past_grace(attempt, now):
        raise AttemptError(LATE_MESSAGE)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AttemptError(FINALIZED_MESSAGE)


def save_answer(
    *,
    item: AttemptItem,
    response: dict[str, Any] | None,
    seq: int,
    now: datetime,
    writer: str = "",
) -> Saved:
    """Store a response for an item fetched with `lock_item` (inside a transaction).

    `seq` is the item's sequence number the learner's page last saw and
    `writer` names that page. A write is applied when the page saw the newest
    version, or when the newest version was written by this same page (its
    previous save went through but the reply was lost). A write from any other
    page that is out of date is refused, never applied.
    """
    ensure_open(item.attempt, now)
    complete = grading.is_complete(item.snapshot, response)
    current = Q(seq=seq) | Q(writer=writer) if writer else Q(seq=seq)
    new_seq = item.seq + 1
    updated = AttemptItem.objects.filter(current, pk=item.pk).update(
        response=response or None,
        answered_at=now if complete else None,
        seq=new_seq,
        writer=writer,
    )
    if not updated:
        raise AttemptError(STALE_MESSAGE)
    item.response = response or None
    item.answered_at = now if complete else None
    item.seq, item.writer = new_seq, writer
    answered = AttemptItem.objects.filter(
        attempt_id=item.attempt_id, answered_at__isnull=False
    ).count()
    return Saved(item=item, answered_count=answered)


def set_flag(*, item: AttemptItem, flagged: bool, now: datetime) -> AttemptItem:
    """Mark an item for review (item fetched with `lock_item`)."""
    ensure_open(item.attempt, now)
    AttemptItem.objects.filter(pk=item.pk).update(flagged=flagged)
    item.flagged = flagged
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
                "id", "objective_id", "snapshot", "response"
            )
        )
        for item in items:
            item.is_correct = grading.grade(
                item.snapshot["kind"], item.snapshot["key"], item.response
            )
        AttemptItem.objects.bulk_update(items, ["is_correct"], batch_size=500)
        tallies = grading.roll_up((item.objective_id, item.is_correct) for item in items)
        ObjectiveResult.objects.bulk_create(
            ObjectiveResult(
                attempt=attempt, objective_id=t.objective_id, correct=t.correct, total=t.total
            )
            for t in tallies
        )
        raw = sum(item.is_correct for item in items)
        attempt.status = status
        # An attempt that ran out ended at its deadline, whenever it is noticed.
        expired = status == Attempt.Status.EXPIRED and attempt.deadline is not None
        attempt.submitted_at = min(now, attempt.deadline) if expired else now
        attempt.raw_score = raw
        attempt.total = len(items)
        attempt.scaled_score = grading.scaled_score(raw, len(items))
        attempt.passed = attempt.scaled_score >= attempt.pass_mark
        attempt.save(
            update_fields=["status", "submitted_at", "raw_score", "total", "scaled_score", "passed"]
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
