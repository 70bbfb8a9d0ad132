"""export_bank writes the file format back; a round trip is exact."""

import pytest
from django.core.management import CommandError, call_command

from exams.bank.export import export_bank
from exams.bank.loader import load_bank_files
from exams.models import Domain, Question, QuestionVersion
from tests.conftest import SHIPPED_BANK, bank_text, single_question


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
    assert Question.objects.count() == first.count("\n  - id: ")


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
    assert text.count("\n  - id: ") == Question.objects.count()


def test_the_command_writes_to_stdout(bank, capsys):
    call_command("export_bank")
    assert capsys.readouterr().out.startswith("format: quizsite-bank/1\n")


def test_exporting_an_unknown_task_or_an_empty_bank_is_a_clear_error(db):
    with pytest.raises(CommandError, match="the bank is empty"):
        call_command("export_bank")
    with pytest.raises(CommandError, match=r"there is no task statement '9\.9'"):
        call_command("export_bank", "--task", "9.9")
