"""load_bank reads Moodle GIFT and Moodle XML files: mapping, rules, dry run, idempotence."""

import random
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from exams.bank.importing import ImportOptions
from exams.bank.loader import BankInvalid, load_bank_files
from exams.models import Choice, Question, QuestionVersion
from exams.snapshots import ItemSnapshot
from tests.exams.test_bank_loader import counts

FIXTURES = Path(__file__).parent / "moodle"
GIFT = FIXTURES / "aif-c01.gift"
XML = FIXTURES / "aif-c01.xml"
MAP = {"Pre-training": "3.3.1.1", "Fine-tuning": "3.3.2.1"}
OPTIONS = ImportOptions(MAP, skip_unsupported=True)
MAP_ARGS = ["--map", "Pre-training=3.3.1.1", "--map", "AIF-C01/Fine-tuning=3.3.2.1"]


@pytest.fixture
def blueprint(db):
    load_bank_files([FIXTURES / "blueprint.yaml"])


def question(external_id: str) -> Question:
    return Question.objects.prefetch_related("choices").get(external_id=external_id)


def options_of(q: Question) -> list[tuple]:
    return [(c.text, c.match, c.is_correct, c.feedback) for c in q.choices.all()]


def test_a_gift_file_loads_every_supported_type(blueprint):
    report = load_bank_files([GIFT], options=OPTIONS)

    assert report.created == [
        "pre-training-pre-training-data",
        "pre-training-pre-training-cost",
        "pre-training-pre-training-cost-2",
        "pre-training-amazon-bedrock-reads-a-fine-tuning-data-set-in-json-lines",
        "fine-tuning-fine-tuning-benefits",
        "fine-tuning-methods-and-goals",
        "fine-tuning-plain-text",
        "fine-tuning-learning-rate",
    ]
    single = question("pre-training-pre-training-data")
    assert (single.kind, single.objective.code, single.status) == ("single", "3.3.1.1", "published")
    assert single.stem == "Which data does a foundation model learn from during **pre-training**?"
    assert single.explanation == (
        "Pre-training is *self-supervised*: the model predicts the next token of massive "
        "unlabeled corpora."
    )
    assert options_of(single)[0] == (
        "Large amounts of unlabeled text",
        "",
        True,
        "Right: pre-training is self-supervised.",
    )
    assert single.source == "Moodle question 'Pre-training data' in category 'AIF-C01/Pre-training'"

    true_false = question("pre-training-pre-training-cost")
    assert true_false.kind == "single"
    assert options_of(true_false) == [
        ("True", "", False, "No: pre-training needs far more data and compute."),
        ("False", "", True, "Right: fine-tuning reuses learned weights."),
    ]
    # No general feedback: the explanation states the answer.
    assert question("pre-training-pre-training-cost-2").explanation == "The statement is true."

    multiple = question("fine-tuning-fine-tuning-benefits")
    assert multiple.kind == "multiple"
    assert multiple.stem.endswith("(Select TWO.)")
    assert [c.is_correct for c in multiple.choices.all()] == [True, True, False, False]

    matching = question("fine-tuning-methods-and-goals")
    assert matching.kind == "matching"
    assert options_of(matching) == [
        ("Instruction tuning", "Follow directions and formats", False, ""),
        ("Distillation", "A smaller, cheaper model", False, ""),
        ("Continued pre-training", "Absorb domain text", False, ""),
        ("", "Remove the need for evaluation", False, ""),
    ]
    plain = question("fine-tuning-plain-text")
    assert plain.stem == r"In Markdown, which character starts a heading: \* or #?"
    assert [c.text for c in plain.choices.all()] == [r"\#", r"\*", r"\_"]


def test_an_xml_file_loads_sanitized_with_its_formats(blueprint):
    report = load_bank_files([XML], options=OPTIONS)

    assert report.created == [
        "pre-training-self-supervised",
        "pre-training-tokens",
        "pre-training-tokens-2",
        "fine-tuning-data-for-fine-tuning",
        "fine-tuning-customization-methods",
    ]
    first = question("pre-training-self-supervised")
    assert first.stem == "Why is pre-training called **self-supervised**?"
    assert "javascript" not in first.explanation and "script" not in first.stem
    assert first.explanation == (
        "The labels come from the data itself: the next token is the target. See "
        "[the Bedrock guide](https://docs.aws.amazon.com/bedrock/)."
    )
    tokens = question("pre-training-tokens")
    assert tokens.stem == "Pre-training on more tokens<br>\nalways makes a model safer."
    assert [(c.text, c.is_correct) for c in tokens.choices.all()] == [
        ("True", False),
        ("False", True),
    ]
    assert question("pre-training-tokens-2").stem == "A *token* is often a piece of a word."
    multiple = question("fine-tuning-data-for-fine-tuning")
    assert multiple.kind == "multiple"
    # The stem already says how many: nothing is added.
    assert multiple.stem == (
        r"Which make a good fine-tuning data set? Choose two that apply (2 \* 1 \= 2)."
    )
    matching = question("fine-tuning-customization-methods")
    assert [(c.text, c.match) for c in matching.choices.all()][-1] == ("", "The tokenizer")


def test_what_does_not_carry_over_is_said(blueprint):
    report = load_bank_files([XML], options=OPTIONS)

    assert (
        "pre-training-self-supervised: 1 image(s) or file(s) not imported: add them to the "
        "text by hand" in report.notes
    )
    assert "pre-training-tokens-2: no general feedback: the explanation states the answer" in (
        report.notes
    )
    gift = load_bank_files([GIFT], options=OPTIONS)
    assert (
        "fine-tuning-learning-rate: partial credit (50%) is not kept: only the full-credit "
        "answer is correct" in gift.notes
    )


def test_unsupported_types_are_errors_naming_each_question(blueprint):
    before = counts()
    with pytest.raises(BankInvalid) as raised:
        load_bank_files([XML], options=ImportOptions(MAP))

    lines = [str(e) for e in raised.value.errors]
    assert len(lines) == 8
    assert lines[0] == (
        f"{XML}, question 'fine-tuning-explain-alignment', field 'type': Moodle question "
        "'Explain alignment' (question 8) is an essay question, which the bank cannot hold "
        "(it holds multiple choice, multiple response, true/false and matching questions); "
        "skip unsupported questions (--skip-unsupported) to import the rest"
    )
    for name, label in [
        ("Epoch count", "numerical"),
        ("PEFT", "short answer"),
        ("Cloze", "embedded answers (cloze)"),
        ("Intro", "description (text only, no answer)"),
        ("Cost", "calculated"),
        ("Drag words", "drag and drop into text"),
        ("Select words", "select missing words"),
    ]:
        article = "an" if label[0] in "aeiou" else "a"
        assert any(
            f"'{name}'" in line and f"is {article} {label} question" in line for line in lines
        )
    assert counts() == before


def test_skipped_questions_are_listed_with_their_reason(blueprint):
    report = load_bank_files([GIFT], options=OPTIONS)

    assert report.unsupported == [
        "fine-tuning-explain-rlhf: Moodle question 'Explain RLHF' (line 65) is an essay "
        "question, which the bank cannot hold (it holds multiple choice, multiple response, "
        "true/false and matching questions)",
        "fine-tuning-epochs: Moodle question 'Epochs' (line 68) is a numerical question, which "
        "the bank cannot hold (it holds multiple choice, multiple response, true/false and "
        "matching questions)",
        "fine-tuning-peft: Moodle question 'PEFT' (line 71) is a short answer question, which "
        "the bank cannot hold (it holds multiple choice, multiple response, true/false and "
        "matching questions)",
        "fine-tuning-read-this-first: Moodle question 'Read this first' (line 74) is a "
        "description (text only, no answer) question, which the bank cannot hold (it holds "
        "multiple choice, multiple response, true/false and matching questions)",
    ]
    assert "4 of an unsupported type skipped" in report.summary()


def test_a_category_without_an_objective_is_an_error(blueprint):
    with pytest.raises(BankInvalid) as raised:
        load_bank_files([GIFT], options=ImportOptions({"Pre-training": "3.3.1.1"}, "", True))

    (error,) = raised.value.errors
    assert str(error) == (
        f"{GIFT}, field 'objective': category 'AIF-C01/Fine-tuning' (fine-tuning-fine-tuning-"
        "benefits, fine-tuning-methods-and-goals, fine-tuning-plain-text, fine-tuning-learning-"
        "rate) has no objective: map it to one (--map 'AIF-C01/Fine-tuning=CODE') or give a "
        "default objective (--objective CODE)"
    )


def test_unmapped_categories_go_to_the_default_objective(blueprint):
    load_bank_files([GIFT], options=ImportOptions({"Pre-training": "3.3.1.1"}, "3.3.2.1", True))

    assert question("fine-tuning-methods-and-goals").objective.code == "3.3.2.1"
    assert question("pre-training-pre-training-data").objective.code == "3.3.1.1"


def test_a_mapping_to_an_unknown_objective_is_an_error(blueprint):
    with pytest.raises(BankInvalid) as raised:
        load_bank_files([GIFT], options=ImportOptions({}, "9.9.9", True))

    assert "objective '9.9.9' is not defined in the file or in the database" in str(
        raised.value.errors[0]
    )


def test_questions_that_break_the_bank_rules_are_refused_by_the_same_rules(blueprint, tmp_path):
    path = tmp_path / "two.gift"
    path.write_text("::Two::Pick one.{=yes ~no}\n", encoding="utf-8")

    with pytest.raises(BankInvalid) as raised:
        load_bank_files([path], options=ImportOptions(objective="3.3.1.1"))

    assert str(raised.value.errors[0]) == (
        f"{path}, question 'two', field 'choices': a single-answer question needs 3 to 6 "
        "choices (it has 2); only a true/false statement has two, with the choices 'True' "
        "and 'False'"
    )


def test_loading_the_same_file_twice_changes_nothing(blueprint):
    load_bank_files([GIFT, XML], options=OPTIONS)
    before = counts()

    report = load_bank_files([GIFT, XML], options=OPTIONS)

    assert report.created == [] and report.updated == []
    assert len(report.unchanged) == 13
    assert counts() == before


def test_the_command_dry_run_prints_and_changes_nothing(blueprint, capsys):
    before = counts()

    call_command("load_bank", str(GIFT), *MAP_ARGS, "--skip-unsupported", "--dry-run")

    out = capsys.readouterr().out
    assert out.startswith("Dry run, nothing was changed. Loading would give: 8 created")
    assert "Would add fine-tuning-methods-and-goals" in out
    assert "Would skip fine-tuning-epochs: Moodle question 'Epochs' (line 68)" in out
    assert "Note: fine-tuning-learning-rate: partial credit (50%) is not kept" in out
    assert counts() == before


def test_the_dry_run_shows_what_a_changed_file_would_change(blueprint, capsys, tmp_path):
    call_command("load_bank", str(GIFT), *MAP_ARGS, "--skip-unsupported")
    changed = tmp_path / "changed.gift"
    changed.write_text(
        GIFT.read_text().replace("~Human preference rankings", "~Human feedback scores"),
        encoding="utf-8",
    )
    capsys.readouterr()

    call_command("load_bank", str(changed), *MAP_ARGS, "--skip-unsupported", "--dry-run")

    out = capsys.readouterr().out
    assert "1 updated to a new version" in out and "7 unchanged" in out
    assert "Would change pre-training-pre-training-data:" in out
    assert "-  - text: Human preference rankings" in out
    assert "+  - text: Human feedback scores" in out
    assert question("pre-training-pre-training-data").version == 1


def test_the_command_lists_errors_and_loads_nothing(blueprint, capsys):
    before = counts()
    with pytest.raises(CommandError, match="4 problem"):
        call_command("load_bank", str(GIFT), *MAP_ARGS)

    err = capsys.readouterr().err
    assert "'Explain RLHF' (line 65) is an essay question" in err
    assert counts() == before


def test_the_command_refuses_a_malformed_map(blueprint):
    with pytest.raises(CommandError, match="--map takes CATEGORY=OBJECTIVE"):
        call_command("load_bank", str(GIFT), "--map", "Pre-training")


def test_the_command_refuses_an_xml_bomb_with_a_clear_message(blueprint, capsys):
    with pytest.raises(CommandError, match="1 problem"):
        call_command("load_bank", str(FIXTURES / "billion-laughs.xml"), "--objective", "3.3.1.1")

    assert "Moodle XML: refused: the file declares a DTD or entities" in capsys.readouterr().err


def test_a_gift_file_with_a_txt_name_is_read_as_gift(blueprint, tmp_path):
    path = tmp_path / "export.txt"
    shutil.copy(GIFT, path)

    report = load_bank_files([path], options=OPTIONS)

    assert len(report.created) == 8


def test_an_admin_edit_of_an_imported_question_is_not_overwritten(blueprint):
    load_bank_files([GIFT], options=OPTIONS)
    edited = question("fine-tuning-plain-text")
    edited.stem = "Edited in the admin."
    edited.save()

    report = load_bank_files([GIFT], options=OPTIONS)

    assert [c.external_id for c in report.conflicts] == ["fine-tuning-plain-text"]
    assert question("fine-tuning-plain-text").stem == "Edited in the admin."


def test_export_stays_in_our_format_and_loads_back(blueprint, tmp_path):
    load_bank_files([GIFT], options=OPTIONS)
    exported = tmp_path / "export.yaml"

    call_command("export_bank", "-o", str(exported))

    text = exported.read_text()
    assert text.startswith("format: quizsite-bank/1")
    assert "  - match: Remove the need for evaluation\n" in text
    versions = QuestionVersion.objects.count()
    report = load_bank_files([exported])
    assert report.updated == [] and len(report.unchanged) == 8
    assert QuestionVersion.objects.count() == versions


def test_an_extra_match_is_offered_but_is_nobody_s_partner(blueprint):
    load_bank_files([GIFT], options=OPTIONS)
    matching = question("fine-tuning-methods-and-goals")
    choices = list(Choice.objects.filter(question=matching))

    snapshot = ItemSnapshot.freeze(matching, choices, rng=random.Random(3), shuffle=True)

    assert len(snapshot.data["options"]) == 3
    assert sorted(m["text"] for m in snapshot.data["matches"]) == [
        "A smaller, cheaper model",
        "Absorb domain text",
        "Follow directions and formats",
        "Remove the need for evaluation",
    ]
    extra = next(m["id"] for m in snapshot.data["matches"] if m["text"].startswith("Remove"))
    assert extra not in snapshot.key.values()
    assert snapshot.grade({"matches": dict(snapshot.key)})
    wrong = dict(snapshot.key)
    wrong[next(iter(wrong))] = extra
    assert not snapshot.grade({"matches": wrong})


# --- files laid out as Moodle's own export writes them -------------------------

EXPORT_GIFT = FIXTURES / "moodle-export.gift"
EXPORT_XML = FIXTURES / "moodle-export.xml"
# A full category path, and a nested category by its last part.
EXPORT_MAP = [
    "--map",
    "$course$/top/Default for AIF-C01/Evaluation=3.3.1.1",
    "--map",
    "Metrics=3.3.2.1",
]
EXPORT_SKIPPED = [
    ("metrics-describe-bertscore", "Describe BERTScore", "an essay"),
    ("metrics-threshold", "Threshold", "a numerical"),
    ("metrics-acronym", "Acronym", "a short answer"),
    ("metrics-about-this-section", "About this section", "a description (text only, no answer)"),
]


def load_export(capsys, path, *args) -> str:
    call_command("load_bank", str(path), *EXPORT_MAP, *args)
    return capsys.readouterr().out


def test_a_moodle_gift_export_loads_every_mapped_type(blueprint, capsys):
    out = load_export(capsys, EXPORT_GIFT, "--skip-unsupported")

    assert "Bank loaded: 4 created" in out
    for external_id, name, article_type in EXPORT_SKIPPED:
        assert f"Skipped {external_id}: Moodle question '{name}' (line" in out
        assert f"is {article_type} question, which the bank cannot hold" in out
    # Two questions named "Benchmark" in one category: distinct ids, in file order.
    single = question("evaluation-benchmark")
    assert (single.kind, single.objective.code) == ("single", "3.3.1.1")
    # [html] with Moodle's escapes; the link to a Moodle file keeps its text only.
    assert single.stem == (
        "Which metric compares a generated summary with a reference summary?\n\nSee the handout."
    )
    assert options_of(single) == [
        ("ROUGE", "", True, "Right: it counts overlapping n-grams."),
        ("Perplexity", "", False, "That scores a model's own predictions, with no reference."),
        ("Latency", "", False, "Speed, not quality."),  # its feedback in [plain]
        ("F1 score of a classifier", "", False, "That needs class labels."),
    ]
    assert single.explanation == (
        "ROUGE is recall-oriented: see "
        "[Amazon Bedrock model evaluation](https://aws.amazon.com/bedrock/)."
    )
    true_false = question("evaluation-benchmark-2")
    assert options_of(true_false) == [
        ("True", "", False, "It needs people's time for every output."),
        ("False", "", True, "Right."),
    ]
    assert true_false.explanation == "Automatic metrics cost compute only."
    # Three keys of 33.33333 % and a negative one: multiple response, the stem says how many.
    multiple = question("evaluation-evaluation-methods")
    assert multiple.kind == "multiple"
    assert [c.is_correct for c in multiple.choices.all()] == [True, True, True, False]
    assert multiple.stem == "Which of these evaluate a fine-tuned model? (Choose three.)"
    matching = question("metrics-metric-to-task")
    assert (matching.kind, matching.objective.code) == ("matching", "3.3.2.1")
    assert matching.stem == "Match each metric<br>\nto the task it scores."  # [moodle]
    assert [(c.text, c.match) for c in matching.choices.all()] == [
        ("BLEU", "Translation"),
        ("ROUGE", "Summarization"),
        ("**Accuracy**", "Classification"),  # its prompt in [markdown]
        ("", "Image generation"),
    ]
    assert matching.explanation == "Each metric suits *one* kind of output."


def test_a_moodle_xml_export_loads_every_mapped_type(blueprint, capsys):
    out = load_export(capsys, EXPORT_XML, "--skip-unsupported")

    assert "Bank loaded: 4 created" in out
    for external_id, name, article_type in [
        *EXPORT_SKIPPED,
        ("metrics-metric-names", "Metric names", "an embedded answers (cloze)"),
    ]:
        assert f"Skipped {external_id}: Moodle question '{name}' (question" in out
        assert f"is {article_type} question" in out
    assert "Note: evaluation-benchmark: 1 image(s) or file(s) not imported" in out
    single = question("evaluation-benchmark")
    assert single.stem == "Which metric compares a generated summary with a reference summary?"
    # Moodle's combined feedback, hints and tags are not kept; each answer's feedback is.
    assert options_of(single) == [
        ("ROUGE", "", True, "Right."),
        ("Perplexity", "", False, "No reference is involved."),
        ("Latency \\< 1 s", "", False, "Speed, not quality."),  # plain text, escaped
    ]
    multiple = question("evaluation-benchmark-2")  # the same name again
    assert (multiple.kind, multiple.stem) == (
        "multiple",
        "Which are **automatic** metrics? (Choose two.)",
    )
    assert [c.is_correct for c in multiple.choices.all()] == [True, True, False, False]
    assert multiple.explanation == "Human review is not automatic."
    true_false = question("evaluation-human-evaluation-cost")
    assert true_false.stem == "Human evaluation is<br>\nalways cheaper than automatic evaluation."
    assert [(c.text, c.is_correct) for c in true_false.choices.all()] == [
        ("True", False),
        ("False", True),
    ]
    matching = question("metrics-metric-to-task")
    assert [(c.text, c.match) for c in matching.choices.all()] == [
        ("BLEU", "Translation"),
        ("ROUGE", "Summarization"),
        ("**Accuracy**", "Classification"),
        ("", "Image generation"),
    ]
    # No general feedback: the explanation gives the pairs.
    assert matching.explanation == (
        "The pairs: BLEU → Translation; ROUGE → Summarization; **Accuracy** → Classification."
    )


@pytest.mark.parametrize(("path", "unsupported"), [(EXPORT_GIFT, 4), (EXPORT_XML, 5)])
def test_a_moodle_export_with_unsupported_types_loads_nothing(blueprint, capsys, path, unsupported):
    before = counts()

    with pytest.raises(CommandError, match=f"^{unsupported} problem"):
        load_export(capsys, path)

    err = capsys.readouterr().err
    assert err.count("skip unsupported questions (--skip-unsupported)") == unsupported
    assert "'Describe BERTScore'" in err and "is an essay question" in err
    assert counts() == before


@pytest.mark.parametrize("path", [EXPORT_GIFT, EXPORT_XML])
def test_a_moodle_export_dry_run_then_load_twice(blueprint, capsys, path):
    before = counts()
    out = load_export(capsys, path, "--skip-unsupported", "--dry-run")
    assert out.startswith("Dry run, nothing was changed. Loading would give: 4 created")
    assert "Would add evaluation-benchmark-2" in out and "Would skip metrics-acronym" in out
    assert counts() == before

    load_export(capsys, path, "--skip-unsupported")
    loaded = counts()
    out = load_export(capsys, path, "--skip-unsupported")

    assert (
        "Bank loaded: 0 created, 0 updated to a new version, 0 with a new status, 4 unchanged"
        in out
    )
    assert counts() == loaded
    assert (
        QuestionVersion.objects.filter(question__external_id__startswith="evaluation-").count() == 3
    )
