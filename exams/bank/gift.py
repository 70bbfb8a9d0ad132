"""Read Moodle GIFT files into `MoodleQuestion` records.

GIFT, as Moodle reads it: questions are separated by blank lines; lines whose
first non-blank characters are `//` are comments; `$CATEGORY: path` sets the
category of the questions after it; `::name::` titles a question; the answers
sit between `{` and `}` (text after the `}` makes a "missing word" question,
with `_____` in the gap). `~` starts a wrong answer, `=` a right one, `~%50%`
gives a weight, `#` the answer's feedback and `####` the general feedback.
`{T}`/`{TRUE}`/`{F}`/`{FALSE}` is true/false (`{T#if wrong#if right}`),
`{=a -> b …}` matching (`= -> b` an extra answer), `{#…}` numerical, `{}`
essay, no braces a description, anything else short answer. `\\~ \\= \\# \\{
\\} \\:` are the characters themselves, `\\n` a newline, `\\\\` a backslash. A text
may start with its format: `[html]`, `[moodle]` (the default), `[markdown]`,
`[plain]`; answers and feedback take the question text's unless they say.
"""

from __future__ import annotations

import re

from exams.bank.moodle import (
    MATCHING,
    MULTICHOICE,
    TRUEFALSE,
    Answer,
    MoodleQuestion,
    SubQuestion,
    Text,
    default_name,
)

# Escaped characters stand in as private-use characters while the text is cut up.
_ESCAPES = {
    ":": "\ue000",
    "#": "\ue001",
    "=": "\ue002",
    "{": "\ue003",
    "}": "\ue004",
    "~": "\ue005",
}
_NEWLINE, _BACKSLASH = "\ue006", "\ue007"
_RESTORE = {v: k for k, v in _ESCAPES.items()} | {_NEWLINE: "\n", _BACKSLASH: "\\"}
_WEIGHT = re.compile(r"^%(-?\d{1,3}(?:\.\d+)?)%")
_FORMAT = re.compile(r"^\[(html|moodle|markdown|plain)\]")
TRUE_WORDS, FALSE_WORDS = ("T", "TRUE"), ("F", "FALSE")


class GiftError(ValueError):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def _protect(text: str) -> str:
    text = text.replace("\\\\", _BACKSLASH).replace("\\n", _NEWLINE)
    for char, placeholder in _ESCAPES.items():
        text = text.replace("\\" + char, placeholder)
    return text


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(char, char) for char in text)


def _text(raw: str, default: str = "moodle") -> Text:
    """A piece of GIFT text with its optional [format] prefix, unescaped."""
    raw = raw.strip()
    match = _FORMAT.match(raw)
    if match:
        return Text(_restore(raw[match.end() :]).strip(), match.group(1))
    return Text(_restore(raw).strip(), default)


def blocks(text: str) -> list[tuple[int, list[str]]]:
    """The file's questions: (first line number, lines), comments removed."""
    result: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("//"):
            continue
        if not line.strip():
            if current:
                result.append((start, current))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        result.append((start, current))
    return result


def parse_gift(text: str) -> list[MoodleQuestion]:
    """Every question of a GIFT file, in order; raises GiftError on a broken one."""
    questions: list[MoodleQuestion] = []
    category = ""
    for line, lines in blocks(text):
        if lines[0].strip().startswith("$CATEGORY:"):
            category = _restore(lines[0].strip()[len("$CATEGORY:") :]).strip()
            lines = lines[1:]
            if not lines:
                continue
        question = _question(f"line {line}", "\n".join(lines).strip())
        question.category = category
        questions.append(question)
    return questions


def _question(where: str, raw: str) -> MoodleQuestion:
    text = _protect(raw)
    name = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end == -1:
            raise GiftError(where, "the question's title opens with '::' but never closes")
        name = _restore(text[2:end]).strip()
        text = text[end + 2 :].strip()

    start, finish = text.find("{"), text.find("}")
    if start == -1 and finish == -1:
        body = _text(text)
        return MoodleQuestion("description", name or default_name(body), body, where)
    if start == -1 or finish == -1 or finish < start:
        raise GiftError(
            where,
            "unbalanced braces: the answers go between '{' and '}' (write \\{ and \\} "
            "for the characters themselves)",
        )
    answers = text[start + 1 : finish].strip()
    # As Moodle does: with text after the answers, the blank takes their place.
    after = text[finish + 1 :]
    stem_raw = text[:start] + ("_____" + after if after.strip() else "")
    stem = _text(stem_raw)
    general = Text("", stem.format)
    separator = answers.rfind("####")
    if separator != -1:
        general = _text(answers[separator + 4 :], stem.format)
        answers = answers[:separator].strip()
    question = MoodleQuestion(
        _qtype(answers), name or default_name(stem), stem, where, general_feedback=general
    )
    if question.qtype == MULTICHOICE:
        question.single = "=" in answers
        question.answers = _choices(answers, stem.format)
    elif question.qtype == MATCHING:
        question.subquestions = _pairs(where, answers, stem.format)
    elif question.qtype == TRUEFALSE:
        question.answers = _true_false(answers, stem.format)
    return question


def _qtype(answers: str) -> str:
    if not answers:
        return "essay"
    if answers.startswith("#"):
        return "numerical"
    if "~" in answers:
        return MULTICHOICE
    if "=" in answers and "->" in answers:
        return MATCHING
    if answers.split("#", 1)[0].strip() in TRUE_WORDS + FALSE_WORDS:
        return TRUEFALSE
    return "shortanswer"


def _split_feedback(raw: str, fmt: str) -> tuple[Text, Text]:
    text, _, feedback = raw.partition("#")
    return _text(text, fmt), _text(feedback, fmt)


def _choices(answers: str, fmt: str) -> list[Answer]:
    result = []
    for raw in re.split(r"(?=[~=])", answers):
        raw = raw.strip()
        if not raw:
            continue
        mark, raw = raw[0], raw[1:].lstrip()
        fraction = 1.0 if mark == "=" else 0.0
        weight = _WEIGHT.match(raw)
        if weight:
            fraction = float(weight.group(1)) / 100
            raw = raw[weight.end() :]
        text, feedback = _split_feedback(raw, fmt)
        result.append(Answer(text, fraction, feedback))
    return result


def _pairs(where: str, answers: str, fmt: str) -> list[SubQuestion]:
    pairs = []
    for raw in answers.split("="):
        raw = raw.strip()
        if not raw:
            continue
        if "->" not in raw:
            raise GiftError(where, f"a matching answer needs 'prompt -> match' (got {raw!r})")
        prompt, _, match = raw.partition("->")
        pairs.append(SubQuestion(_text(prompt, fmt), _restore(match).strip()))
    return pairs


def _true_false(answers: str, fmt: str) -> list[Answer]:
    word, *feedback = answers.split("#", 2)
    wrong = _text(feedback[0], fmt) if feedback else Text("", fmt)
    right = _text(feedback[1], fmt) if len(feedback) > 1 else Text("", fmt)
    is_true = word.strip() in TRUE_WORDS
    # `#…` is shown to a learner who answered wrongly, `#…#…` then to one who was right.
    return [
        Answer(Text("True", "plain"), 1.0 if is_true else 0.0, right if is_true else wrong),
        Answer(Text("False", "plain"), 0.0 if is_true else 1.0, wrong if is_true else right),
    ]
