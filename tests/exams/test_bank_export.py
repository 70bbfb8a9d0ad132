"""export_bank writes the file format back; a round trip is exact."""

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from exams.bank.export import export_bank
from exams.bank.loader import BankInvalid, load_bank_files
from exams.models import Domain, Objective, Question, QuestionVersion, TaskStatement
from tests.conftest import BANK_HEADER, SHIPPED_BANK, bank_text, single_question


def empty_the_bank() -> None:
    QuestionVersion.objects.all().delete()
    Question.objects.all().delete()
    Domain.objects.all().delete()


def test_export_then_load_into_an_empty_database_then_export_is_identical(bank, tmp_path):
    first = export_bank()
    path = tmp_path / "export.yaml"
    path.write_text(first, encoding="utf-8")
    empty_the_bank()
    assert Question.objects.count() == 0

    load_bank_files([path])

    assert export_bank() == first
    assert Question.objects.count() == len(yaml.safe_load(first)["questions"])


def test_the_shipped_bank_is_stored_in_export_form(bank):
    # So that an export after editing in the admin diffs cleanly against the file.
    assert export_bank() == SHIPPED_BANK.read_text(encoding="utf-8")


def test_export_keeps_status_feedback_and_every_kind(db, write_bank):
    text = bank_text(single_question()).replace(
        "difficulty: 2\n", "difficulty: 2\n    status: draft\n"
    )
    load_bank_files([write_bank(text)])
    exported = export_bank()
    assert "status: draft" in exported
    assert "feedback: Bravo is right." in exported
    assert "correct: true" in exported


def test_the_command_filters_by_task_and_writes_a_file(bank, tmp_path, capsys):
    out = tmp_path / "task.yaml"
    call_command("export_bank", "--task", "3.3", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert "code: '3.3'" in text
    assert "code: '3.1'" not in text
    assert len(yaml.safe_load(text)["questions"]) == Question.objects.count()


def test_the_command_writes_to_stdout(bank, capsys):
    call_command("export_bank")
    assert capsys.readouterr().out.startswith("format: quizsite-bank/1\n")


def test_exporting_an_unknown_task_or_an_empty_bank_is_a_clear_error(db):
    with pytest.raises(CommandError, match="the bank is empty"):
        call_command("export_bank")
    with pytest.raises(CommandError, match=r"there is no task statement '9\.9'"):
        call_command("export_bank", "--task", "9.9")


# --- the taxonomy survives exports and loads ---------------------------------------------


def two_domains(write_bank) -> list[Question]:
    """The shipped bank (domain 3) plus one question in domain 9."""
    load_bank_files([SHIPPED_BANK])
    load_bank_files([write_bank(bank_text(single_question()))])
    return [
        Question.objects.get(external_id="q-single"),
        Question.objects.exclude(external_id="q-single").first(),
    ]


def test_the_admin_refuses_to_export_questions_of_two_domains_in_one_file(
    client, instructor, write_bank
):
    client.force_login(instructor)
    chosen = two_domains(write_bank)

    response = client.post(
        reverse("admin:exams_question_changelist"),
        {"action": "export_selected", "_selected_action": [q.pk for q in chosen]},
        follow=True,
    )

    assert "Content-Disposition" not in response
    assert (
        "The selected questions come from 2 domains (3, 9), and a bank file holds one: "
        "select the questions of one domain at a time."
    ) in response.content.decode()


def test_the_admin_export_holds_whole_task_statements_and_loads_back_unchanged(
    client, instructor, bank, tmp_path
):
    client.force_login(instructor)
    chosen = list(Question.objects.filter(kind="matching").values_list("pk", flat=True))
    response = client.post(
        reverse("admin:exams_question_changelist"),
        {"action": "export_selected", "_selected_action": chosen},
    )
    text = response.content.decode()
    assert text.count("\n      - code: ") == Objective.objects.count()
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    before = list(Objective.objects.values_list("code", "position", "task_statement__code"))

    report = load_bank_files([path])

    assert sorted(report.unchanged) == sorted(
        Question.objects.filter(pk__in=chosen).values_list("external_id", flat=True)
    )
    assert list(Objective.objects.values_list("code", "position", "task_statement__code")) == (
        before
    )


def test_loading_never_moves_a_task_statement_to_another_domain(bank, write_bank):
    moved = SHIPPED_BANK.read_text(encoding="utf-8").replace(
        "domain:\n  code: '3'", "domain:\n  code: '1'", 1
    )
    assert moved != SHIPPED_BANK.read_text(encoding="utf-8")
    path = write_bank(moved)

    with pytest.raises(BankInvalid) as caught:
        load_bank_files([path])

    codes = TaskStatement.objects.order_by("position").values_list("code", flat=True)
    assert "3.3" in codes
    assert [str(e) for e in caught.value.errors] == [
        f"{path}, field 'task_statements[{n}].code': task statement '{code}' belongs to domain "
        "'3' in the database, not '1': a bank file never moves it (move it in the admin, or "
        "fix the file)"
        for n, code in enumerate(codes, start=1)
    ]
    assert TaskStatement.objects.get(code="3.3").domain.code == "3"
    assert not Domain.objects.filter(code="1").exists()


def test_loading_never_moves_an_objective_to_another_task_statement(db, write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    other = BANK_HEADER.replace('code: "9.1"', 'code: "9.2"')
    path = write_bank(other, "other.yaml")

    with pytest.raises(BankInvalid) as caught:
        load_bank_files([path])

    assert [str(e) for e in caught.value.errors] == [
        f"{path}, field 'task_statements[1].objectives[{n}].code': objective '9.1.{n}' belongs "
        "to task statement '9.1' in the database, not '9.2': a bank file never moves it (move "
        "it in the admin, or fix the file)"
        for n in (1, 2)
    ]
    assert not TaskStatement.objects.filter(code="9.2").exists()


def test_two_files_of_one_run_cannot_file_a_task_statement_under_two_domains(db, write_bank):
    first = write_bank(bank_text(single_question("a")), "a.yaml")
    second = write_bank(bank_text(single_question("b")).replace('code: "9"', 'code: "8"'), "b.yaml")
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([first, second])
    assert (
        f"{second}, field 'task_statements[1].code': task statement '9.1' belongs to domain "
        f"'9' in {first}, not '8'"
    ) in [str(e) for e in caught.value.errors]
    assert Question.objects.count() == 0
