"""The rules every question obeys, whether it comes from a bank file or the admin.

Pure functions over plain data, so the loader and the admin formset give the
same answer with the same words.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import strip_tags

from exams.markdown import sanitize_markdown

SINGLE, MULTIPLE, ORDERING, MATCHING = "single", "multiple", "ordering", "matching"
KINDS = (SINGLE, MULTIPLE, ORDERING, MATCHING)
# Room for a seed reference and two or three documentation URLs.
SOURCE_MAX_LENGTH = 1000

# kind: (what an option is called, fewest, most)
LIMITS: dict[str, tuple[str, int, int]] = {
    SINGLE: ("choices", 3, 6),
    MULTIPLE: ("choices", 4, 8),
    ORDERING: ("items", 3, 6),
    MATCHING: ("pairs", 3, 7),
}
# A single-answer question has at least three choices, with one exception: a
# true/false statement, whose two choices are exactly these (Moodle's true/false
# questions import this way).
TRUE_FALSE = ("True", "False")
# A matching question may offer matches that belong to no prompt (Moodle's
# "extra answers"): options with a match and no prompt text, at most this many.
MATCHING_EXTRA_MAX = 3
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


@dataclass(frozen=True)
class RuleFinding:
    """One broken rule: `rows` are the indexes of the options it is about (none:
    the options as a whole), `field` the part of them it is about."""

    message: str
    rows: tuple[int, ...] = ()
    field: str = ""


def option_problems(kind: str, options: Sequence[Option]) -> list[str]:
    """Everything wrong with this set of options for a question of `kind`."""
    return [finding.message for finding in option_findings(kind, options)]


def option_findings(kind: str, options: Sequence[Option]) -> list[RuleFinding]:
    """`option_problems`, each saying which options it is about (for the admin's rows)."""
    if kind not in LIMITS:
        return [RuleFinding(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")]
    noun, low, high = LIMITS[kind]
    label = KIND_LABEL[kind]
    found: list[RuleFinding] = []
    extras = extra_matches(options) if kind == MATCHING else []
    counted = [o for o in options if o not in extras]
    if kind == SINGLE and is_true_false(options):
        pass  # the one kind of single-answer question with two choices
    elif not low <= len(counted) <= high:
        message = f"{label} needs {low} to {high} {noun} (it has {len(counted)})"
        if kind == SINGLE and len(options) == 2:
            message += (
                f"; only a true/false statement has two, with the choices "
                f"{TRUE_FALSE[0]!r} and {TRUE_FALSE[1]!r}"
            )
        found.append(RuleFinding(message))
    blank = _where(options, lambda option: option not in extras and not option.text.strip())
    if blank:
        found.append(RuleFinding(f"every one of the {noun} needs text", blank, "text"))
    if len(extras) > MATCHING_EXTRA_MAX:
        found.append(
            RuleFinding(
                f"{label} has at most {MATCHING_EXTRA_MAX} extra matches without a prompt "
                f"(it has {len(extras)})",
                _where(options, lambda option: option in extras),
                "match",
            )
        )

    correct = sum(option.is_correct for option in options)
    if kind == SINGLE and correct != 1:
        found.append(RuleFinding(f"{label} needs exactly one correct choice (it has {correct})"))
    elif kind == MULTIPLE and correct < 2:
        found.append(RuleFinding(f"{label} needs at least two correct choices (it has {correct})"))
    elif kind == MULTIPLE and correct == len(options):
        found.append(
            RuleFinding(f"{label} needs at least one incorrect choice (all are marked correct)")
        )
    elif kind in (ORDERING, MATCHING) and correct:
        key = "their order" if kind == ORDERING else "the pairs"
        found.append(
            RuleFinding(
                f"{noun} of {label} are not marked correct: {key} is the key",
                _where(options, lambda option: option.is_correct),
                "correct",
            )
        )

    if kind == MATCHING:
        unmatched = _where(options, lambda option: not option.match.strip())
        if unmatched:
            found.append(RuleFinding("every pair needs a match", unmatched, "match"))
        found += _repeats("prompt", [option.text for option in options], "text", True)
        found += _repeats("match", [option.match for option in options], "match", True)
    else:
        matched = _where(options, lambda option: bool(option.match))
        if matched:
            found.append(
                RuleFinding(
                    f"only matching questions have matches; {label} does not", matched, "match"
                )
            )
        found += _repeats("text", [option.text for option in options], "text")
    return found


def _where(options: Sequence[Option], test) -> tuple[int, ...]:
    return tuple(index for index, option in enumerate(options) if test(option))


def is_true_false(options: Sequence[Option]) -> bool:
    """Two choices, exactly "True" and "False" (in either order)."""
    return sorted(option.text for option in options) == sorted(TRUE_FALSE)


def extra_matches(options: Sequence[Option]) -> list[Option]:
    """A matching question's matches that belong to no prompt."""
    return [o for o in options if not o.text.strip() and o.match.strip()]


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


def _repeats(
    what: str, values: Sequence[str], field: str, skip_blank: bool = False
) -> list[RuleFinding]:
    stripped = [value.strip() for value in values]
    counts = Counter(value for value in stripped if value or not skip_blank)
    return [
        RuleFinding(
            f"the {what} {value!r} appears {n} times",
            tuple(index for index, other in enumerate(stripped) if other == value),
            field,
        )
        for value, n in counts.items()
        if n > 1
    ]
