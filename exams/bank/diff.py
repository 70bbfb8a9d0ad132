"""What changed between two contents of a question, readable by an instructor.

A content is the dict a version records (`QuestionSpec.content()`, plus the
case's title and scenario for a question of a case). `content_changes` lists
each field that differs, in the order an instructor reads a question, with a
word-level diff as HTML in which every piece of text is escaped.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from exams.bank.rules import MATCHING, ORDERING

OPTION_KEYS = ("choices", "items", "pairs")
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Change:
    """One field that differs: `label` names it, `html` shows old → new."""

    label: str
    html: SafeString


def word_diff(old: str, new: str) -> SafeString:
    """`old` turned into `new`: removed words in <del>, added ones in <ins>, all escaped.

    Text rewritten more than kept is shown whole, removed then added; otherwise
    changes are joined across the single spaces between them, so that a
    rewritten phrase reads as one change rather than word by word.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if old and new and matcher.ratio() < 0.5:
        return format_html("<del>{}</del> <ins>{}</ins>", old, new)
    spans: list[list] = []  # [op, removed tokens, added tokens]
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = a[i1:i2], b[j1:j2]
        gap = op == "equal" and "".join(removed).isspace()
        if spans and spans[-1][0] == "change" and (op != "equal" or gap):
            spans[-1][1] += removed
            spans[-1][2] += added
        else:
            spans.append(["equal" if op == "equal" else "change", removed, added])
    pieces: list[str] = []
    for op, removed, added in spans:
        if op == "equal":
            pieces.append(escape("".join(removed)))
            continue
        if removed:
            pieces.append(format_html("<del>{}</del>", "".join(removed)))
        if added:
            pieces.append(format_html("<ins>{}</ins>", "".join(added)))
    return mark_safe("".join(pieces))


def _options(content: dict[str, Any]) -> list[dict[str, Any]]:
    for key in OPTION_KEYS:
        if key in content:
            return [o if isinstance(o, dict) else {"text": o} for o in content[key]]
    return []


def _option_noun(kind: str) -> str:
    return {ORDERING: "Item", MATCHING: "Pair"}.get(kind, "Choice")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "correct" if value else "not correct"
    return str(value)


def content_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every field where `new` differs from `old`, as readable diffs."""
    changes: list[Change] = []

    def compare(label: str, before: Any, after: Any) -> None:
        if before != after:
            changes.append(Change(label, word_diff(_text(before), _text(after))))

    for key, label in (("kind", "Kind"), ("objective", "Objective"), ("case", "Case")):
        compare(label, old.get(key, ""), new.get(key, ""))
    compare("Difficulty", old.get("difficulty"), new.get("difficulty"))
    compare("Case title", old.get("case_title", ""), new.get("case_title", ""))
    compare("Case scenario", old.get("case_scenario", ""), new.get("case_scenario", ""))
    compare("Stem", old.get("stem", ""), new.get("stem", ""))

    noun = _option_noun(new.get("kind", old.get("kind", "")))
    before, after = _options(old), _options(new)
    for index in range(max(len(before), len(after))):
        label = f"{noun} {index + 1}"
        if index >= len(before):
            changes.append(Change(f"{label} (added)", _describe(after[index])))
            continue
        if index >= len(after):
            changes.append(Change(f"{label} (removed)", _describe(before[index], removed=True)))
            continue
        was, now = before[index], after[index]
        compare(
            f"{label}: text",
            was.get("text", was.get("prompt", "")),
            now.get("text", now.get("prompt", "")),
        )
        compare(f"{label}: match", was.get("match", ""), now.get("match", ""))
        compare(f"{label}: key", bool(was.get("correct")), bool(now.get("correct")))
        compare(f"{label}: feedback", was.get("feedback", ""), now.get("feedback", ""))

    compare("Explanation", old.get("explanation", ""), new.get("explanation", ""))
    compare("Source", old.get("source", ""), new.get("source", ""))
    return changes


def _describe(option: dict[str, Any], removed: bool = False) -> SafeString:
    text = option.get("text", option.get("prompt", ""))
    parts = [text]
    if option.get("match"):
        parts.append(f"→ {option['match']}")
    if option.get("correct"):
        parts.append("(correct)")
    if option.get("feedback"):
        parts.append(f"— feedback: {option['feedback']}")
    if removed:
        return format_html("<del>{}</del>", " ".join(parts))
    return format_html("<ins>{}</ins>", " ".join(parts))
