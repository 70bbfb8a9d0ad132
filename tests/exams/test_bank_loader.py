"""load_bank: strict validation, one transaction, idempotent, versioned."""

import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from exams.bank.loader import BankInvalid, load_bank_files, record_version
from exams.models import Choice, Domain, Objective, Question, QuestionVersion
from tests.conftest import bank_text, single_question


def counts() -> dict[str, int]:
    return {
        "domains": Domain.objects.count(),
        "objectives": Objective.objects.count(),
        "questions": Question.objects.count(),
        "choices": Choice.objects.count(),
        "versions": QuestionVersion.objects.count(),
    }


def load_failing(path, capsys) -> list[str]:
    """Run the command on a bad file; return the problem lines it printed."""
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_bank", str(path))
    return [line for line in capsys.readouterr().err.splitlines() if line]


ORDERING = """\
  - id: q-order
    objective: "9.1.2"
    kind: ordering
    stem: Put them in order.
    items: [first, second, third]
    explanation: In order.
    source: seed 1.1
"""
MATCHING = """\
  - id: q-match
    objective: "9.1.2"
    kind: matching
    stem: Match them.
    pairs:
      - {prompt: Cat, match: Meow, feedback: Cats meow.}
      - {prompt: Dog, match: Woof}
      - {prompt: Cow, match: Moo}
    explanation: Animals.
    source: seed 1.2
"""


def test_a_good_file_loads_every_kind_with_its_key(db, write_bank):
    report = load_bank_files([write_bank(bank_text(single_question(), ORDERING, MATCHING))])

    assert sorted(report.created) == ["q-match", "q-order", "q-single"]
    single = Question.objects.get(external_id="q-single")
    assert single.status == "published" and single.version == 1
    assert [(c.text, c.is_correct) for c in single.choices.all()] == [
        ("Alpha", False),
        ("Bravo", True),
        ("Charlie", False),
    ]
    ordering = Question.objects.get(external_id="q-order")
    assert [(c.position, c.text) for c in ordering.choices.all()] == [
        (1, "first"),
        (2, "second"),
        (3, "third"),
    ]
    matching = Question.objects.get(external_id="q-match")
    assert [(c.text, c.match, c.feedback) for c in matching.choices.all()] == [
        ("Cat", "Meow", "Cats meow."),
        ("Dog", "Woof", ""),
        ("Cow", "Moo", ""),
    ]
    assert QuestionVersion.objects.filter(question=single, version=1).exists()


def test_loading_the_same_file_twice_changes_nothing(db, write_bank):
    path = write_bank(bank_text(single_question(), ORDERING))
    load_bank_files([path])
    before = counts()
    choice_ids = sorted(Choice.objects.values_list("id", flat=True))

    report = load_bank_files([path])

    assert report.created == [] and report.updated == []
    assert sorted(report.unchanged) == ["q-order", "q-single"]
    assert counts() == before
    assert sorted(Choice.objects.values_list("id", flat=True)) == choice_ids


def test_a_changed_question_gets_its_next_version_and_keeps_the_old_one(db, write_bank):
    load_bank_files([write_bank(bank_text(single_question(stem="Old wording?")))])
    load_bank_files([write_bank(bank_text(single_question(stem="New wording?")), "v2.yaml")])

    question = Question.objects.get(external_id="q-single")
    assert question.version == 2
    assert question.stem == "New wording?"
    versions = {v.version: v.content["stem"] for v in question.versions.all()}
    assert versions == {1: "Old wording?", 2: "New wording?"}


def test_a_status_change_alone_is_not_a_new_version(db, write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    retired = bank_text(single_question()).replace(
        "    difficulty: 2\n", "    difficulty: 2\n    status: retired\n"
    )
    report = load_bank_files([write_bank(retired, "retired.yaml")])

    question = Question.objects.get()
    assert report.status_changed == ["q-single"]
    assert (question.status, question.version) == ("retired", 1)


def test_a_json_file_with_the_same_structure_loads(db, write_bank):
    data = yaml.safe_load(bank_text(single_question()))
    load_bank_files([write_bank(json.dumps(data), "bank.json")])
    assert Question.objects.get().external_id == "q-single"


def test_only_new_adds_missing_questions_and_keeps_edited_ones(db, write_bank):
    path = write_bank(bank_text(single_question()))
    load_bank_files([path])
    Question.objects.update(stem="Edited by an instructor")

    report = load_bank_files(
        [write_bank(bank_text(single_question(), ORDERING), "more.yaml")], only_new=True
    )

    assert report.created == ["q-order"] and report.skipped == ["q-single"]
    assert Question.objects.get(external_id="q-single").stem == "Edited by an instructor"


def test_the_command_reports_what_it_did(db, write_bank, capsys):
    call_command("load_bank", str(write_bank(bank_text(single_question()))))
    assert "Bank loaded: 1 created" in capsys.readouterr().out


def test_malformed_yaml_is_refused_with_its_line(db, write_bank, capsys):
    path = write_bank(bank_text(single_question()) + "  - id: [unclosed\n")
    problems = load_failing(path, capsys)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: not valid YAML or JSON at line")
    assert counts()["questions"] == 0


def test_every_problem_is_listed_with_file_question_and_field(db, write_bank, capsys):
    two_correct = single_question("two-correct").replace(
        "      - text: Alpha\n", "      - text: Alpha\n        correct: true\n"
    )
    unknown_key = single_question("unknown-key").replace(
        "    source: seed 1.1\n", "    source: seed 1.1\n    hint: not a field\n"
    )
    unknown_objective = single_question("lost").replace('"9.1.1"', '"7.7.7"')
    one_item = ORDERING.replace("[first, second, third]", "[only]")
    text = bank_text(
        two_correct,
        unknown_key,
        single_question("twin"),
        single_question("twin"),
        unknown_objective,
        one_item,
    )
    path = write_bank(text)

    problems = load_failing(path, capsys)

    assert problems == [
        f"{path}, question 'two-correct', field 'choices': a single-answer question needs "
        "exactly one correct choice (it has 2)",
        f"{path}, question 'unknown-key', field 'hint': unknown key in a question (allowed: "
        "case, choices, difficulty, explanation, id, items, kind, objective, pairs, source, "
        "status, stem)",
        f"{path}, question 'twin', field 'id': this id is used by another question in the file",
        f"{path}, question 'q-order', field 'items': an ordering question needs 3 to 6 items "
        "(it has 1)",
        f"{path}, question 'lost', field 'objective': objective '7.7.7' is not defined in the "
        "file or in the database",
    ]


def test_an_unknown_objective_alone_leaves_the_database_unchanged(db, write_bank, capsys):
    load_bank_files([write_bank(bank_text(single_question("kept")), "first.yaml")])
    before = counts()
    bad = bank_text(single_question("new-one"), single_question("bad").replace('"9.1.1"', '"8.8"'))

    load_failing(write_bank(bad), capsys)

    assert counts() == before
    assert not Question.objects.filter(external_id="new-one").exists()


def test_one_bad_file_means_no_file_loads(db, write_bank):
    good = write_bank(bank_text(single_question("good")), "good.yaml")
    bad = write_bank("format: quizsite-bank/1\ndomain: 3\n", "bad.yaml")
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([good, bad])
    messages = [str(error) for error in caught.value.errors]
    assert f"{bad}: domain must be a mapping of keys to values" in messages
    assert f"{bad}, field 'task_statements': task_statements must be a non-empty list" in messages
    assert counts()["questions"] == 0


def test_the_same_id_in_two_files_is_refused(db, write_bank):
    first = write_bank(bank_text(single_question("shared")), "a.yaml")
    second = write_bank(bank_text(single_question("shared")), "b.yaml")
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([first, second])
    assert [str(e) for e in caught.value.errors] == [
        f"{second}, question 'shared', field 'id': this id is also used in {first}"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("kind: single", "kind: essay"), "field 'kind': kind must be one of single"),
        (("difficulty: 2", "difficulty: 5"), "field 'difficulty': difficulty must be 1"),
        (("stem: Which one?", "stem: ''"), "field 'stem': stem must not be empty"),
        (("stem: Which one?", "stem: 42"), "field 'stem': stem must be text, not int"),
        (("    source: seed 1.1\n", ""), "field 'source': source is missing"),
        (("correct: true", "correct: 'yes'"), "correct must be true or false"),
    ],
)
def test_field_level_mistakes_are_named(db, write_bank, change, message):
    text = bank_text(single_question()).replace(*change)
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([write_bank(text)])
    assert any(message in str(error) for error in caught.value.errors), caught.value.errors


def test_a_wrong_format_marker_is_refused(db, write_bank):
    text = bank_text(single_question()).replace("quizsite-bank/1", "quizsite-bank/2")
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([write_bank(text)])
    assert "format must be 'quizsite-bank/1'" in str(caught.value.errors[0])


def test_an_unquoted_numeric_code_gets_a_hint(db, write_bank):
    text = bank_text(single_question()).replace('code: "9"', "code: 9")
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([write_bank(text)])
    assert "domain code must be text, not int (quote it" in str(caught.value.errors[0])


def test_a_missing_file_is_reported_not_crashed(db, tmp_path, capsys):
    problems = load_failing(tmp_path / "nope.yaml", capsys)
    assert problems[0].startswith(f"{tmp_path / 'nope.yaml'}: cannot be read")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("stem: Which one?", "stem: <script>x</script>"), "stem"),
        (("explanation: Because bravo.", "explanation: <script>x</script>"), "explanation"),
        (("- text: Alpha", "- text: <script>x</script>"), "choices[1].text"),
        (("feedback: Alpha is wrong.", "feedback: <style>p {}</style>"), "choices[1].feedback"),
    ],
)
def test_text_that_sanitizes_to_nothing_is_refused_naming_the_field(db, write_bank, change, field):
    text = bank_text(single_question()).replace(*change)
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([write_bank(text)])
    assert [str(e) for e in caught.value.errors] == [
        f"{write_bank(text)}, question 'q-single', field '{field}': {field.split('.')[-1]} "
        "shows learners nothing once sanitized (scripts, styles, comments and HTML tags are "
        "removed): write it as Markdown text"
    ]
    assert counts()["questions"] == 0


def test_a_matching_pair_that_sanitizes_to_nothing_is_refused(db, write_bank):
    text = bank_text(MATCHING.replace("match: Woof", "match: <script>x</script>"))
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([write_bank(text)])
    assert [e.field for e in caught.value.errors] == ["pairs[2].match"]


def test_a_long_source_with_documentation_urls_loads(db, write_bank):
    source = (
        "seed 2.1; https://docs.aws.amazon.com/bedrock/latest/userguide/custom-models.html; "
        "https://docs.aws.amazon.com/sagemaker/latest/dg/jumpstart-foundation-models-fine-"
        "tuning-domain-adaptation.html " + "x" * 300
    )
    load_bank_files([write_bank(bank_text(single_question()).replace("seed 1.1", source))])
    assert Question.objects.get().source == source


def test_a_source_over_1000_characters_is_refused(db, write_bank):
    text = bank_text(single_question()).replace("seed 1.1", "s" * 1001)
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([write_bank(text)])
    assert [str(e).split(": ", 1)[1] for e in caught.value.errors] == [
        "source must be at most 1000 characters (it has 1001)"
    ]


# --- a file never silently undoes work done in the admin ---------------------------------

RETIRED = "    difficulty: 2\n    status: retired\n"


def edit_in_the_admin(external_id: str, **fields) -> None:
    """What an admin save does to the row (the admin tests cover the form itself)."""
    question = Question.objects.get(external_id=external_id)
    for name, value in fields.items():
        setattr(question, name, value)
    question.revision += 1
    question.save()
    record_version(question, note="edited in the admin")


def test_a_question_edited_in_the_admin_is_not_overwritten_and_the_command_names_it(
    db, write_bank, capsys
):
    path = write_bank(bank_text(single_question("edited"), single_question("other")))
    load_bank_files([path])
    edit_in_the_admin("edited", stem="Reworded by an instructor", explanation="Clearer.")
    newer = bank_text(
        single_question("edited", stem="Reworded in the file"),
        single_question("other", stem="Also reworded in the file"),
    )

    with pytest.raises(CommandError, match=r"1 question\(s\) changed in the admin"):
        call_command("load_bank", str(write_bank(newer)))

    err = capsys.readouterr()
    assert (
        f"{path}, question 'edited': changed in the admin since it was last loaded from a "
        "file, and the file differs in stem, explanation; left as it is (--overwrite replaces "
        "it with the file's version)"
    ) in err.err.splitlines()
    assert "Bank loaded: 0 created, 1 updated to a new version" in err.out
    edited = Question.objects.get(external_id="edited")
    assert (edited.stem, edited.version) == ("Reworded by an instructor", 2)
    # The other question did not change in the admin, so the file's new version loaded.
    assert Question.objects.get(external_id="other").stem == "Also reworded in the file"


def test_overwrite_replaces_a_question_edited_in_the_admin(db, write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    edit_in_the_admin("q-single", stem="Reworded by an instructor")

    call_command("load_bank", "--overwrite", str(write_bank(bank_text(single_question()))))

    question = Question.objects.get()
    assert (question.stem, question.version) == ("Which one?", 3)
    # And it counts as loaded again: the next load is quiet.
    assert load_bank_files([write_bank(bank_text(single_question()))]).unchanged == ["q-single"]


def test_a_status_set_in_the_admin_is_kept_when_the_file_does_not_set_one(db, write_bank):
    path = write_bank(bank_text(single_question(stem="Old wording?")))
    load_bank_files([path])
    edit_in_the_admin("q-single", status="retired")

    report = load_bank_files([write_bank(bank_text(single_question(stem="New wording?")))])

    question = Question.objects.get()
    assert report.updated == ["q-single"] and report.conflicts == []
    assert (question.stem, question.status) == ("New wording?", "retired")


def test_a_file_that_sets_a_status_conflicts_with_a_status_set_in_the_admin(db, write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    edit_in_the_admin("q-single", status="draft")
    retired = bank_text(single_question()).replace("    difficulty: 2\n", RETIRED)

    report = load_bank_files([write_bank(retired)])

    assert [(c.external_id, c.fields) for c in report.conflicts] == [("q-single", ["status"])]
    assert Question.objects.get().status == "draft"
    load_bank_files([write_bank(retired)], overwrite=True)
    assert Question.objects.get().status == "retired"


def test_a_question_created_in_the_admin_with_a_colliding_id_counts_as_changed(
    db, write_bank, capsys
):
    load_bank_files([write_bank(bank_text(single_question("loaded")))])
    made_in_admin = Question.objects.get()
    made_in_admin.pk, made_in_admin.external_id = None, "made-in-admin"
    made_in_admin.loaded_hash = made_in_admin.loaded_status = ""
    made_in_admin.stem = "Written in the admin"
    made_in_admin.save()

    report = load_bank_files([write_bank(bank_text(single_question("made-in-admin")))])

    assert [(c.external_id, c.fields, c.never_loaded) for c in report.conflicts] == [
        ("made-in-admin", ["stem", "choices"], True)
    ]
    assert Question.objects.get(external_id="made-in-admin").stem == "Written in the admin"


def test_an_admin_edit_the_file_already_holds_is_not_a_conflict(db, write_bank):
    load_bank_files([write_bank(bank_text(single_question(stem="Old wording?")))])
    edit_in_the_admin("q-single", stem="New wording?")

    report = load_bank_files([write_bank(bank_text(single_question(stem="New wording?")))])

    assert report.conflicts == [] and report.unchanged == ["q-single"]


def test_the_readme_scenario_retire_one_and_edit_another_then_reload(db, write_bank, capsys):
    path = write_bank(bank_text(single_question("retired-one"), single_question("edited-one")))
    call_command("load_bank", str(path))
    edit_in_the_admin("retired-one", status="retired")
    edit_in_the_admin("edited-one", stem="Edited in the admin")
    before = counts()

    with pytest.raises(CommandError):
        call_command("load_bank", str(path))

    assert "question 'edited-one': changed in the admin" in capsys.readouterr().err
    assert Question.objects.get(external_id="retired-one").status == "retired"
    assert Question.objects.get(external_id="edited-one").stem == "Edited in the admin"
    assert counts() == before


def test_only_new_reports_no_conflicts(db, write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    edit_in_the_admin("q-single", stem="Edited")
    report = load_bank_files([write_bank(bank_text(single_question()))], only_new=True)
    assert report.conflicts == [] and report.skipped == ["q-single"]
