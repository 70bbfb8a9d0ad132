"""Load bank files into the database and read questions back as specs.

`load_bank_files` validates every file first and changes nothing unless all of
them are clean; then it applies them in one transaction. A question whose
content differs from the database gets its next version; an identical one is
left alone, so loading the same file twice changes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from exams.bank.history import bump_revisions
from exams.bank.importing import ImportOptions, parse_bank_text
from exams.bank.rules import MATCHING, MULTIPLE, SINGLE, Option
from exams.bank.schema import BankError, BankSpec, QuestionSpec, content_hash, dump_bank
from exams.models import (
    Case,
    Choice,
    Domain,
    Objective,
    Question,
    QuestionVersion,
    TaskStatement,
)


class BankInvalid(Exception):
    def __init__(self, errors: Sequence[BankError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the bank files")
        self.errors = list(errors)


@dataclass(frozen=True)
class Conflict:
    """A question changed in the admin since a file last loaded it, which this file
    would change: the load leaves it as it is."""

    file: str
    external_id: str
    fields: list[str]
    never_loaded: bool = False
    what: str = "question"

    def __str__(self) -> str:
        why = (
            "was created in the admin, not loaded from a file,"
            if self.never_loaded
            else "changed in the admin since it was last loaded from a file,"
        )
        return (
            f"{self.file}, {self.what} {self.external_id!r}: {why} and the file differs in "
            f"{', '.join(self.fields)}; left as it is (--overwrite replaces it with the "
            "file's version)"
        )


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    status_changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    # Imported (Moodle) files: questions left out for their type, and what did
    # not carry over; and for each updated question, what changes.
    unsupported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [
            f"{len(self.created)} created",
            f"{len(self.updated)} updated to a new version",
            f"{len(self.status_changed)} with a new status",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.skipped:
            parts.append(f"{len(self.skipped)} already present and left as they are")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} changed in the admin and left as they are")
        if self.unsupported:
            parts.append(f"{len(self.unsupported)} of an unsupported type skipped")
        return ", ".join(parts)


def spec_from_question(question: Question) -> QuestionSpec:
    """The question as a spec; pass questions with `objective` and `choices` loaded."""
    choices = question.choices.all()
    return QuestionSpec(
        external_id=question.external_id,
        objective=question.objective.code,
        kind=question.kind,
        difficulty=question.difficulty,
        stem=question.stem,
        options=tuple(
            Option(text=c.text, feedback=c.feedback, is_correct=c.is_correct, match=c.match)
            for c in sorted(choices, key=lambda c: (c.position, c.id))
        ),
        explanation=question.explanation,
        source=question.source,
        status=question.status,
        case=question.case.external_id if question.case_id else "",
    )


def versioned_content(question: Question) -> dict:
    """What a version records: the question's content and, for a question of a
    case, the case's title and scenario, which learners read with it."""
    content = spec_from_question(question).content()
    if question.case_id:
        content["case_title"] = question.case.title
        content["case_scenario"] = question.case.scenario
    return content


def record_version(question: Question, *, user=None, note: str = "") -> bool:
    """Write a version row if the question's content differs from its latest one.

    Returns True when a new version was written. The admin calls this after an
    instructor saves a question and its choices.
    """
    question = (
        Question.objects.select_related("objective", "case")
        .prefetch_related("choices")
        .get(pk=question.pk)
    )
    content = versioned_content(question)
    latest = question.versions.order_by("-version").first()
    if latest is not None and latest.content == content:
        return False
    number = latest.version + 1 if latest is not None else 1
    QuestionVersion.objects.create(
        question=question, version=number, content=content, created_by=user, note=note
    )
    Question.objects.filter(pk=question.pk).update(version=number)
    question.version = number
    return True


def read_bank_files(
    paths: Iterable[Path | str], options: ImportOptions | None = None
) -> tuple[list[BankSpec], list[BankError]]:
    """Parse files of any supported format (see exams/bank/importing.py)."""
    specs: list[BankSpec] = []
    errors: list[BankError] = []
    for path in paths:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(BankError(str(path), f"cannot be read: {exc}"))
            continue
        spec, file_errors = parse_bank_text(str(path), text, options)
        specs.append(spec)
        errors += file_errors
    return specs, errors


def _cross_check(specs: Sequence[BankSpec]) -> list[BankError]:
    """Problems that only show across files or against the database."""
    errors = _taxonomy_moves(specs) + _case_problems(specs)
    known = set(Objective.objects.values_list("code", flat=True))
    for spec in specs:
        known |= spec.objective_codes()
    owner: dict[str, str] = {}
    for spec in specs:
        for question in spec.questions:
            if question.objective not in known:
                errors.append(
                    BankError(
                        spec.file,
                        f"objective {question.objective!r} is not defined in the file "
                        "or in the database",
                        question.external_id,
                        "objective",
                    )
                )
            other = owner.setdefault(question.external_id, spec.file)
            if other != spec.file:
                errors.append(
                    BankError(
                        spec.file,
                        f"this id is also used in {other}",
                        question.external_id,
                        "id",
                    )
                )
    return errors


def _case_problems(specs: Sequence[BankSpec]) -> list[BankError]:
    """Cases as the run would leave them: defined once, each with at least two
    questions, all on one task statement."""
    errors: list[BankError] = []
    defined: dict[str, str] = {}
    for spec in specs:
        for index, case in enumerate(spec.cases, start=1):
            other = defined.setdefault(case.external_id, spec.file)
            if other != spec.file:
                errors.append(
                    BankError(
                        spec.file,
                        f"case {case.external_id!r} is also defined in {other}",
                        field=f"cases[{index}].id",
                    )
                )
    known = set(defined) | set(Case.objects.values_list("external_id", flat=True))
    task_of = dict(Objective.objects.values_list("code", "task_statement__code"))
    for spec in specs:
        task_of |= {o.code: task.code for task in spec.tasks for o in task.objectives}
    loading = {q.external_id for spec in specs for q in spec.questions}
    members: dict[str, dict[str, str]] = {}  # case -> {question id: task statement}
    for external_id, case, code in Question.objects.filter(case__isnull=False).values_list(
        "external_id", "case__external_id", "objective__task_statement__code"
    ):
        if external_id not in loading:
            members.setdefault(case, {})[external_id] = code
    for spec in specs:
        for question in spec.questions:
            if not question.case:
                continue
            if question.case not in known:
                errors.append(
                    BankError(
                        spec.file,
                        f"case {question.case!r} is not defined in the files or in the database",
                        question.external_id,
                        "case",
                    )
                )
                continue
            task = task_of.get(question.objective, "")
            members.setdefault(question.case, {})[question.external_id] = task
    for spec in specs:
        for index, case in enumerate(spec.cases, start=1):
            questions = members.get(case.external_id, {})
            where = f"cases[{index}].id"
            if len(questions) < 2:
                errors.append(
                    BankError(
                        spec.file,
                        f"case {case.external_id!r} has {len(questions)} question(s); a case "
                        "needs at least 2",
                        field=where,
                    )
                )
            tasks = sorted(set(questions.values()) - {""})
            if len(tasks) > 1:
                errors.append(
                    BankError(
                        spec.file,
                        f"the questions of case {case.external_id!r} are on different task "
                        f"statements ({', '.join(tasks)}); a case stays within one",
                        field=where,
                    )
                )
    return errors


def _taxonomy_moves(specs: Sequence[BankSpec]) -> list[BankError]:
    """A file that files a task statement under another domain (or an objective
    under another task statement) than the database or an earlier file does."""
    parents = {
        "task statement": dict(TaskStatement.objects.values_list("code", "domain__code")),
        "objective": dict(Objective.objects.values_list("code", "task_statement__code")),
    }
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    errors: list[BankError] = []

    def check(spec: BankSpec, what: str, code: str, parent: str, where: str) -> None:
        owner = "domain" if what == "task statement" else "task statement"
        in_db = parents[what].get(code)
        if in_db is not None and in_db != parent:
            errors.append(
                BankError(
                    spec.file,
                    f"{what} {code!r} belongs to {owner} {in_db!r} in the database, not "
                    f"{parent!r}: a bank file never moves it (move it in the admin, or fix "
                    "the file)",
                    field=where,
                )
            )
            return
        earlier, file = seen.setdefault((what, code), (parent, spec.file))
        if earlier != parent:
            errors.append(
                BankError(
                    spec.file,
                    f"{what} {code!r} belongs to {owner} {earlier!r} in {file}, not {parent!r}",
                    field=where,
                )
            )

    for spec in specs:
        for index, task in enumerate(spec.tasks, start=1):
            where = f"task_statements[{index}]"
            check(spec, "task statement", task.code, spec.domain_code, f"{where}.code")
            for o_index, objective in enumerate(task.objectives, start=1):
                o_where = f"{where}.objectives[{o_index}].code"
                check(spec, "objective", objective.code, task.code, o_where)
    return errors


def load_bank_files(
    paths: Iterable[Path | str],
    *,
    only_new: bool = False,
    overwrite: bool = False,
    user=None,
    now: datetime | None = None,
    options: ImportOptions | None = None,
    dry_run: bool = False,
) -> LoadReport:
    """Validate all files, then load them in one transaction (or raise BankInvalid).

    With `only_new`, rows that already exist are left untouched: `make run`
    uses it so that edits made in the admin survive a restart. Otherwise a
    question changed in the admin since a file last loaded it is left as it is
    and listed in `report.conflicts` (the others still load), unless `overwrite`.
    `options` say how Moodle files map onto the bank. With `dry_run`, the load
    runs and is rolled back: the report says exactly what it would do.
    """
    specs, errors = read_bank_files(paths, options)
    return load_bank_specs(
        specs, errors, only_new=only_new, overwrite=overwrite, user=user, now=now, dry_run=dry_run
    )


def load_bank_specs(
    specs: Sequence[BankSpec],
    errors: Sequence[BankError] = (),
    *,
    only_new: bool = False,
    overwrite: bool = False,
    user=None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> LoadReport:
    """`load_bank_files` for files already parsed (the admin's import parses an upload)."""
    errors = [*errors, *_cross_check(specs)]
    if errors:
        raise BankInvalid(errors)
    report = LoadReport()
    for spec in specs:
        report.unsupported += spec.skipped
        report.notes += spec.notes
    with transaction.atomic():
        for spec in specs:
            _apply(
                spec,
                report,
                only_new=only_new,
                overwrite=overwrite,
                user=user,
                now=now or timezone.now(),
            )
        if dry_run:
            # Last: once marked, the block runs no more queries.
            transaction.set_rollback(True)
    return report


def _apply(
    spec: BankSpec, report: LoadReport, *, only_new: bool, overwrite: bool, user, now: datetime
) -> None:
    # An imported (Moodle) file has no blueprint: its questions go to existing objectives.
    if spec.domain_code:
        domain, created = Domain.objects.get_or_create(
            code=spec.domain_code, defaults={"title": spec.domain_title}
        )
        if not created and not only_new and domain.title != spec.domain_title:
            domain.title = spec.domain_title
            domain.save(update_fields=["title"])

    for position, task in enumerate(spec.tasks):
        ts = _upsert(
            TaskStatement,
            only_new,
            code=task.code,
            values={"domain": domain, "title": task.title, "position": position},
        )
        for o_position, objective in enumerate(task.objectives):
            _upsert(
                Objective,
                only_new,
                code=objective.code,
                values={
                    "task_statement": ts,
                    "title": objective.title,
                    "summary": objective.summary,
                    "position": o_position,
                },
            )

    changed_cases = _apply_cases(spec, report, only_new=only_new, overwrite=overwrite)
    objectives = {o.code: o for o in Objective.objects.all()}
    cases = {c.external_id: c for c in Case.objects.all()}
    # Locked so that an admin save of one of these waits, then sees the new revision.
    existing = {
        q.external_id: q
        for q in Question.objects.filter(external_id__in=[q.external_id for q in spec.questions])
        .select_for_update(of=("self",))
        .select_related("objective", "case")
        .prefetch_related("choices")
    }
    note = f"loaded from {Path(spec.file).name}"
    touched: list[int] = []
    for wanted in spec.questions:
        question = existing.get(wanted.external_id)
        if question is None:
            question = Question(external_id=wanted.external_id, updated_by=user)
            _write_question(question, wanted, objectives, cases, status=wanted.status)
            record_version(question, user=user, note=note)
            report.created.append(wanted.external_id)
            continue
        if only_new:
            report.skipped.append(wanted.external_id)
            continue
        current = spec_from_question(question).content()
        content_differs = _differences(current, wanted.content())
        status = wanted.status if wanted.status_given else question.status
        conflict = [] if question.loaded_hash == content_hash(current) else content_differs
        if status != question.status and question.loaded_status != question.status:
            conflict = [*conflict, "status"]
        if conflict and not overwrite:
            report.conflicts.append(
                Conflict(spec.file, wanted.external_id, conflict, not question.loaded_hash)
            )
            continue
        question.loaded_hash = content_hash(wanted.content())
        if wanted.status_given:
            question.loaded_status = wanted.status
        if content_differs:
            report.diffs[wanted.external_id] = content_diff(current, wanted.content())
            _write_question(question, wanted, objectives, cases, status=status)
            record_version(question, user=user, note=note)
            report.updated.append(wanted.external_id)
            touched.append(question.pk)
        elif status != question.status:
            question.status = status
            question.save(update_fields=["status", "loaded_hash", "loaded_status"])
            report.status_changed.append(wanted.external_id)
            touched.append(question.pk)
        else:
            # Bookkeeping only (an admin edit the file now holds too): not a change.
            Question.objects.filter(pk=question.pk).update(
                loaded_hash=question.loaded_hash, loaded_status=question.loaded_status
            )
            report.unchanged.append(wanted.external_id)
    # Their questions show the new scenario: each gets a version that records it.
    for question in Question.objects.filter(case__in=changed_cases):
        if record_version(question, user=user, note=f"case scenario {note}"):
            touched.append(question.pk)
    bump_revisions(touched, user=user, now=now)


def _apply_cases(
    spec: BankSpec, report: LoadReport, *, only_new: bool, overwrite: bool
) -> list[Case]:
    """Create or update the file's cases; returns those whose text changed."""
    existing = {
        c.external_id: c
        for c in Case.objects.filter(
            external_id__in=[c.external_id for c in spec.cases]
        ).select_for_update()
    }
    changed: list[Case] = []
    for wanted in spec.cases:
        case = existing.get(wanted.external_id)
        loaded_hash = content_hash(wanted.content())
        if case is None:
            Case.objects.create(
                external_id=wanted.external_id,
                title=wanted.title,
                scenario=wanted.scenario,
                loaded_hash=loaded_hash,
            )
            continue
        current = {"title": case.title, "scenario": case.scenario}
        differs = _differences(current, wanted.content())
        if only_new or not differs:
            continue
        if case.loaded_hash != content_hash(current) and not overwrite:
            report.conflicts.append(
                Conflict(spec.file, case.external_id, differs, not case.loaded_hash, "case")
            )
            continue
        case.title, case.scenario, case.loaded_hash = wanted.title, wanted.scenario, loaded_hash
        case.save()
        changed.append(case)
    return changed


def content_diff(current: dict, wanted: dict) -> str:
    """A unified diff of two contents, written as the bank file writes them."""
    before = dump_bank(current).splitlines(keepends=True)
    after = dump_bank(wanted).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, "in the database", "in the file", n=1))


def _differences(current: dict, wanted: dict) -> list[str]:
    """The content fields where the database and the file disagree, in file order."""
    keys = [*wanted, *(key for key in current if key not in wanted)]
    return [key for key in keys if current.get(key) != wanted.get(key)]


def _upsert(model, only_new: bool, *, code: str, values: dict):
    obj, created = model.objects.get_or_create(code=code, defaults=values)
    if created or only_new:
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj


def _write_question(
    question: Question, spec: QuestionSpec, objectives: dict, cases: dict, *, status: str
) -> None:
    question.objective = objectives[spec.objective]
    question.case = cases[spec.case] if spec.case else None
    question.kind = spec.kind
    question.difficulty = spec.difficulty
    question.status = status
    if question.pk is None:
        question.loaded_hash = content_hash(spec.content())
        question.loaded_status = spec.status
    question.stem = spec.stem
    question.explanation = spec.explanation
    question.source = spec.source
    question.save()
    question.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(
            question=question,
            position=position,
            text=option.text,
            match=option.match if spec.kind == MATCHING else "",
            is_correct=option.is_correct if spec.kind in (SINGLE, MULTIPLE) else False,
            feedback=option.feedback,
        )
        for position, option in enumerate(spec.options, start=1)
    )
