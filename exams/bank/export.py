"""Write the database's bank back in the file format (docs/bank-format.md).

A bank file holds one domain. Exporting questions of several domains into one
file would file some task statements under the wrong domain, so it is refused.
Task statements are written whole (every objective, in order), so loading an
export never renumbers or drops an objective.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from exams.bank.loader import spec_from_question
from exams.bank.schema import FORMAT, dump_bank
from exams.models import Domain, Question, TaskStatement


class ExportError(Exception):
    pass


def export_bank(*, domain: str | None = None, task: str | None = None) -> str:
    """One domain as bank-file text; `task` narrows it to one task statement."""
    if task is not None:
        statement = TaskStatement.objects.select_related("domain").filter(code=task).first()
        if statement is None:
            raise ExportError(f"there is no task statement {task!r}")
        chosen = statement.domain
        tasks = [statement]
    else:
        domains = Domain.objects.all()
        if domain is not None:
            domains = domains.filter(code=domain)
        found = list(domains[:2])
        if not found:
            raise ExportError(f"there is no domain {domain!r}" if domain else "the bank is empty")
        if len(found) > 1:
            raise ExportError("the bank holds several domains: choose one with --domain")
        chosen = found[0]
        tasks = list(chosen.task_statements.all())
    return _dump(chosen, tasks, Question.objects.filter(objective__task_statement__in=tasks))


def export_questions(questions: QuerySet) -> str:
    """The chosen questions as one bank file, with their task statements whole."""
    domains = sorted(
        set(questions.values_list("objective__task_statement__domain__code", flat=True))
    )
    if len(domains) > 1:
        raise ExportError(
            f"The selected questions come from {len(domains)} domains ({', '.join(domains)}), "
            "and a bank file holds one: select the questions of one domain at a time."
        )
    if not domains:
        raise ExportError("Select at least one question to export.")
    tasks = list(
        TaskStatement.objects.filter(objectives__questions__in=questions)
        .select_related("domain")
        .distinct()
    )
    return _dump(tasks[0].domain, tasks, Question.objects.filter(pk__in=questions.values("pk")))


def _dump(domain: Domain, tasks: Iterable[TaskStatement], questions: QuerySet) -> str:
    data: dict[str, Any] = {
        "format": FORMAT,
        "domain": {"code": domain.code, "title": domain.title},
        "task_statements": [],
    }
    for statement in tasks:
        objectives = []
        for objective in statement.objectives.all():
            entry = {"code": objective.code, "title": objective.title}
            if objective.summary:
                entry["summary"] = objective.summary
            objectives.append(entry)
        task: dict[str, Any] = {"code": statement.code, "title": statement.title}
        if statement.guide_version:
            task["guide_version"] = statement.guide_version
        data["task_statements"].append({**task, "objectives": objectives})
    ordered = (
        questions.select_related("objective__task_statement", "case")
        .prefetch_related("choices")
        .order_by(
            "objective__task_statement__position",
            "objective__position",
            "objective__code",
            "external_id",
        )
    )
    ordered = list(ordered)
    cases = sorted({q.case for q in ordered if q.case_id}, key=lambda c: c.external_id)
    if cases:
        data["cases"] = [
            {"id": c.external_id, "title": c.title, "scenario": c.scenario} for c in cases
        ]
    data["questions"] = [spec_from_question(q).to_dict() for q in ordered]
    return dump_bank(data)
