"""Read Moodle XML files into `MoodleQuestion` records.

The file is parsed by defusedxml with DTDs forbidden: Moodle never writes a
DTD, and refusing one refuses entity expansion ("billion laughs") and external
entities before anything is expanded or fetched.

What is read: `<question type="category">` (its `<category><text>` sets the
category of the questions after it), and for each question `<name>`,
`<questiontext format="…">`, `<generalfeedback>`, `<answer fraction="…">` with
its `<feedback>`, `<single>` (one answer or several), and `<subquestion>` with
its `<answer>` for matching. Embedded files (`<file>`, `@@PLUGINFILE@@`) are
counted, not imported. `<shuffleanswers>` is not needed: exams decide shuffling.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from exams.bank.moodle import (
    CATEGORY,
    MATCHING,
    TRUEFALSE,
    Answer,
    MoodleFileError,
    MoodleQuestion,
    SubQuestion,
    Text,
    default_name,
)


def parse_moodle_xml(text: str) -> list[MoodleQuestion]:
    """Every question of a Moodle XML file, in order (categories apply onwards)."""
    try:
        root = fromstring(text.lstrip("\ufeff").encode(), forbid_dtd=True)
    except DefusedXmlException:
        raise MoodleFileError(
            "refused: the file declares a DTD or entities, which Moodle XML never "
            "does (entity expansion could exhaust the server)"
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise MoodleFileError(
            f"not well-formed XML at line {line}, column {column + 1}: {str(exc).split(':')[0]}"
        ) from None
    if root.tag != "quiz":
        raise MoodleFileError(
            f"not a Moodle XML file: its root element is <{root.tag}>, not <quiz>"
        )
    questions: list[MoodleQuestion] = []
    category = ""
    for number, element in enumerate(root.findall("question"), start=1):
        qtype = element.get("type", "")
        if qtype == CATEGORY:
            category = _inner(element.find("category")).strip()
            continue
        question = _question(element, qtype, f"question {number}")
        question.category = category
        questions.append(question)
    return questions


def _inner(element: Element | None) -> str:
    """The `<text>` of an element (CDATA is plain text to the parser)."""
    if element is None:
        return ""
    found = element.find("text")
    return (found.text or "") if found is not None else ""


def _text(element: Element | None, default: str = "html") -> Text:
    if element is None:
        return Text("", default)
    return Text(_inner(element).strip(), element.get("format", default))


def _fraction(raw: str | None) -> float:
    try:
        return float(raw or 0) / 100
    except ValueError:
        return 0.0


def _question(element: Element, qtype: str, where: str) -> MoodleQuestion:
    text = _text(element.find("questiontext"))
    question = MoodleQuestion(
        qtype=qtype,
        name=_inner(element.find("name")).strip() or default_name(text),
        text=text,
        where=where,
        general_feedback=_text(element.find("generalfeedback"), text.format),
        files=len(element.findall(".//file")),
    )
    single = element.findtext("single")
    if single is not None:
        question.single = single.strip().lower() in ("true", "1")
    for answer in element.findall("answer"):
        body = _text(answer, answer.get("format", text.format))
        if qtype == TRUEFALSE:
            word = body.text.strip().lower()
            body = Text("True" if word == "true" else "False" if word == "false" else word, "plain")
        question.answers.append(
            Answer(body, _fraction(answer.get("fraction")), _text(answer.find("feedback")))
        )
    if qtype == MATCHING:
        for sub in element.findall("subquestion"):
            prompt = _text(sub, sub.get("format", text.format))
            question.subquestions.append(SubQuestion(prompt, _inner(sub.find("answer")).strip()))
    return question
