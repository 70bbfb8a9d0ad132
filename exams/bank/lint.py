"""The bank linter: measures the cues a test-wise learner uses instead of knowledge.

Pure functions over `LintItem`s, which are built from parsed bank files
(`item_from_spec`) or from questions in the database (`item_from_question`).
Every `Finding` names a question id, or "bank" for a rate over the whole bank,
and the measure with its figure. docs/bank-format.md ("Linting") lists the
measures, their thresholds and why they are where they are.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, utils

from exams.bank.rules import MATCHING, MULTIPLE, ORDERING, SINGLE, TRUE_FALSE

if TYPE_CHECKING:
    from exams.bank.schema import BankSpec, QuestionSpec
    from exams.models import Question

ERROR, WARNING = "error", "warning"
BANK = "bank"
RETIRED = "retired"

# A rate over fewer items than this says nothing about the bank (one item is 0 % or 100 %).
MIN_SAMPLE = 10
# Chance is 1 / options (25 % with four); outside this band "pick the longest" or
# "never pick the longest" beats guessing.
KEY_LONGEST_RANGE = (0.15, 0.40)
# With 2 keys of 5 options chance is 1 / C(5, 2) = 10 %; a little above that is noise.
KEYS_SHORTEST_MAX = 0.15
# Keys and distractors may differ by this much in how often they carry hedge or
# absolute words. Both rates are low (a tenth of options or less); with ~100 keys
# and ~250 distractors one standard error of the gap is then about 2.5 points, so
# 5 points is twice that: rarely chance, and already "twice as common in keys".
WORD_GAP_MAX = 0.05
# An option this many times the length of its nearest rival stands out on sight.
WIDE_MARGIN = 1.3
# rapidfuzz's ratio (normalized Indel similarity, 0-100) on lowercased text without
# punctuation. Pairs an item writer judged to give each other away scored 75-87 in
# the first edition; unrelated items of one objective stayed below 75.
DUPLICATE_ERROR = 85
DUPLICATE_WARNING = 75
ORDERING_MIN_STEPS = 4
ECHO_MIN_LETTERS = 5


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


HEDGE_WORDS = _word_set(
    "can could may might often typically usually generally commonly frequently "
    "sometimes tends tend likely help helps helping mostly largely partly"
)
ABSOLUTE_WORDS = _word_set(
    "always never only all none regardless guarantee guarantees guaranteed must every "
    "entirely completely solely cannot impossible eliminates eliminate"
)
# Words of five letters or more that say nothing about the answer, or that nearly
# every scenario uses.
STOP_WORDS = _word_set(
    "about above after again against among answer because before being below between "
    "choose company correct could describes doing during every first following further "
    "might model option options organization other select should statement statements "
    "their there these those three through under until where which while whose within "
    "without would"
)
SELECT_PATTERN = re.compile(
    r"\b(?:select|choose|pick)\s+(one|two|three|four|five|six|seven|eight|[1-8])\b",
    re.IGNORECASE,
)
NUMBERS = dict(
    zip(("one", "two", "three", "four", "five", "six", "seven", "eight"), range(1, 9), strict=True)
)
ABOVE_PATTERN = re.compile(r"\b(?:all|none)\s+of\s+the\s+above\b", re.IGNORECASE)
WORD_PATTERN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class LintOption:
    """A choice (single/multiple), an ordering item in correct order, or a prompt
    and its `match` (matching)."""

    text: str
    is_correct: bool = False
    match: str = ""


@dataclass(frozen=True)
class LintItem:
    id: str
    objective: str
    kind: str
    stem: str
    options: tuple[LintOption, ...]
    status: str = "published"

    @property
    def live(self) -> bool:
        """Retired questions are never drawn, so they cannot give another away."""
        return self.status != RETIRED

    @property
    def answerable(self) -> bool:
        """A choice item with keys and distractors: one the loader or admin accepted."""
        return bool(self.keys and self.distractors)

    @property
    def true_false(self) -> bool:
        return self.kind == SINGLE and sorted(o.text for o in self.options) == sorted(TRUE_FALSE)

    @property
    def keys(self) -> list[LintOption]:
        return [o for o in self.options if o.is_correct]

    @property
    def distractors(self) -> list[LintOption]:
        return [o for o in self.options if not o.is_correct]

    def key_texts(self) -> list[str]:
        """What a learner must pick, as text to compare against other items' keys."""
        if self.kind == ORDERING:
            return [" / ".join(o.text for o in self.options)]
        if self.kind == MATCHING:
            return [f"{o.text}: {o.match}" for o in self.options if o.text]
        return [o.text for o in self.keys]


@dataclass(frozen=True)
class Finding:
    severity: str
    question: str
    measure: str
    detail: str

    def __str__(self) -> str:
        return f"{self.severity.upper()} {self.question}: {self.measure}: {self.detail}"


def item_from_spec(spec: QuestionSpec) -> LintItem:
    return LintItem(
        id=spec.external_id,
        objective=spec.objective,
        kind=spec.kind,
        stem=spec.stem,
        options=tuple(LintOption(o.text, o.is_correct, o.match) for o in spec.options),
        status=spec.status,
    )


def item_from_question(question: Question) -> LintItem:
    """Pass a question with `objective` and `choices` loaded."""
    # Imported here so that linting files needs no app registry.
    from exams.bank.loader import spec_from_question

    return item_from_spec(spec_from_question(question))


def lint_specs(specs: Iterable[BankSpec]) -> list[Finding]:
    """Lint the questions of all files as one bank."""
    return lint_items([item_from_spec(q) for spec in specs for q in spec.questions])


def lint_items(items: Sequence[LintItem]) -> list[Finding]:
    """Bank rates first, then each live question's findings in order.

    Retired questions are left out: nobody is shown them (a bank keeps them
    so that a reload retires them everywhere)."""
    live = [item for item in items if item.live]
    findings = bank_findings(live)
    earlier: dict[str, list[LintItem]] = defaultdict(list)
    for item in live:
        findings += question_findings(item)
        findings += duplicate_findings(item, earlier[item.objective])
        earlier[item.objective].append(item)
    return findings


def findings_for_question(question: LintItem, others: Iterable[LintItem]) -> list[Finding]:
    """What the admin shows for one question: its own findings and its
    near-duplicates among the other live questions of its objective."""
    rivals = [
        other
        for other in others
        if other.id != question.id and other.objective == question.objective and other.live
    ]
    return question_findings(question) + duplicate_findings(question, rivals)


def summarize(findings: Sequence[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    questions = {f.question for f in findings if f.question != BANK}
    return (
        f"{counts[ERROR]} error(s), {counts[WARNING]} warning(s) "
        f"({sum(f.question == BANK for f in findings)} on the bank, "
        f"{len(questions)} question(s) with findings)"
    )


# Bank-level rates ---------------------------------------------------------------


def bank_findings(items: Sequence[LintItem]) -> list[Finding]:
    findings = []
    items = [item for item in items if item.answerable]
    # A true/false statement's key is "True" or "False": its length is no cue.
    singles = [item for item in items if item.kind == SINGLE and not item.true_false]
    if len(singles) >= MIN_SAMPLE:
        longest = [item.id for item in singles if _keys_longest(item)]
        rate = len(longest) / len(singles)
        low, high = KEY_LONGEST_RANGE
        if not low <= rate <= high:
            findings.append(
                Finding(
                    ERROR,
                    BANK,
                    "key-longest rate",
                    f"{_pct(rate)} ({len(longest)} of {len(singles)} single-answer keys are "
                    f"the strictly longest option; allowed {_pct(low)}–{_pct(high)})"
                    + _listing(longest, rate > high),
                )
            )
    multiples = [item for item in items if item.kind == MULTIPLE]
    if len(multiples) >= MIN_SAMPLE:
        shortest = [item.id for item in multiples if _keys_shortest(item)]
        rate = len(shortest) / len(multiples)
        if rate > KEYS_SHORTEST_MAX:
            findings.append(
                Finding(
                    ERROR,
                    BANK,
                    "keys-shortest rate",
                    f"{_pct(rate)} ({len(shortest)} of {len(multiples)} multiple-response "
                    f"items have their N keys as the N shortest options; allowed at most "
                    f"{_pct(KEYS_SHORTEST_MAX)})" + _listing(shortest, True),
                )
            )
    chosen = [item for item in items if item.kind in (SINGLE, MULTIPLE)]
    keys = [o.text for item in chosen for o in item.keys]
    distractors = [o.text for item in chosen for o in item.distractors]
    if len(chosen) >= MIN_SAMPLE:
        for measure, words in (
            ("hedge-word gap", HEDGE_WORDS),
            ("absolute-word gap", ABSOLUTE_WORDS),
        ):
            key_rate = _share_with(keys, words)
            distractor_rate = _share_with(distractors, words)
            if abs(key_rate - distractor_rate) > WORD_GAP_MAX:
                findings.append(
                    Finding(
                        ERROR,
                        BANK,
                        measure,
                        f"{_pct(abs(key_rate - distractor_rate))} (in {_pct(key_rate)} of "
                        f"{len(keys)} keys vs {_pct(distractor_rate)} of {len(distractors)} "
                        f"distractors; allowed at most {_pct(WORD_GAP_MAX)})",
                    )
                )
    return findings


def _keys_longest(item: LintItem) -> bool:
    return min(len(o.text) for o in item.keys) > max(len(o.text) for o in item.distractors)


def _keys_shortest(item: LintItem) -> bool:
    return max(len(o.text) for o in item.keys) < min(len(o.text) for o in item.distractors)


def _share_with(texts: Sequence[str], words: frozenset[str]) -> float:
    if not texts:
        return 0.0
    return sum(bool(_tokens(text) & words) for text in texts) / len(texts)


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _listing(ids: Sequence[str], show: bool) -> str:
    return f": {', '.join(ids)}" if show and ids else ""


# One question ---------------------------------------------------------------------


def question_findings(item: LintItem) -> list[Finding]:
    findings: list[Finding] = []

    def add(severity: str, measure: str, detail: str) -> None:
        findings.append(Finding(severity, item.id, measure, detail))

    texts = [item.stem] + [o.text for o in item.options] + [o.match for o in item.options]
    if any(ABOVE_PATTERN.search(text) for text in texts):
        add(ERROR, "all/none of the above", "an option refers to the others")

    if item.kind == ORDERING and len(item.options) < ORDERING_MIN_STEPS:
        add(
            ERROR,
            "ordering steps",
            f"{len(item.options)} steps (at least {ORDERING_MIN_STEPS}: with 3, "
            "common sense often orders them)",
        )

    if item.kind in (SINGLE, MULTIPLE) and item.answerable:
        stated = {NUMBERS.get(n.lower()) or int(n) for n in SELECT_PATTERN.findall(item.stem)}
        count = len(item.keys)
        if stated and stated != {count}:
            says = ", ".join(str(n) for n in sorted(stated))
            add(ERROR, "select count", f"the stem says select {says}; the key has {count}")
        elif not stated and item.kind == MULTIPLE:
            add(ERROR, "select count", f"the stem does not say how many to select ({count})")
        findings += [Finding(s, item.id, m, d) for s, m, d in _choice_cues(item)]

    if item.kind == MATCHING:
        for option in (o for o in item.options if o.text):
            others = [o.match for o in item.options if o is not option]
            echoed = _echo(option.text, [option.match], others)
            if echoed:
                add(
                    WARNING,
                    "pair echo",
                    f"the prompt {option.text!r} shares {_quoted(echoed)} with its match only",
                )
    return findings


def _choice_cues(item: LintItem) -> list[tuple[str, str, str]]:
    cues = []
    if item.true_false:
        return cues
    keys, distractors = item.keys, item.distractors
    key_lengths = [len(o.text) for o in keys]
    distractor_lengths = [len(o.text) for o in distractors]
    few = item.kind == SINGLE
    if min(key_lengths) >= WIDE_MARGIN * max(distractor_lengths):
        cues.append(
            (
                WARNING,
                "key much longer",
                f"{'key' if few else 'shortest key'} {min(key_lengths)} characters, "
                f"longest distractor {max(distractor_lengths)}",
            )
        )
    if WIDE_MARGIN * max(key_lengths) <= min(distractor_lengths):
        cues.append(
            (
                WARNING,
                "key much shorter",
                f"{'key' if few else 'longest key'} {max(key_lengths)} characters, "
                f"shortest distractor {min(distractor_lengths)}",
            )
        )
    hedged = {i for i, o in enumerate(item.options) if _tokens(o.text) & HEDGE_WORDS}
    absolute = {i for i, o in enumerate(item.options) if _tokens(o.text) & ABSOLUTE_WORDS}
    correct = {i for i, o in enumerate(item.options) if o.is_correct}
    if hedged == correct:
        cues.append((WARNING, "hedge cue", "only the key(s) use hedged wording"))
    if absolute and absolute == set(range(len(item.options))) - correct:
        cues.append(
            (WARNING, "absolute cue", "every distractor, and no key, uses absolute wording")
        )
    echoed = _echo(item.stem, [o.text for o in keys], [o.text for o in distractors])
    if echoed:
        cues.append(
            (WARNING, "stem echo", f"{_quoted(echoed)} from the stem appear(s) only in the key")
        )
    return cues


def _echo(source: str, inside: Sequence[str], outside: Sequence[str]) -> list[str]:
    """Content words of `source` found in one of `inside` and none of `outside`."""
    wanted = {w for w in _tokens(source) if len(w) >= ECHO_MIN_LETTERS and w not in STOP_WORDS}
    wanted = {_fold(w) for w in wanted}
    found = set().union(*(_folded(t) for t in inside)) & wanted
    return sorted(found - set().union(*(_folded(t) for t in outside)))


def _tokens(text: str) -> set[str]:
    return set(WORD_PATTERN.findall(text.lower()))


def _fold(word: str) -> str:
    # Plurals are the same cue: "examples" in the stem echoes "example" in the key.
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _folded(text: str) -> set[str]:
    return {_fold(w) for w in _tokens(text)}


def _quoted(words: Sequence[str]) -> str:
    return ", ".join(f"'{w}'" for w in words)


# Near-duplicates within an objective ----------------------------------------------


def duplicate_findings(item: LintItem, rivals: Iterable[LintItem]) -> list[Finding]:
    """The item's near-duplicate stems and keys among `rivals` (same objective)."""
    findings = []
    for other in rivals:
        stem = fuzz.ratio(item.stem, other.stem, processor=utils.default_process)
        key = max(
            (
                fuzz.ratio(mine, theirs, processor=utils.default_process)
                for mine in item.key_texts()
                for theirs in other.key_texts()
            ),
            default=0,
        )
        for measure, score in (("near-duplicate stem", stem), ("near-duplicate key", key)):
            if score >= DUPLICATE_WARNING:
                severity = ERROR if score >= DUPLICATE_ERROR else WARNING
                findings.append(
                    Finding(severity, item.id, measure, f"{other.id} (similarity {score:.0f})")
                )
    return findings
