"""Write the database's bank back in the file format (docs/bank-format.md)."""

from __future__ import annotations

from typing import Any

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

    data: dict[str, Any] = {
        "format": FORMAT,
        "domain": {"code": chosen.code, "title": chosen.title},
        "task_statements": [],
    }
    for statement in tasks:
        objectives = []
        for objective in statement.objectives.all():
            entry = {"code": objective.code, "title": objective.title}
            if objective.summary:
                entry["summary"] = objective.summary
            objectives.append(entry)
        data["task_statements"].append(
            {"code": statement.code, "title": statement.title, "objectives": objectives}
        )
    questions = (
        Question.objects.filter(objective__task_statement__in=tasks)
        .select_related("objective__task_statement")
        .prefetch_related("choices")
        .order_by(
            "objective__task_statement__position",
            "objective__position",
            "objective__code",
            "external_id",
        )
    )
    data["questions"] = [spec_from_question(q).to_dict() for q in questions]
    return dump_bank(data)
