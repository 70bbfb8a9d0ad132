"""Bank files of any supported format: ours (YAML/JSON), Moodle GIFT, Moodle XML.

`parse_bank_text` tells the format from the content (not the file name), reads
it, and for Moodle files maps each question onto the bank's own, so that one
set of rules (`exams/bank/schema.py`, `exams/bank/rules.py`) decides what loads
whatever the file's format:

- multiple choice with one full-credit answer → `single`; with several answers
  of positive weight (Moodle's "multiple answers allowed") → `multiple`, each
  positive answer a key (scored all-or-nothing, as the exam does);
- true/false → `single` with the two choices "True" and "False";
- matching → `matching`; Moodle's extra answers (no prompt) are extra matches;
- anything else (essay, numerical, short answer, cloze…) is an error naming the
  question and its type, or, with `skip_unsupported`, left out and listed.

A Moodle category becomes an objective through `mapping` (by its full path, its
path without `$course$/top/`, or its last part), else `objective`, else it is an
error. Question ids are slugs of the category's last part and the question's
name, numbered `-2`, `-3` … in file order when names repeat: the same file
always gives the same ids, so loading it again changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify

from exams.bank.gift import GiftError, parse_gift
from exams.bank.lint import SELECT_PATTERN
from exams.bank.moodle import (
    MATCHING,
    MULTICHOICE,
    SUPPORTED,
    TRUEFALSE,
    MoodleFileError,
    MoodleQuestion,
)
from exams.bank.moodle_text import PLAIN, to_markdown
from exams.bank.moodle_xml import parse_moodle_xml
from exams.bank.schema import BankError, BankSpec, _parse_questions, _Reader, parse_bank
from exams.snapshots import SELECT_WORDS

YAML, GIFT, MOODLE_XML = "yaml", "gift", "moodle-xml"
FORMAT_LABELS = {YAML: "Quizsite bank (YAML/JSON)", GIFT: "Moodle GIFT", MOODLE_XML: "Moodle XML"}
FULL_CREDIT = 0.9999
_OURS = re.compile(r"^(format|domain|task_statements|cases|questions)\s*:", re.MULTILINE)
_GIFT = re.compile(r"^\s*(::|\$CATEGORY:)|\{[^{}]*\}", re.MULTILINE)
_GIFT_FORMAT = re.compile(r"\[(html|moodle|markdown|plain)\]")
_XML_START = re.compile(r"<(\?xml|!|quiz\b)")


@dataclass(frozen=True)
class ImportOptions:
    """How Moodle questions become the bank's: only Moodle files use these."""

    mapping: Mapping[str, str] = field(default_factory=dict)  # category → objective code
    objective: str = ""  # for questions of a category without a mapping
    skip_unsupported: bool = False


def parse_mapping(values: Sequence[str]) -> dict[str, str]:
    """`CATEGORY=OBJECTIVE` strings (as `--map` takes them) as a dict."""
    mapping: dict[str, str] = {}
    for value in values:
        category, sep, objective = value.rpartition("=")
        if not sep or not category.strip() or not objective.strip():
            raise ValueError(
                f"--map takes CATEGORY=OBJECTIVE, e.g. 'Fine-tuning=3.3.2.1' (got {value!r})"
            )
        mapping[category.strip()] = objective.strip()
    return mapping


def detect_format(text: str) -> str:
    """YAML, GIFT or MOODLE_XML, from the text itself."""
    head = text.lstrip("\ufeff \t\r\n")
    if _XML_START.match(head):
        return MOODLE_XML
    if _GIFT_FORMAT.match(head):
        return GIFT
    if head.startswith("<"):
        # A GIFT question may start with HTML; anything else is for the XML reader to refuse.
        return GIFT if _GIFT.search(text) else MOODLE_XML
    if head.startswith(("{", "[")) or _OURS.search(text):
        return YAML
    if _GIFT.search(text):
        return GIFT
    return YAML  # the YAML reader says what is wrong with it


def parse_bank_text(
    file: str, text: str, options: ImportOptions | None = None
) -> tuple[BankSpec, list[BankError]]:
    """Parse one file of any supported format; the spec is meaningful only without errors."""
    fmt = detect_format(text)
    if fmt == YAML:
        return parse_bank(file, text)
    try:
        records = parse_gift(text) if fmt == GIFT else parse_moodle_xml(text)
    except (GiftError, MoodleFileError) as exc:
        return BankSpec(file=file), [BankError(file, f"{FORMAT_LABELS[fmt]}: {exc}")]
    return moodle_to_spec(file, records, options or ImportOptions())


def category_label(path: str) -> str:
    """A Moodle category path without its context prefix: `$course$/top/A/B` → `A/B`."""
    label = re.sub(r"^\$[a-z0-9_]+\$/?", "", path.strip())
    label = re.sub(r"^top(/|$)", "", label)
    return label.strip("/ ")


def _key(value: str) -> str:
    return " ".join(value.split()).casefold()


def objective_for(category: str, options: ImportOptions) -> str | None:
    mapping = {_key(k): v for k, v in options.mapping.items()}
    label = category_label(category)
    for candidate in (category, label, label.rsplit("/", 1)[-1]):
        if candidate and _key(candidate) in mapping:
            return mapping[_key(candidate)]
    return options.objective or None


def question_ids(records: Sequence[MoodleQuestion]) -> list[str]:
    """Stable ids: the slug of category and name, numbered when it repeats."""
    ids: list[str] = []
    used: set[str] = set()
    for record in records:
        leaf = category_label(record.category).rsplit("/", 1)[-1]
        base = slugify(f"{leaf} {record.name}")[:90].strip("-_") or "question"
        candidate, number = base, 1
        while candidate in used:
            number += 1
            candidate = f"{base}-{number}"
        used.add(candidate)
        ids.append(candidate)
    return ids


def moodle_to_spec(
    file: str, records: Sequence[MoodleQuestion], options: ImportOptions
) -> tuple[BankSpec, list[BankError]]:
    reader = _Reader(file)
    spec = BankSpec(file=file)
    unmapped: dict[str, list[str]] = {}
    raw: list[dict[str, Any]] = []
    for record, qid in zip(records, question_ids(records), strict=True):
        what = f"Moodle question {record.name!r} ({record.where})"
        if record.qtype not in SUPPORTED:
            article = "an" if record.type_label[0] in "aeiou" else "a"
            reason = (
                f"{article} {record.type_label} question, which the bank cannot hold (it holds "
                "multiple choice, multiple response, true/false and matching questions)"
            )
            if options.skip_unsupported:
                spec.skipped.append(f"{qid}: {what} is {reason}")
            else:
                reader.error(
                    f"{what} is {reason}; skip unsupported questions "
                    "(--skip-unsupported) to import the rest",
                    qid,
                    "type",
                )
            continue
        objective = objective_for(record.category, options)
        if objective is None:
            unmapped.setdefault(category_label(record.category), []).append(qid)
            continue
        data, notes = _question_data(record, qid, objective)
        spec.notes += [f"{qid}: {note}" for note in notes]
        raw.append(data)
    for label, ids in unmapped.items():
        where = f"category {label!r}" if label else "questions without a category"
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        reader.error(
            f"{where} ({shown}) has no objective: map it to one "
            f"(--map '{label or 'CATEGORY'}=CODE') or give a default objective (--objective CODE)",
            field="objective",
        )
    spec.questions = _parse_questions(reader, raw, set())
    return spec, reader.errors


def _question_data(
    record: MoodleQuestion, qid: str, objective: str
) -> tuple[dict[str, Any], list[str]]:
    """The question in the bank file's own shape, and notes on what did not carry over."""
    notes: list[str] = []
    media = 0

    def md(text, fmt: str | None = None) -> str:
        nonlocal media
        converted = to_markdown(text.text, fmt or text.format)
        media += converted.media
        return converted.markdown

    stem = md(record.text)
    data: dict[str, Any] = {"id": qid, "objective": objective}
    if record.qtype == MATCHING:
        data["kind"] = "matching"
        pairs = []
        for sub in record.subquestions:
            prompt = md(sub.prompt)
            pair = {"prompt": prompt} if prompt else {}
            pair["match"] = to_markdown(sub.answer, PLAIN).markdown
            pairs.append(pair)
        data["pairs"] = pairs
        key = "; ".join(f"{p['prompt']} → {p['match']}" for p in pairs if "prompt" in p)
        fallback = f"The pairs: {key}."
    else:
        single = record.single if record.qtype == MULTICHOICE else True
        positive = [a for a in record.answers if a.fraction > 0]
        if single is None:
            single = len(positive) <= 1
        if single:
            correct = [a.fraction >= FULL_CREDIT for a in record.answers]
            partial = [a for a in positive if a.fraction < FULL_CREDIT]
            if partial:
                notes.append(
                    f"partial credit ({', '.join(f'{a.fraction:.0%}' for a in partial)}) is "
                    "not kept: only the full-credit answer is correct"
                )
        else:
            correct = [a.fraction > 0 for a in record.answers]
        data["kind"] = "multiple" if not single and sum(correct) >= 2 else "single"
        choices = []
        for answer, is_correct in zip(record.answers, correct, strict=True):
            choice: dict[str, Any] = {"text": md(answer.text)}
            if is_correct:
                choice["correct"] = True
            feedback = md(answer.feedback)
            if feedback:
                choice["feedback"] = feedback
            choices.append(choice)
        data["choices"] = choices
        keys = [c["text"] for c in choices if c.get("correct")]
        if data["kind"] == "multiple" and not SELECT_PATTERN.search(stem):
            stem = f"{stem} (Select {SELECT_WORDS.get(len(keys), len(keys))}.)"
        if record.qtype == TRUEFALSE:
            fallback = f"The statement is {keys[0].lower()}." if keys else ""
        else:
            fallback = (
                f"The correct answer{'s are' if len(keys) > 1 else ' is'}: {'; '.join(keys)}."
            )
    data["stem"] = stem
    explanation = md(record.general_feedback)
    if not explanation:
        explanation = fallback
        notes.append("no general feedback: the explanation states the answer")
    data["explanation"] = explanation
    label = category_label(record.category)
    data["source"] = f"Moodle question {record.name!r}" + (
        f" in category {label!r}" if label else ""
    )
    files = max(media, record.files)
    if files:
        notes.append(f"{files} image(s) or file(s) not imported: add them to the text by hand")
    return data, notes


def count_by_category(records: Sequence[MoodleQuestion]) -> Counter:
    return Counter(category_label(r.category) for r in records)


def read_records(text: str) -> list[MoodleQuestion]:
    """The Moodle questions of a file (for listing its categories); [] for our format."""
    fmt = detect_format(text)
    if fmt == YAML:
        return []
    return parse_gift(text) if fmt == GIFT else parse_moodle_xml(text)
