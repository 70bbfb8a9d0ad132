"""A Moodle question as read from a GIFT or Moodle XML file, before mapping.

Both readers (`exams/bank/gift.py`, `exams/bank/moodle_xml.py`) produce these
plain records; `exams/bank/importing.py` maps them onto the bank's questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Moodle's question types, as Moodle XML names them (GIFT's are mapped to these).
MULTICHOICE, TRUEFALSE, MATCHING, CATEGORY = "multichoice", "truefalse", "matching", "category"
SUPPORTED = (MULTICHOICE, TRUEFALSE, MATCHING)
TYPE_LABELS = {
    MULTICHOICE: "multiple choice",
    TRUEFALSE: "true/false",
    MATCHING: "matching",
    "shortanswer": "short answer",
    "numerical": "numerical",
    "essay": "essay",
    "description": "description (text only, no answer)",
    "multianswer": "embedded answers (cloze)",
    "calculated": "calculated",
    "calculatedsimple": "simple calculated",
    "calculatedmulti": "calculated multichoice",
    "ddwtos": "drag and drop into text",
    "ddimageortext": "drag and drop onto image",
    "ddmarker": "drag and drop markers",
    "gapselect": "select missing words",
    "randomsamatch": "random short-answer matching",
    "ordering": "ordering (Moodle plugin)",
    "random": "random",
}


class MoodleFileError(ValueError):
    """The whole file cannot be read (not well-formed, refused as unsafe, …)."""


@dataclass(frozen=True)
class Text:
    text: str
    format: str = "moodle"


@dataclass(frozen=True)
class Answer:
    text: Text
    fraction: float = 0.0  # 1.0 is full credit; Moodle allows negative ones
    feedback: Text = Text("")


@dataclass(frozen=True)
class SubQuestion:
    """A matching prompt and its answer; an empty prompt is an extra answer."""

    prompt: Text
    answer: str


@dataclass
class MoodleQuestion:
    qtype: str
    name: str
    text: Text
    where: str  # "line 12" or "question 3": to find it in the file
    category: str = ""
    general_feedback: Text = Text("")
    answers: list[Answer] = field(default_factory=list)
    subquestions: list[SubQuestion] = field(default_factory=list)
    # Moodle's "one answer only" (multichoice); None when the file does not say.
    single: bool | None = None
    files: int = 0  # embedded files (images…) found with the question

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.qtype, self.qtype)


def default_name(text: Text) -> str:
    """Moodle names an untitled question after the start of its text (60 characters)."""
    words = " ".join(re.sub(r"<[^>]*>", " ", text.text).split())
    return words if len(words) <= 60 else words[:61].rsplit(" ", 1)[0]
