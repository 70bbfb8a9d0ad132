"""Reading Moodle GIFT and Moodle XML files, and their text formats (no database)."""

from pathlib import Path

import pytest

from exams.bank.gift import GiftError, parse_gift
from exams.bank.importing import (
    GIFT,
    MOODLE_XML,
    YAML,
    category_label,
    detect_format,
    question_ids,
)
from exams.bank.moodle import MoodleFileError, MoodleQuestion, Text
from exams.bank.moodle_text import to_markdown
from exams.bank.moodle_xml import parse_moodle_xml

FIXTURES = Path(__file__).parent / "moodle"
GIFT_FILE = (FIXTURES / "aif-c01.gift").read_text(encoding="utf-8")
XML_FILE = (FIXTURES / "aif-c01.xml").read_text(encoding="utf-8")


def by_name(questions: list[MoodleQuestion], name: str) -> MoodleQuestion:
    found = [q for q in questions if q.name == name]
    assert found, f"no question named {name!r}"
    return found[0]


# GIFT ---------------------------------------------------------------------


def test_gift_reads_every_question_with_its_type_and_category():
    questions = parse_gift(GIFT_FILE)

    assert [(q.name, q.qtype) for q in questions] == [
        ("Pre-training data", "multichoice"),
        ("Pre-training cost", "truefalse"),
        ("Pre-training cost", "truefalse"),
        ("Amazon Bedrock reads a fine-tuning data set in {JSON Lines}", "multichoice"),
        ("Fine-tuning benefits", "multichoice"),
        ("Methods and goals", "matching"),
        ("Plain text", "multichoice"),
        ("Learning rate", "multichoice"),
        ("Explain RLHF", "essay"),
        ("Epochs", "numerical"),
        ("PEFT", "shortanswer"),
        ("Read this first", "description"),
    ]
    assert {q.category for q in questions[:4]} == {"$course$/top/AIF-C01/Pre-training"}
    assert {q.category for q in questions[4:]} == {"$course$/top/AIF-C01/Fine-tuning"}


def test_gift_answers_weights_feedback_and_general_feedback():
    question = by_name(parse_gift(GIFT_FILE), "Pre-training data")

    assert question.single is True
    assert question.text == Text(
        "<p>Which data does a foundation model learn from during <strong>pre-training"
        "</strong>?</p>",
        "html",
    )
    assert [(a.text.text, a.fraction, a.feedback.text) for a in question.answers] == [
        ("<p>Large amounts of unlabeled text</p>", 1.0, "Right: pre-training is self-supervised."),
        ("A small labeled data set for one task", 0.0, "That is fine-tuning."),
        (
            "Prompts written by users at inference time",
            0.0,
            "Inference does not change the weights.",
        ),
        ("Human preference rankings", 0.0, "Those come later, in RLHF."),
    ]
    assert question.answers[0].text.format == "html"
    # An answer without a [format] takes the question text's.
    assert question.answers[1].text.format == "html"
    assert question.general_feedback.format == "html"
    assert question.general_feedback.text.startswith("<p>Pre-training is <em>self-supervised")


def test_gift_multiple_response_weights_and_negative_ones():
    question = by_name(parse_gift(GIFT_FILE), "Fine-tuning benefits")

    assert question.single is False
    assert [a.fraction for a in question.answers] == [0.5, 0.5, -1.0, -1.0]
    assert question.answers[2].feedback.text == "No: that is retrieval-augmented generation."


def test_gift_true_false_feedback_goes_to_the_choice_it_answers():
    first, second = [q for q in parse_gift(GIFT_FILE) if q.name == "Pre-training cost"]

    # {F#shown when wrong#shown when right}: choosing True is wrong.
    assert [(a.text.text, a.fraction, a.feedback.text) for a in first.answers] == [
        ("True", 0.0, "No: pre-training needs far more data and compute."),
        ("False", 1.0, "Right: fine-tuning reuses learned weights."),
    ]
    assert first.general_feedback.text.startswith("Fine-tuning starts from learned weights")
    # A question over several lines is one question until the blank line.
    assert first.text.text.startswith("Pre-training a foundation model from scratch usually")
    assert first.text.text.endswith("fine-tuning an existing one.")
    assert [(a.text.text, a.fraction) for a in second.answers] == [("True", 1.0), ("False", 0.0)]


@pytest.mark.parametrize(
    ("answer", "true_is_right"),
    [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE}", False)],
)
def test_gift_true_false_spellings(answer, true_is_right):
    (question,) = parse_gift(f"A statement.{answer}")

    assert question.qtype == "truefalse"
    assert (question.answers[0].fraction == 1.0) is true_is_right


def test_gift_escapes_and_missing_word():
    question = parse_gift(GIFT_FILE)[3]

    assert question.text.text == (
        "Amazon Bedrock reads a fine-tuning data set in {JSON Lines} format: one example per "
        "line = one record. Its records are _____ written as JSON."
    )
    assert [a.text.text for a in question.answers] == [
        "prompt/completion pairs",
        "images",
        "SQL tables",
    ]


def test_gift_escaped_characters_in_answers_and_names():
    (question,) = parse_gift(r"::A \: b \# c::Pick \~ one {=x \= y#fb \# 1 ~\{z\}}")

    assert question.name == "A : b # c"
    assert question.text.text == "Pick ~ one"
    assert [(a.text.text, a.feedback.text) for a in question.answers] == [
        ("x = y", "fb # 1"),
        ("{z}", ""),
    ]


def test_gift_comments_are_skipped_even_inside_a_question():
    text = "::Q::Which one?{\n// a comment among the answers\n=a\n~b\n~c\n}"

    (question,) = parse_gift(text)

    assert [a.text.text for a in question.answers] == ["a", "b", "c"]


def test_gift_matching_keeps_the_extra_answer():
    question = by_name(parse_gift(GIFT_FILE), "Methods and goals")

    assert question.text == Text("Match each **method** to its goal.", "markdown")
    assert [(s.prompt.text, s.answer) for s in question.subquestions] == [
        ("Instruction tuning", "Follow directions and formats"),
        ("Distillation", "A smaller, cheaper model"),
        ("Continued pre-training", "Absorb domain text"),
        ("", "Remove the need for evaluation"),
    ]
    assert (
        question.general_feedback.text == "Each method changes the model for a different purpose."
    )


def test_gift_format_prefixes():
    question = by_name(parse_gift(GIFT_FILE), "Plain text")

    assert question.text.format == "plain"
    assert [(a.text.text, a.text.format) for a in question.answers] == [
        ("#", "plain"),
        ("*", "plain"),
        ("_", "plain"),
    ]


def test_gift_refuses_unbalanced_braces_naming_the_line():
    with pytest.raises(GiftError, match="line 3: unbalanced braces"):
        parse_gift("::A::Fine.{T}\n\n::B:: Broken {=a ~b\n")


# Moodle XML ---------------------------------------------------------------


def test_xml_reads_questions_formats_and_categories():
    questions = parse_moodle_xml(XML_FILE)

    assert [(q.name, q.qtype) for q in questions] == [
        ("Self-supervised", "multichoice"),
        ("Tokens", "truefalse"),
        ("Tokens", "truefalse"),
        ("Data for fine-tuning", "multichoice"),
        ("Customization methods", "matching"),
        ("Explain alignment", "essay"),
        ("Epoch count", "numerical"),
        ("PEFT", "shortanswer"),
        ("Cloze", "multianswer"),
        ("Intro", "description"),
        ("Cost", "calculated"),
        ("Drag words", "ddwtos"),
        ("Select words", "gapselect"),
    ]
    assert questions[0].category == "$course$/top/AIF-C01/Pre-training"
    assert questions[3].category == "$course$/top/AIF-C01/Fine-tuning"


def test_xml_multichoice_with_cdata_fractions_feedback_and_files():
    question = parse_moodle_xml(XML_FILE)[0]

    assert question.single is True
    assert question.text.format == "html"
    assert "<script>" in question.text.text  # CDATA is read as it is; sanitizing comes later
    assert question.files == 1
    assert [(a.fraction, a.feedback.text) for a in question.answers] == [
        (1.0, "<p>Right.</p>"),
        (0.0, "<p>No one labels pre-training data by hand.</p>"),
        (0.0, ""),
    ]
    assert question.general_feedback.text.startswith("<p>The labels come from the data itself")


def test_xml_true_false_matching_and_multiple_answers():
    questions = parse_moodle_xml(XML_FILE)
    true_false, multiple, matching = questions[1], questions[3], questions[4]

    assert [(a.text.text, a.fraction) for a in true_false.answers] == [
        ("True", 0.0),
        ("False", 1.0),
    ]
    assert true_false.text == Text(
        "Pre-training on more tokens\nalways makes a model safer.", "moodle_auto_format"
    )
    assert multiple.single is False
    assert [a.fraction for a in multiple.answers] == [0.5, 0.5, -0.5, -0.5]
    assert multiple.text.format == "plain_text"
    assert [(s.prompt.text, s.answer) for s in matching.subquestions] == [
        ("<p>Fine-tuning</p>", "Weights, from labeled examples"),
        ("<p>Continued pre-training</p>", "Weights, from unlabeled domain text"),
        ("<p>Retrieval-augmented generation</p>", "The prompt, with retrieved documents"),
        ("", "The tokenizer"),
    ]


def test_xml_with_entities_is_refused_before_anything_expands():
    text = (FIXTURES / "billion-laughs.xml").read_text(encoding="utf-8")

    with pytest.raises(MoodleFileError, match="refused: the file declares a DTD or entities"):
        parse_moodle_xml(text)


def test_xml_with_an_external_entity_is_refused():
    text = (
        '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<quiz><question type='essay'><name><text>&x;</text></name></question></quiz>"
    )

    with pytest.raises(MoodleFileError, match="refused"):
        parse_moodle_xml(text)


def test_xml_that_is_not_well_formed_says_where():
    with pytest.raises(MoodleFileError, match="not well-formed XML at line 2, column"):
        parse_moodle_xml("<quiz>\n<question type='essay'></quiz>")


def test_xml_of_another_kind_is_not_taken_for_moodle():
    with pytest.raises(MoodleFileError, match="root element is <html>, not <quiz>"):
        parse_moodle_xml("<html><body>Hello</body></html>")


# Text formats -------------------------------------------------------------


def test_html_is_sanitized_and_written_as_markdown():
    converted = to_markdown(parse_moodle_xml(XML_FILE)[0].text.text, "html")

    assert converted.markdown == "Why is pre-training called **self-supervised**?"
    assert converted.media == 1


def test_html_links_keep_safe_urls_only():
    converted = to_markdown(
        '<p><a href="javascript:alert(1)">bad</a> and <a href="https://aws.amazon.com/">good</a></p>',
        "html",
    )

    assert converted.markdown == "bad and [good](https://aws.amazon.com/)"


def test_plain_text_is_escaped_so_it_shows_as_written():
    assert to_markdown("2 * 3 = 6 and _x_ <b>", "plain").markdown == r"2 \* 3 \= 6 and \_x\_ \<b\>"


def test_moodle_auto_format_keeps_line_breaks():
    converted = to_markdown("First line\nsecond line", "moodle_auto_format")

    assert converted.markdown == "First line<br>\nsecond line"


def test_markdown_is_kept_as_written():
    assert to_markdown("A *token* is `short`.", "markdown").markdown == "A *token* is `short`."


# Detection and ids --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GIFT_FILE, GIFT),
        (XML_FILE, MOODLE_XML),
        ("\ufeff<?xml version='1.0'?><quiz/>", MOODLE_XML),
        ('{"format": "quizsite-bank/1"}', YAML),
        ("format: quizsite-bank/1\nquestions: []\n", YAML),
        ("Is water wet?{T}", GIFT),
        ("just: some yaml", YAML),
        # GIFT questions may start with their text's format, or with HTML.
        ("[markdown]Who is buried in **Grant's tomb**?{=no one ~Grant ~his wife}", GIFT),
        ("[html]<p>Grant is buried in Grant's tomb.</p>{F}", GIFT),
        ("<b>Grant</b> is buried in Grant's tomb.{F}", GIFT),
        (
            "<quiz><question type='cloze'><name><text>{1:SA:=x}</text></name></question></quiz>",
            MOODLE_XML,
        ),
        ("[1, 2]", YAML),
    ],
)
def test_the_format_is_told_from_the_content(text, expected):
    assert detect_format(text) == expected


def test_category_labels_drop_moodle_contexts():
    assert category_label("$course$/top/AIF-C01/Fine-tuning") == "AIF-C01/Fine-tuning"
    assert category_label("$system$/Default") == "Default"
    assert category_label("top") == ""


def test_repeated_names_get_distinct_ids_that_are_the_same_every_time():
    questions = parse_gift(GIFT_FILE)

    ids = question_ids(questions)

    assert ids[:3] == [
        "pre-training-pre-training-data",
        "pre-training-pre-training-cost",
        "pre-training-pre-training-cost-2",
    ]
    assert len(set(ids)) == len(ids)
    assert question_ids(parse_gift(GIFT_FILE)) == ids


def test_xml_questions_without_a_name_are_named_after_their_text():
    (question,) = parse_moodle_xml(
        '<quiz><question type="truefalse"><questiontext format="html">'
        "<text><![CDATA[<p>LoRA trains small adapter matrices.</p>]]></text></questiontext>"
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question></quiz>'
    )

    assert question.name == "LoRA trains small adapter matrices."


def test_gift_missing_word_blank_takes_the_place_of_the_braces():
    (question,) = parse_gift("::Hometown::Jesus Christ was from {=Nazareth ~Jerusalem ~Bethlehem}.")

    assert question.text.text == "Jesus Christ was from _____."


def test_gift_moodle_format_keeps_line_breaks():
    (question,) = parse_gift(r"[moodle]First line\nsecond line{T}")

    assert question.text == Text("First line\nsecond line", "moodle")
    assert to_markdown(question.text.text, question.text.format).markdown == (
        "First line<br>\nsecond line"
    )


def test_links_to_moodle_files_and_pages_keep_their_text_only():
    """Moodle's links to its own files (@@PLUGINFILE@@) and pages are relative: here
    they would lead nowhere."""
    converted = to_markdown(
        '<p><a href="@@PLUGINFILE@@/bonjour.mp3">Listen to this greeting:</a> then '
        '<a href="/mod/page/view.php?id=3">read this</a> or '
        '<a href="https://docs.moodle.org/">the docs</a></p>',
        "html",
    )

    assert converted.markdown == (
        "Listen to this greeting: then read this or [the docs](https://docs.moodle.org/)"
    )
    assert converted.media == 1
