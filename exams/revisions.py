"""Editing a question safely: drafts, publishing, restoring, duplicating, where used.

A published question is edited into a **draft** (`save_draft`): learners, new
attempts and practice keep the question as it is until `publish_draft` writes
the draft into the question as its next version. Attempts already started keep
their snapshots whatever happens here. `restore_version` makes an earlier
version the next one; `duplicate_question` starts a new draft question from an
existing one; `where_used` says which exams can draw a question and how many
attempts showed it, without naming a learner.

Each function owns its transaction and takes the question's revision the
instructor's page was opened at: a step based on an old page is refused, naming
who changed the question (the same rule as the admin's change form).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q

from exams.bank.history import bump_revisions, stale_edit_message
from exams.bank.loader import (
    _write_question,
    record_version,
    spec_from_question,
    versioned_content,
)
from exams.bank.rules import MATCHING, Option, blank_markdown_problem, option_problems
from exams.bank.schema import QuestionSpec, option_field
from exams.models import (
    Attempt,
    AttemptItem,
    Case,
    Choice,
    Exam,
    ExamArea,
    ExamObjective,
    Objective,
    PracticeAnswer,
    Question,
    QuestionDraft,
    QuestionVersion,
)


class EditRefused(Exception):
    """The step cannot be taken; the message says why. Nothing was changed."""


def spec_from_content(question: Question, content: dict[str, Any]) -> QuestionSpec:
    """The question as it would be with `content` (a version's or a draft's)."""
    kind = content["kind"]
    options = []
    for raw in content.get(option_field(kind), []):
        if isinstance(raw, str):  # an ordering item written as plain text
            raw = {"text": raw}
        options.append(
            Option(
                text=raw.get("prompt", raw.get("text", "")) if kind == MATCHING else raw["text"],
                feedback=raw.get("feedback", ""),
                is_correct=bool(raw.get("correct", False)),
                match=raw.get("match", ""),
            )
        )
    return QuestionSpec(
        external_id=question.external_id,
        objective=content["objective"],
        kind=kind,
        difficulty=content["difficulty"],
        stem=content["stem"],
        options=tuple(options),
        explanation=content["explanation"],
        source=content["source"],
        status=question.status,
        case=content.get("case", ""),
    )


def content_problems(spec: QuestionSpec) -> list[str]:
    """The bank's rules on a spec built here (a draft or an old version)."""
    problems = list(option_problems(spec.kind, spec.options))
    for what, text in (("stem", spec.stem), ("explanation", spec.explanation)):
        problem = blank_markdown_problem(what.capitalize(), text)
        if problem:
            problems.append(problem)
    return problems


def _locked(question_id: int, seen_revision: int) -> Question:
    """The question under a row lock, or EditRefused if it changed since `seen_revision`."""
    try:
        question = Question.objects.select_for_update().get(pk=question_id)
    except Question.DoesNotExist:
        raise EditRefused("That question no longer exists.") from None
    problem = stale_edit_message(question, seen_revision=seen_revision)
    if problem:
        raise EditRefused(problem)
    return question


def _write(question: Question, spec: QuestionSpec) -> None:
    """Write `spec` into the question and its choices (the loader's own writer)."""
    objectives = {o.code: o for o in Objective.objects.filter(code=spec.objective)}
    if spec.objective not in objectives:
        raise EditRefused(f"The objective {spec.objective} no longer exists; nothing was changed.")
    cases = {c.external_id: c for c in Case.objects.filter(external_id=spec.case)}
    if spec.case and spec.case not in cases:
        raise EditRefused(f"The case “{spec.case}” no longer exists; nothing was changed.")
    problems = content_problems(spec)
    if problems:
        raise EditRefused(
            "That content breaks the bank's rules, so nothing was changed: " + "; ".join(problems)
        )
    _write_question(question, spec, objectives, cases, status=question.status)


def current_content(question_id: int) -> dict[str, Any]:
    question = (
        Question.objects.select_related("objective", "case")
        .prefetch_related("choices")
        .get(pk=question_id)
    )
    return versioned_content(question)


def draft_content(content: dict[str, Any], question: Question) -> dict[str, Any]:
    """`content` with the case's title and scenario, as a version would record it."""
    content = dict(content)
    case = Case.objects.filter(external_id=content.get("case", "")).first()
    if case is not None:
        content["case_title"], content["case_scenario"] = case.title, case.scenario
    return content


def save_draft(
    question_id: int, content: dict[str, Any], *, user, now: datetime, seen_revision: int
) -> QuestionDraft:
    """Keep `content` as the question's draft (replacing an older draft).

    The question itself, and so everything learners see, is left as it is; its
    revision moves on, so a page opened before this draft cannot overwrite it.
    """
    with transaction.atomic():
        question = _locked(question_id, seen_revision)
        draft, _ = QuestionDraft.objects.update_or_create(
            question=question,
            defaults={"content": content, "saved_at": now, "saved_by": user},
        )
        bump_revisions([question.pk], user=user, now=now)
    return draft


def discard_draft(question_id: int, *, user, now: datetime, seen_revision: int) -> None:
    with transaction.atomic():
        question = _locked(question_id, seen_revision)
        deleted, _ = QuestionDraft.objects.filter(question=question).delete()
        if not deleted:
            raise EditRefused(f"“{question}” has no draft to discard.")
        bump_revisions([question.pk], user=user, now=now)


def publish_draft(question_id: int, *, user, now: datetime, seen_revision: int) -> int:
    """Make the draft the question's next version; returns the version number.

    New attempts and practice show it from now on; attempts already started
    keep the version they froze.
    """
    with transaction.atomic():
        question = _locked(question_id, seen_revision)
        draft = QuestionDraft.objects.filter(question=question).first()
        if draft is None:
            raise EditRefused(f"“{question}” has no draft to publish.")
        spec = spec_from_content(question, draft.content)
        if _same(spec, question):  # the draft says what the question says
            draft.delete()
            bump_revisions([question.pk], user=user, now=now)
            return question.version
        _write(question, spec)
        record_version(question, user=user, note="draft published")
        question.refresh_from_db(fields=["version"])
        draft.delete()
        bump_revisions([question.pk], user=user, now=now)
    return question.version


def _same(spec: QuestionSpec, question: Question) -> bool:
    stored = (
        Question.objects.select_related("objective", "case")
        .prefetch_related("choices")
        .get(pk=question.pk)
    )
    return spec_from_question(stored).content() == spec.content()


def restore_version(
    question_id: int, number: int, *, user, now: datetime, seen_revision: int
) -> int:
    """Make version `number`'s content the question's next version; returns it.

    The case's title and scenario are not restored: they belong to the case and
    are edited there (its other questions read them too).
    """
    with transaction.atomic():
        question = _locked(question_id, seen_revision)
        old = QuestionVersion.objects.filter(question=question, version=number).first()
        if old is None:
            raise EditRefused(f"“{question}” has no version {number}.")
        spec = spec_from_content(question, old.content)
        if _same(spec, question):
            raise EditRefused(
                f"“{question}” already says what version {number} said; nothing was changed."
            )
        _write(question, spec)
        record_version(question, user=user, note=f"restored from version {number}")
        question.refresh_from_db(fields=["version"])
        bump_revisions([question.pk], user=user, now=now)
    return question.version


def duplicate_question(question_id: int, new_external_id: str, *, user, now: datetime) -> Question:
    """A new draft question with the content of this one, under `new_external_id`."""
    new_external_id = new_external_id.strip()
    try:
        validate_slug(new_external_id)
    except Exception:
        raise EditRefused(
            "An ID is letters, digits, hyphens and underscores only; nothing was created."
        ) from None
    if len(new_external_id) > 100:
        raise EditRefused("An ID has at most 100 characters; nothing was created.")
    with transaction.atomic():
        original = Question.objects.select_related("objective", "case").get(pk=question_id)
        if Question.objects.filter(external_id=new_external_id).exists():
            raise EditRefused(
                f"The ID “{new_external_id}” is taken by another question; nothing was created."
            )
        copy = Question.objects.create(
            external_id=new_external_id,
            objective=original.objective,
            case=original.case,
            kind=original.kind,
            difficulty=original.difficulty,
            status=Question.Status.DRAFT,
            stem=original.stem,
            explanation=original.explanation,
            source=original.source,
            updated_by=user,
        )
        Choice.objects.bulk_create(
            Choice(
                question=copy,
                position=c.position,
                text=c.text,
                match=c.match,
                is_correct=c.is_correct,
                feedback=c.feedback,
            )
            for c in original.choices.all()
        )
        record_version(
            copy,
            user=user,
            note=f"duplicated from {original.external_id} version {original.version}",
        )
    return copy


def free_copy_id(question: Question) -> str:
    """A suggested ID for a duplicate: `<id>-copy`, `-copy-2`, … (the first one free)."""
    base = f"{question.external_id[:90]}-copy"
    taken = set(
        Question.objects.filter(external_id__startswith=base).values_list("external_id", flat=True)
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


@dataclass(frozen=True)
class ExamUse:
    exam: Exam
    can_draw: bool  # the exam's blueprint covers the question's objective
    in_progress: int
    finished: int


@dataclass(frozen=True)
class Usage:
    drawable: bool  # published: new attempts and practice may show it
    exams: list[ExamUse]
    practice_answers: int

    @property
    def attempts(self) -> int:
        return sum(use.in_progress + use.finished for use in self.exams)


def where_used(question: Question) -> Usage:
    """The exams that can draw `question` and those whose attempts showed it, counted.

    Three queries: attempts per exam and status, the exams, the practice answers.
    """
    counts: dict[int, dict[bool, int]] = {}
    rows = (
        AttemptItem.objects.filter(question=question)
        .values_list("attempt__exam", "attempt__status")
        .annotate(n=Count("attempt", distinct=True))
        .order_by()
    )
    for exam_id, status, n in rows:
        open_now = status == Attempt.Status.IN_PROGRESS
        counts.setdefault(exam_id, {True: 0, False: 0})[open_now] += n
    objective = question.objective_id
    # A blueprint covers the objective by its own weight, or by its task statement's or domain's.
    by_objective = ExamObjective.objects.filter(exam=OuterRef("pk"), objective=objective)
    by_area = ExamArea.objects.filter(exam=OuterRef("pk")).filter(
        Q(task_statement__objectives=objective) | Q(domain__task_statements__objectives=objective)
    )
    exams = (
        Exam.objects.annotate(covers=Exists(by_objective) | Exists(by_area))
        .filter(Q(covers=True) | Q(pk__in=counts))
        .order_by("title")
    )
    uses = [
        ExamUse(
            exam=exam,
            can_draw=exam.covers,
            in_progress=counts.get(exam.pk, {}).get(True, 0),
            finished=counts.get(exam.pk, {}).get(False, 0),
        )
        for exam in exams
    ]
    return Usage(
        drawable=question.status == Question.Status.PUBLISHED,
        exams=uses,
        practice_answers=PracticeAnswer.objects.filter(question=question).count(),
    )
