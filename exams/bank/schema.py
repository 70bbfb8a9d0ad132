"""Parse and validate bank files (docs/bank-format.md) without touching the database.

`parse_bank` turns a file's text into a `BankSpec` plus a list of `BankError`s,
one per problem, each naming the file, the question id and the field.
`QuestionSpec.to_dict` is the canonical form of a question: the exporter writes
it, versions store it, and two specs are the same question when it is equal.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from exams.bank.rules import (
    KINDS,
    MATCHING,
    ORDERING,
    SOURCE_MAX_LENGTH,
    Option,
    blank_markdown_problem,
    option_field,
    option_problems,
)

FORMAT = "quizsite-bank/1"
STATUSES = ("draft", "published", "retired")
DEFAULT_STATUS = "published"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")

TOP_KEYS = {"format", "domain", "task_statements", "cases", "questions"}
CASE_KEYS = {"id", "title", "scenario"}
DOMAIN_KEYS = {"code", "title"}
TASK_KEYS = {"code", "title", "objectives"}
OBJECTIVE_KEYS = {"code", "title", "summary"}
QUESTION_KEYS = {
    "id",
    "objective",
    "kind",
    "difficulty",
    "status",
    "case",
    "stem",
    "choices",
    "items",
    "pairs",
    "explanation",
    "source",
}
OPTION_KEYS = {
    "choices": {"text", "correct", "feedback"},
    "items": {"text", "feedback"},
    "pairs": {"prompt", "match", "feedback"},
}


@dataclass(frozen=True)
class BankError:
    file: str
    message: str
    question: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.question:
            where.append(f"question {self.question!r}")
        if self.field:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class ObjectiveSpec:
    code: str
    title: str
    summary: str = ""


@dataclass(frozen=True)
class TaskSpec:
    code: str
    title: str
    objectives: tuple[ObjectiveSpec, ...] = ()


@dataclass(frozen=True)
class CaseSpec:
    external_id: str
    title: str
    scenario: str

    def content(self) -> dict[str, str]:
        return {"title": self.title, "scenario": self.scenario}

    def to_dict(self) -> dict[str, str]:
        return {"id": self.external_id, **self.content()}


@dataclass(frozen=True)
class QuestionSpec:
    external_id: str
    objective: str
    kind: str
    difficulty: int
    stem: str
    options: tuple[Option, ...]
    explanation: str
    source: str
    status: str = DEFAULT_STATUS
    # Whether the file said `status:` itself; if not, a status set in the admin stays.
    status_given: bool = field(default=False, compare=False)
    case: str = ""

    def content(self) -> dict[str, Any]:
        """Everything a learner could see, by reference for the case: no id or status."""
        case = {"case": self.case} if self.case else {}
        return {
            "objective": self.objective,
            "kind": self.kind,
            "difficulty": self.difficulty,
            **case,
            "stem": self.stem,
            option_field(self.kind): [_option_to_dict(self.kind, o) for o in self.options],
            "explanation": self.explanation,
            "source": self.source,
        }

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.external_id}
        content = self.content()
        for key in ("objective", "kind", "difficulty"):
            data[key] = content.pop(key)
        if self.status != DEFAULT_STATUS:
            data["status"] = self.status
        if self.case:
            data["case"] = content.pop("case")
        data.update(content)
        return data


def content_hash(content: dict[str, Any]) -> str:
    """A fingerprint of a question's content, to tell later whether it changed."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class BankSpec:
    file: str
    domain_code: str = ""
    domain_title: str = ""
    tasks: list[TaskSpec] = field(default_factory=list)
    cases: list[CaseSpec] = field(default_factory=list)
    questions: list[QuestionSpec] = field(default_factory=list)
    # Imported files (Moodle): what was left out, and what did not carry over.
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def objective_codes(self) -> set[str]:
        return {o.code for task in self.tasks for o in task.objectives}


def _option_to_dict(kind: str, option: Option) -> dict[str, Any]:
    if kind == MATCHING:
        data: dict[str, Any] = {"prompt": option.text} if option.text else {}
        data["match"] = option.match
    else:
        data = {"text": option.text}
        if option.is_correct:
            data["correct"] = True
    if option.feedback:
        data["feedback"] = option.feedback
    return data


def normalize_text(value: str) -> str:
    """Newlines as \\n, no trailing spaces on lines, no blank lines at either end."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


class _Reader:
    """Collects errors while walking one file's data."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[BankError] = []

    def error(self, message: str, question: str | None = None, field: str | None = None) -> None:
        self.errors.append(BankError(self.file, message, question, field))

    def mapping(self, value: Any, what: str, question: str | None = None) -> dict | None:
        if not isinstance(value, dict):
            self.error(f"{what} must be a mapping of keys to values", question)
            return None
        return value

    def unknown_keys(
        self, data: dict, allowed: set[str], what: str, question: str | None = None
    ) -> None:
        for key in data:
            if key not in allowed:
                self.error(
                    f"unknown key in {what} (allowed: {', '.join(sorted(allowed))})",
                    question,
                    str(key),
                )

    def text(
        self,
        data: dict,
        key: str,
        what: str,
        question: str | None = None,
        required: bool = True,
        field_name: str | None = None,
        markdown: bool = False,
    ) -> str:
        value = data.get(key)
        name = field_name or key
        if value is None:
            if required:
                self.error(f"{what} is missing", question, name)
            return ""
        if not isinstance(value, str):
            hint = ' (quote it, e.g. "3.3")' if isinstance(value, int | float) else ""
            self.error(f"{what} must be text, not {type(value).__name__}{hint}", question, name)
            return ""
        value = normalize_text(value)
        if not value:
            self.error(f"{what} must not be empty", question, name)
        problem = blank_markdown_problem(what, value) if markdown else None
        if problem:
            self.error(problem, question, name)
        return value


# libyaml's safe loader parses a bank about 15 times faster than the pure-Python
# one, with the same results; PyYAML's wheels ship it, a source build may not.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_bank(file: str, text: str) -> tuple[BankSpec, list[BankError]]:
    """Parse one bank file. The spec is only meaningful when there are no errors."""
    reader = _Reader(file)
    spec = BankSpec(file=file)
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        reader.error(f"not valid YAML or JSON{where}: {problem}")
        return spec, reader.errors

    top = reader.mapping(data, "the file")
    if top is None:
        return spec, reader.errors
    reader.unknown_keys(top, TOP_KEYS, "the file")
    if top.get("format") != FORMAT:
        reader.error(f"format must be {FORMAT!r} (got {top.get('format')!r})", field="format")

    domain = reader.mapping(top.get("domain"), "domain")
    if domain is not None:
        reader.unknown_keys(domain, DOMAIN_KEYS, "domain")
        spec.domain_code = reader.text(domain, "code", "domain code", field_name="domain.code")
        spec.domain_title = reader.text(domain, "title", "domain title", field_name="domain.title")

    spec.tasks = _parse_tasks(reader, top.get("task_statements"))
    spec.cases = _parse_cases(reader, top.get("cases"))
    spec.questions = _parse_questions(reader, top.get("questions"), spec.objective_codes())
    return spec, reader.errors


def _parse_tasks(reader: _Reader, raw: Any) -> list[TaskSpec]:
    if not isinstance(raw, list) or not raw:
        reader.error("task_statements must be a non-empty list", field="task_statements")
        return []
    tasks: list[TaskSpec] = []
    seen_tasks: set[str] = set()
    seen_objectives: set[str] = set()
    for index, raw_task in enumerate(raw, start=1):
        where = f"task_statements[{index}]"
        task = reader.mapping(raw_task, where)
        if task is None:
            continue
        reader.unknown_keys(task, TASK_KEYS, where)
        code = reader.text(task, "code", f"{where} code", field_name=f"{where}.code")
        title = reader.text(task, "title", f"{where} title", field_name=f"{where}.title")
        if code in seen_tasks:
            reader.error(f"task statement {code!r} is listed twice", field=f"{where}.code")
        seen_tasks.add(code)
        objectives: list[ObjectiveSpec] = []
        raw_objectives = task.get("objectives", [])
        if not isinstance(raw_objectives, list):
            reader.error("objectives must be a list", field=f"{where}.objectives")
            raw_objectives = []
        for o_index, raw_objective in enumerate(raw_objectives, start=1):
            o_where = f"{where}.objectives[{o_index}]"
            objective = reader.mapping(raw_objective, o_where)
            if objective is None:
                continue
            reader.unknown_keys(objective, OBJECTIVE_KEYS, o_where)
            o_code = reader.text(objective, "code", "objective code", field_name=f"{o_where}.code")
            o_title = reader.text(
                objective, "title", "objective title", field_name=f"{o_where}.title"
            )
            summary = reader.text(
                objective, "summary", "summary", required=False, field_name=f"{o_where}.summary"
            )
            if o_code in seen_objectives:
                reader.error(f"objective {o_code!r} is listed twice", field=f"{o_where}.code")
            seen_objectives.add(o_code)
            objectives.append(ObjectiveSpec(o_code, o_title, summary))
        tasks.append(TaskSpec(code, title, tuple(objectives)))
    return tasks


def _parse_cases(reader: _Reader, raw: Any) -> list[CaseSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.error("cases must be a list", field="cases")
        return []
    cases: list[CaseSpec] = []
    seen: set[str] = set()
    for index, raw_case in enumerate(raw, start=1):
        where = f"cases[{index}]"
        data = reader.mapping(raw_case, where)
        if data is None:
            continue
        reader.unknown_keys(data, CASE_KEYS, "a case", None)
        cid = data.get("id")
        if not isinstance(cid, str) or not ID_PATTERN.match(cid):
            reader.error(
                f"{where} needs an id of letters, digits, '-' or '_' (at most 100 characters); "
                f"got {cid!r}",
                field=f"{where}.id",
            )
            continue
        if cid in seen:
            reader.error(f"case {cid!r} is listed twice", field=f"{where}.id")
        seen.add(cid)
        title = reader.text(data, "title", "case title", field_name=f"{where}.title")
        scenario = reader.text(
            data, "scenario", "scenario", field_name=f"{where}.scenario", markdown=True
        )
        cases.append(CaseSpec(cid, title, scenario))
    return cases


def _parse_questions(reader: _Reader, raw: Any, objective_codes: set[str]) -> list[QuestionSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.error("questions must be a list", field="questions")
        return []
    questions: list[QuestionSpec] = []
    seen: set[str] = set()
    for index, raw_question in enumerate(raw, start=1):
        data = reader.mapping(raw_question, f"questions[{index}]")
        if data is None:
            continue
        qid = data.get("id")
        if not isinstance(qid, str) or not ID_PATTERN.match(qid):
            reader.error(
                f"questions[{index}] needs an id of letters, digits, '-' or '_' "
                f"(at most 100 characters); got {qid!r}",
                field="id",
            )
            qid = f"questions[{index}]"
        elif qid in seen:
            reader.error("this id is used by another question in the file", qid, "id")
        seen.add(qid)
        question = _parse_question(reader, qid, data)
        if question is not None:
            questions.append(question)
    return questions


def _parse_question(reader: _Reader, qid: str, data: dict) -> QuestionSpec | None:
    errors_before = len(reader.errors)
    reader.unknown_keys(data, QUESTION_KEYS, "a question", qid)
    objective = reader.text(data, "objective", "objective", qid)
    kind = data.get("kind")
    if kind not in KINDS:
        reader.error(f"kind must be one of {', '.join(KINDS)} (got {kind!r})", qid, "kind")
        kind = None
    difficulty = data.get("difficulty", 2)
    if difficulty not in (1, 2, 3) or isinstance(difficulty, bool):
        reader.error(
            f"difficulty must be 1 (easy), 2 (medium) or 3 (hard), not {difficulty!r}",
            qid,
            "difficulty",
        )
    status = data.get("status", DEFAULT_STATUS)
    if status not in STATUSES:
        reader.error(f"status must be one of {', '.join(STATUSES)}", qid, "status")
    case = reader.text(data, "case", "case", qid, required=False)
    stem = reader.text(data, "stem", "stem", qid, markdown=True)
    explanation = reader.text(data, "explanation", "explanation", qid, markdown=True)
    source = reader.text(data, "source", "source", qid)
    if len(source) > SOURCE_MAX_LENGTH:
        reader.error(
            f"source must be at most {SOURCE_MAX_LENGTH} characters (it has {len(source)})",
            qid,
            "source",
        )

    options: list[Option] = []
    if kind is not None:
        expected = option_field(kind)
        for other in OPTION_KEYS:
            if other != expected and other in data:
                reader.error(f"a {kind} question has {expected}, not {other}", qid, other)
        options = _parse_options(reader, qid, kind, data.get(expected), expected)
        for problem in option_problems(kind, options):
            reader.error(problem, qid, expected)

    if len(reader.errors) > errors_before:
        return None
    return QuestionSpec(
        external_id=qid,
        objective=objective,
        kind=kind,
        difficulty=difficulty,
        stem=stem,
        options=tuple(options),
        explanation=explanation,
        source=source,
        status=status,
        status_given="status" in data,
        case=case,
    )


def _parse_options(reader: _Reader, qid: str, kind: str, raw: Any, key: str) -> list[Option]:
    if not isinstance(raw, list):
        reader.error(f"{key} must be a list", qid, key)
        return []
    options = []
    for index, item in enumerate(raw, start=1):
        where = f"{key}[{index}]"
        if kind == ORDERING and isinstance(item, str):
            text = normalize_text(item)
            problem = blank_markdown_problem("text", text)
            if problem:
                reader.error(problem, qid, f"{where}.text")
            options.append(Option(text=text))
            continue
        entry = reader.mapping(item, where, qid)
        if entry is None:
            continue
        reader.unknown_keys(entry, OPTION_KEYS[key], where, qid)
        feedback = reader.text(
            entry, "feedback", "feedback", qid, False, f"{where}.feedback", markdown=True
        )
        if kind == MATCHING:
            # A pair without a prompt is an extra match, the partner of no prompt.
            prompt = reader.text(
                entry,
                "prompt",
                "prompt",
                qid,
                required="prompt" in entry or "match" not in entry,
                field_name=f"{where}.prompt",
                markdown=True,
            )
            match = reader.text(
                entry, "match", "match", qid, field_name=f"{where}.match", markdown=True
            )
            options.append(Option(text=prompt, match=match, feedback=feedback))
            continue
        text = reader.text(entry, "text", "text", qid, field_name=f"{where}.text", markdown=True)
        correct = entry.get("correct", False)
        if not isinstance(correct, bool):
            reader.error("correct must be true or false", qid, f"{where}.correct")
            correct = False
        options.append(Option(text=text, is_correct=correct, feedback=feedback))
    return options


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as people write YAML by hand.
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_bank(data: dict[str, Any]) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=float("inf"), indent=2
    )
