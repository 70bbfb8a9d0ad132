"""Practice: one question at a time with instant feedback, scheduled by FSRS.

Choosing the next question, in this order, never the one just practised:
1. a published question of the scope the learner has never practised (random);
2. one they got wrong the last time;
3. one whose review is due (earliest due first);
4. otherwise the one due soonest, so practice can go on ahead of schedule.
Each checked answer updates the learner's FSRS card for that question
(Good when right, Again when wrong); `fsrs` computes the next due date.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import QueryDict
from fsrs import Card, Rating, Scheduler

from exams import rollups
from exams.grading import ObjectiveTally
from exams.models import (
    Choice,
    Objective,
    PracticeAnswer,
    PracticeSession,
    Question,
    ReviewCard,
    TaskStatement,
)
from exams.reports import objective_mastery, weakest_objectives
from exams.snapshots import ItemSnapshot

SCHEDULER = Scheduler()
TIER_NOTES = {
    0: "New to you.",
    1: "You missed this one last time.",
    2: "Due for review.",
    3: "Nothing is due right now: this is the one due soonest.",
}


class PracticeError(Exception):
    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def start_session(
    *, user, scope: str, value: str = "", now: datetime, rng: random.Random | None = None
) -> PracticeSession:
    """Open a practice session on a scope and serve its first question.

    A learner has one open session: starting another ends the previous one.
    """
    objectives, label = _scope(user, scope, value, now)
    with_questions = list(
        Objective.objects.filter(pk__in=[o.pk for o in objectives], questions__status="published")
        .distinct()
        .values_list("pk", flat=True)
    )
    if not with_questions:
        raise PracticeError("There are no published questions to practise in that scope yet.")
    mastery = objective_mastery(user, now)
    with transaction.atomic():
        PracticeSession.objects.filter(user=user, ended_at__isnull=True).update(ended_at=now)
        session = PracticeSession.objects.create(
            user=user,
            scope=scope,
            label=label,
            objective_ids=with_questions,
            started_at=now,
            mastery_before={str(o): mastery[o].percent for o in with_questions if o in mastery},
        )
    return serve_next(session=session, now=now, rng=rng)


def _scope(user, scope: str, value: str, now: datetime) -> tuple[list[Objective], str]:
    Scope = PracticeSession.Scope
    if scope == Scope.OBJECTIVE:
        objective = Objective.objects.filter(code=value).first()
        if objective is None:
            raise PracticeError(f"There is no objective {value!r}.", status=400)
        return [objective], objective.title
    if scope == Scope.TASK:
        task = TaskStatement.objects.filter(code=value).first()
        if task is None:
            raise PracticeError(f"There is no task statement {value!r}.", status=400)
        return list(task.objectives.all()), f"Task {task.code}: {task.title}"
    if scope == Scope.ALL:
        return list(Objective.objects.all()), "Every objective"
    if scope == Scope.WEAKEST:
        weakest = weakest_objectives(user, now)
        names = ", ".join(o.title for o in weakest)
        return weakest, f"My weakest objectives: {names}"
    raise PracticeError("Choose what to practise.", status=400)


def serve_next(
    *, session: PracticeSession, now: datetime, rng: random.Random | None = None
) -> PracticeSession:
    """Pick and freeze the next question (see the module docstring for the order)."""
    if not session.is_open:
        raise PracticeError("This practice session has ended.")
    rng = rng or random.Random()
    pool = session.objective_ids
    last = session.current_question_id
    published = Q(question__status=Question.Status.PUBLISHED)
    practised = ReviewCard.objects.filter(user_id=session.user_id).values("question_id")
    chosen_id = (
        Question.objects.published()
        .filter(objective_id__in=pool)
        .exclude(pk=last)
        .exclude(pk__in=practised)
        .order_by("?")
        .values_list("pk", flat=True)
        .first()
    )
    tier, card = 0, None
    if chosen_id is None:
        row = (
            ReviewCard.objects.filter(published, user_id=session.user_id, objective_id__in=pool)
            .exclude(question_id=last)
            .annotate(
                tier=Case(
                    When(last_correct=False, then=Value(1)),
                    When(due__lte=now, then=Value(2)),
                    default=Value(3),
                    output_field=IntegerField(),
                )
            )
            .order_by("tier", "due")
            .values("question_id", "tier", "card", "reviews", "lapses")
            .first()
        )
        if row is None:
            raise PracticeError(
                "You have practised the only question in this scope: choose a wider one."
            )
        chosen_id, tier = row["question_id"], row["tier"]
        card = {"card": row["card"], "reviews": row["reviews"], "lapses": row["lapses"]}
    question = Question.objects.select_related("objective", "case").get(pk=chosen_id)
    choices = list(Choice.objects.filter(question=question).order_by("position", "id"))
    session.current_question = question
    session.current_version = question.version
    session.current_snapshot = ItemSnapshot.freeze(
        question,
        choices,
        rng=rng,
        shuffle=True,
        objective_id=question.objective_id,
        objective={"code": question.objective.code, "title": question.objective.title},
    ).data
    session.current_card = card
    session.current_token = secrets.token_hex(8)
    session.current_checked = False
    session.current_note = TIER_NOTES[tier]
    session.save(
        update_fields=[
            "current_question",
            "current_version",
            "current_snapshot",
            "current_card",
            "current_token",
            "current_checked",
            "current_note",
        ]
    )
    return session


def ensure_current(session: PracticeSession, token: str) -> None:
    if not session.is_open:
        raise PracticeError("This practice session has ended. Start a new one to go on.")
    if session.current_snapshot is None or token != session.current_token:
        raise PracticeError(
            "That question is no longer the one being practised here "
            "(another window moved on). Reload the page."
        )


def check_answer(
    *, user, session_id: int, token: str, data: QueryDict, now: datetime
) -> tuple[PracticeSession, PracticeAnswer]:
    """Grade the learner's answer to the question being practised.

    Lock the session → check the question is still the current one → parse the
    answer against its snapshot → grade → write the answer and the FSRS card.
    A check sent again after it was applied (a retry after a lost reply, a
    double click) returns the stored answer and changes nothing. Raises
    PracticeSession.DoesNotExist (not the learner's), PracticeError and
    AnswerInvalid.
    """
    with transaction.atomic():
        session = PracticeSession.objects.select_for_update().get(pk=session_id, user=user)
        ensure_current(session, token)
        snapshot = ItemSnapshot.from_json(session.current_snapshot)
        response = snapshot.parse_response(data)
        if session.current_checked:
            answer = session.answers.order_by("-answered_at", "-id").first()
            if answer is not None and answer.response == response:
                return session, answer
            raise PracticeError("You have already checked this question. Press Next for another.")
        if response is None:
            raise PracticeError("Choose an answer before you check it.", status=400)
        answer = _record_answer(session, snapshot, response, now)
    return session, answer


def _record_answer(
    session: PracticeSession, snapshot: ItemSnapshot, response: dict[str, Any], now: datetime
) -> PracticeAnswer:
    correct = snapshot.grade(response)
    objective_id = snapshot.data["objective_id"]
    answer = PracticeAnswer.objects.create(
        user_id=session.user_id,
        session=session,
        question_id=session.current_question_id,
        question_version=session.current_version,
        objective_id=objective_id,
        snapshot=snapshot.data,
        response=response,
        is_correct=correct,
        answered_at=now,
    )
    state = session.current_card or {}
    card = Card.from_dict(state["card"]) if state.get("card") else Card()
    card, _ = SCHEDULER.review_card(card, Rating.Good if correct else Rating.Again, now)
    ReviewCard.objects.bulk_create(
        [
            ReviewCard(
                user_id=session.user_id,
                question_id=session.current_question_id,
                objective_id=objective_id,
                card=card.to_dict(),
                due=card.due,
                last_correct=correct,
                reviews=state.get("reviews", 0) + 1,
                lapses=state.get("lapses", 0) + (0 if correct else 1),
            )
        ],
        update_conflicts=True,
        unique_fields=["user", "question"],
        update_fields=["card", "due", "last_correct", "reviews", "lapses"],
    )
    session.current_checked = True
    session.save(update_fields=["current_checked"])
    rollups.record(
        user_id=session.user_id, tallies=[ObjectiveTally(objective_id, int(correct), 1)], at=now
    )
    return answer


def end_session(*, session: PracticeSession, now: datetime) -> PracticeSession:
    if session.is_open:
        session.ended_at = now
        session.save(update_fields=["ended_at"])
    return session


@dataclass(frozen=True)
class ObjectiveChange:
    objective: Objective
    answered: int
    correct: int
    before: int | None
    after: int


@dataclass(frozen=True)
class Summary:
    answered: int
    correct: int
    objectives: list[ObjectiveChange]

    @property
    def improved(self) -> list[ObjectiveChange]:
        """Objectives that moved up on at least one correct answer (a first
        answer that was wrong is no improvement)."""
        return [
            c for c in self.objectives if c.correct > 0 and (c.before is None or c.after > c.before)
        ]


def summarize(session: PracticeSession, now: datetime) -> Summary:
    """What this session covered, and how mastery moved on the objectives it touched."""
    rows = list(
        session.answers.values("objective_id")
        .order_by()
        .annotate(answered=Count("id"), correct=Count("id", filter=Q(is_correct=True)))
    )
    mastery = objective_mastery(session.user, now)
    objectives = Objective.objects.in_bulk([r["objective_id"] for r in rows])
    changes = [
        ObjectiveChange(
            objective=objectives[r["objective_id"]],
            answered=r["answered"],
            correct=r["correct"],
            before=session.mastery_before.get(str(r["objective_id"])),
            after=mastery[r["objective_id"]].percent,
        )
        for r in rows
    ]
    changes.sort(key=lambda c: c.objective.code)
    return Summary(
        answered=sum(c.answered for c in changes),
        correct=sum(c.correct for c in changes),
        objectives=changes,
    )
