"""The rules every question obeys, whether it comes from a bank file or the admin.

Pure functions over plain data, so the loader and the admin formset give the
same answer with the same words.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import strip_tags

from exams.markdown import sanitize_markdown

SINGLE, MULTIPLE, ORDERING, MATCHING = "single", "multiple", "ordering", "matching"
KINDS = (SINGLE, MULTIPLE, ORDERING, MATCHING)
# Room for a seed reference and two or three documentation URLs.
SOURCE_MAX_LENGTH = 1000
GUIDE_VERSION_MAX_LENGTH = 20


def guide_version_problem(version: str) -> str | None:
    """An exam-guide version is numbers separated by dots, e.g. "1.4"."""
    if len(version) > GUIDE_VERSION_MAX_LENGTH or not re.fullmatch(r"[0-9]+(\.[0-9]+)*", version):
        return (
            'the exam-guide version must be numbers separated by dots, e.g. "1.4" '
            f"(not {version!r})"
        )
    return None


def guide_version_key(version: str) -> tuple[int, ...]:
    """Orders versions as numbers: 1.10 is newer than 1.9."""
    return tuple(int(part) for part in version.split("."))


# kind: (what an option is called, fewest, most)
LIMITS: dict[str, tuple[str, int, int]] = {
    SINGLE: ("choices", 3, 6),
    MULTIPLE: ("choices", 4, 8),
    ORDERING: ("items", 3, 6),
    MATCHING: ("pairs", 3, 7),
}
KIND_LABEL = {
    SINGLE: "a single-answer question",
    MULTIPLE: "a multiple-response question",
    ORDERING: "an ordering question",
    MATCHING: "a matching question",
}


@dataclass(frozen=True)
class Option:
    """A choice (single/multiple), an item in correct order (ordering) or a
    prompt with its `match` (matching)."""

    text: str
    feedback: str = ""
    is_correct: bool = False
    match: str = ""


def option_field(kind: str) -> str:
    return LIMITS[kind][0]


def option_problems(kind: str, options: Sequence[Option]) -> list[str]:
    """Everything wrong with this set of options for a question of `kind`."""
    if kind not in LIMITS:
        return [f"unknown kind {kind!r}; use one of {', '.join(KINDS)}"]
    noun, low, high = LIMITS[kind]
    label = KIND_LABEL[kind]
    problems: list[str] = []
    if not low <= len(options) <= high:
        problems.append(f"{label} needs {low} to {high} {noun} (it has {len(options)})")
    if any(not option.text.strip() for option in options):
        problems.append(f"every one of the {noun} needs text")

    correct = sum(option.is_correct for option in options)
    if kind == SINGLE and correct != 1:
        problems.append(f"{label} needs exactly one correct choice (it has {correct})")
    elif kind == MULTIPLE and correct < 2:
        problems.append(f"{label} needs at least two correct choices (it has {correct})")
    elif kind == MULTIPLE and correct == len(options):
        problems.append(f"{label} needs at least one incorrect choice (all are marked correct)")
    elif kind in (ORDERING, MATCHING) and correct:
        key = "their order" if kind == ORDERING else "the pairs"
        problems.append(f"{noun} of {label} are not marked correct: {key} is the key")

    if kind == MATCHING:
        if any(not option.match.strip() for option in options):
            problems.append("every pair needs a match")
        problems += _repeats("prompt", [option.text for option in options])
        problems += _repeats("match", [option.match for option in options if option.match])
    else:
        if any(option.match for option in options):
            problems.append(f"only matching questions have matches; {label} does not")
        problems += _repeats("text", [option.text for option in options])
    return problems


def blank_markdown_problem(what: str, text: str) -> str | None:
    """Markdown that learners would see as nothing, once sanitized: a stem of
    `<script>x</script>` renders as a blank question. The test is the renderer's
    own output, so it can never disagree with what the page shows."""
    if not text.strip():
        return None
    visible = html.unescape(strip_tags(sanitize_markdown(text)))
    if visible.strip():
        return None
    return (
        f"{what} shows learners nothing once sanitized (scripts, styles, comments and "
        "HTML tags are removed): write it as Markdown text"
    )


def _repeats(what: str, values: Sequence[str]) -> list[str]:
    counts = Counter(value.strip() for value in values)
    return [f"the {what} {value!r} appears {n} times" for value, n in counts.items() if n > 1]
