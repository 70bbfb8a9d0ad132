"""Case studies in bank files: validated, loaded, versioned and exported exactly."""

import pytest
from django.core.management import CommandError, call_command

from exams.bank.export import export_bank
from exams.bank.loader import BankInvalid, load_bank_files
from exams.models import Case, Question
from tests.conftest import BANK_HEADER, single_question

HEADER = BANK_HEADER.replace(
    "questions:\n",
    """\
  - code: "9.2"
    title: Other task
    objectives:
      - code: "9.2.1"
        title: Elsewhere
cases:
  - id: bedrock-rollout
    title: A support team customizes a model
    scenario: |
      A support team has **10,000** labeled tickets and wants a model
      that answers in its own style.
questions:
""",
)


def in_case(qid: str, case: str = "bedrock-rollout", objective: str = "9.1.1") -> str:
    return (
        single_question(qid)
        .replace("    kind: single\n", f"    kind: single\n    case: {case}\n")
        .replace('"9.1.1"', f'"{objective}"')
    )


def problems(write_bank, text: str, name: str = "bank.yaml") -> list[str]:
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([write_bank(text, name)])
    return [str(error) for error in caught.value.errors]


def test_a_case_and_its_questions_load(db, write_bank):
    load_bank_files([write_bank(HEADER + in_case("c-1") + in_case("c-2") + single_question())])

    case = Case.objects.get()
    assert (case.external_id, case.title) == (
        "bedrock-rollout",
        "A support team customizes a model",
    )
    assert case.scenario.startswith("A support team has **10,000** labeled tickets")
    assert sorted(case.questions.values_list("external_id", flat=True)) == ["c-1", "c-2"]
    assert Question.objects.get(external_id="q-single").case is None


def test_a_question_of_an_unknown_case_is_refused(db, write_bank):
    path = write_bank(HEADER + in_case("c-1") + in_case("c-2") + in_case("c-3", "nowhere"))
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([path])
    assert [str(e) for e in caught.value.errors] == [
        f"{path}, question 'c-3', field 'case': case 'nowhere' is not defined in the files or "
        "in the database"
    ]
    assert Case.objects.count() == 0


def test_a_case_with_fewer_than_two_questions_is_refused(db, write_bank):
    path = write_bank(HEADER + in_case("c-1"))
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([path])
    assert [str(e) for e in caught.value.errors] == [
        f"{path}, field 'cases[1].id': case 'bedrock-rollout' has 1 question(s); a case needs "
        "at least 2"
    ]


def test_questions_of_one_case_on_different_task_statements_are_refused(db, write_bank):
    text = HEADER + in_case("c-1") + in_case("c-2", objective="9.2.1")
    assert problems(write_bank, text)[0].endswith(
        "field 'cases[1].id': the questions of case 'bedrock-rollout' are on different task "
        "statements (9.1, 9.2); a case stays within one"
    )


def test_a_case_id_listed_twice_is_refused_in_a_file_and_across_files(db, write_bank):
    twice = HEADER.replace(
        "questions:\n", "  - {id: bedrock-rollout, title: T, scenario: S}\nquestions:\n"
    )
    assert (
        "field 'cases[2].id': case 'bedrock-rollout' is listed twice"
        in problems(write_bank, twice + in_case("c-1") + in_case("c-2"))[0]
    )
    first = write_bank(HEADER + in_case("c-1") + in_case("c-2"), "a.yaml")
    second = write_bank(HEADER + in_case("c-3") + in_case("c-4"), "b.yaml")
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([first, second])
    assert [str(e) for e in caught.value.errors] == [
        f"{second}, field 'cases[1].id': case 'bedrock-rollout' is also defined in {first}"
    ]


def test_a_scenario_that_sanitizes_to_nothing_is_refused(db, write_bank):
    text = HEADER.replace(
        "A support team has **10,000** labeled tickets and wants a model", "<script>x</script>"
    ).replace("      that answers in its own style.\n", "")
    assert problems(write_bank, text + in_case("c-1") + in_case("c-2"))[0].endswith(
        "field 'cases[1].scenario': scenario shows learners nothing once sanitized (scripts, "
        "styles, comments and HTML tags are removed): write it as Markdown text"
    )


def test_a_later_file_may_add_a_question_to_a_case_in_the_database(db, write_bank):
    load_bank_files([write_bank(HEADER + in_case("c-1") + in_case("c-2"))])
    later = BANK_HEADER + in_case("c-3")
    load_bank_files([write_bank(later, "later.yaml")])
    assert Case.objects.get().questions.count() == 3


def test_export_writes_the_cases_of_the_exported_questions_by_id_and_round_trips(
    db, write_bank, tmp_path
):
    second_case = "  - id: alpha-case\n    title: First by id\n    scenario: Short.\n"
    text = HEADER.replace("questions:\n", second_case + "questions:\n") + (
        in_case("c-1")
        + in_case("c-2")
        + in_case("a-1", "alpha-case")
        + in_case("a-2", "alpha-case")
        + single_question()
    )
    load_bank_files([write_bank(text)])
    Case.objects.create(external_id="unused", title="No questions", scenario="Never exported.")

    first = export_bank()

    cases = first[first.index("\ncases:\n") : first.index("\nquestions:\n")]
    assert first.index("\ntask_statements:\n") < first.index("\ncases:\n")
    assert [line for line in cases.splitlines() if line.startswith("  - id:")] == [
        "  - id: alpha-case",
        "  - id: bedrock-rollout",
    ]
    assert "    case: bedrock-rollout\n" in first
    path = tmp_path / "export.yaml"
    path.write_text(first, encoding="utf-8")
    Question.objects.all().delete()
    Case.objects.all().delete()

    load_bank_files([path])

    assert export_bank() == first


def test_moving_a_question_to_another_case_is_a_new_version(db, write_bank):
    two_cases = HEADER.replace(
        "questions:\n", "  - {id: other-case, title: Other, scenario: Another one.}\nquestions:\n"
    )
    load_bank_files(
        [
            write_bank(
                two_cases
                + in_case("c-1")
                + in_case("c-2")
                + in_case("c-3")
                + in_case("o-1", "other-case")
                + in_case("o-2", "other-case")
            )
        ]
    )
    moved = (
        two_cases
        + in_case("c-1")
        + in_case("c-2")
        + in_case("c-3", "other-case")
        + in_case("o-1", "other-case")
        + in_case("o-2", "other-case")
    )

    report = load_bank_files([write_bank(moved)])

    assert report.updated == ["c-3"]
    question = Question.objects.get(external_id="c-3")
    assert (question.case.external_id, question.version) == ("other-case", 2)
    assert question.versions.get(version=2).content["case"] == "other-case"


def test_a_scenario_edit_gives_each_question_of_the_case_a_version_that_records_it(db, write_bank):
    load_bank_files([write_bank(HEADER + in_case("c-1") + in_case("c-2"))])
    edited = HEADER.replace("answers in its own style", "answers in its brand voice")

    load_bank_files([write_bank(edited + in_case("c-1") + in_case("c-2"))])

    for question in Question.objects.all():
        assert question.version == 2
        latest = question.versions.get(version=2)
        assert "brand voice" in latest.content["case_scenario"]
        assert latest.note == "case scenario loaded from bank.yaml"
        assert "own style" in question.versions.get(version=1).content["case_scenario"]


def test_a_case_edited_in_the_admin_is_not_overwritten_by_a_file(db, write_bank, capsys):
    path = write_bank(HEADER + in_case("c-1") + in_case("c-2"))
    load_bank_files([path])
    Case.objects.update(scenario="Rewritten by an instructor.")

    with pytest.raises(CommandError, match="changed in the admin"):
        call_command("load_bank", str(path))

    assert (
        f"{path}, case 'bedrock-rollout': changed in the admin since it was last loaded from a "
        "file, and the file differs in scenario"
    ) in capsys.readouterr().err
    assert Case.objects.get().scenario == "Rewritten by an instructor."
    call_command("load_bank", "--overwrite", str(path))
    assert Case.objects.get().scenario.startswith("A support team")
