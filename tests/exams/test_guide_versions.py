"""Exam-guide versions: a task statement records the guide it was written
from; bank files say so, and the admin finds questions of an older guide."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exams.bank.export import export_bank
from exams.bank.loader import BankInvalid, load_bank_files
from exams.models import Domain, Question, TaskStatement
from tests.conftest import bank_text, single_question
from tests.exams.test_admin import form_data

VERSIONED = bank_text(single_question("q-one")).replace(
    "    title: Test task\n", '    title: Test task\n    guide_version: "1.4"\n'
)


def test_a_bank_file_sets_the_guide_version_and_the_export_writes_it_back(db, write_bank):
    load_bank_files([write_bank(VERSIONED)])
    assert TaskStatement.objects.get(code="9.1").guide_version == "1.4"
    exported = export_bank()
    assert "  - code: '9.1'\n    title: Test task\n    guide_version: '1.4'\n" in exported


def test_a_file_that_does_not_say_leaves_the_version_as_it_is(db, write_bank):
    load_bank_files([write_bank(VERSIONED)])
    load_bank_files([write_bank(bank_text(single_question("q-one")), "again.yaml")])
    assert TaskStatement.objects.get(code="9.1").guide_version == "1.4"


@pytest.mark.parametrize("version", ["v1.4", "1.", "1,4", "1.4 draft"])
def test_a_malformed_guide_version_is_refused_and_nothing_loads(db, write_bank, version):
    path = write_bank(VERSIONED.replace('"1.4"', f'"{version}"'))
    with pytest.raises(BankInvalid) as caught:
        load_bank_files([path])
    assert [str(e) for e in caught.value.errors] == [
        f"{path}, field 'task_statements[1].guide_version': the exam-guide version must be "
        f'numbers separated by dots, e.g. "1.4" (not {version!r})'
    ]
    assert not TaskStatement.objects.exists()


def test_older_versions_compare_as_numbers(db):
    domain = Domain.objects.create(code="9", title="Test")
    for code, version in [("9.1", "1.9"), ("9.2", "1.10"), ("9.3", ""), ("9.4", "1.10")]:
        TaskStatement.objects.create(domain=domain, code=code, title=code, guide_version=version)
    assert TaskStatement.objects.older_guide_versions() == ["1.9"]


def test_the_admin_lists_the_questions_written_for_an_older_guide(instructor_client, bank):
    TaskStatement.objects.filter(code="3.3").update(guide_version="1.2")
    TaskStatement.objects.filter(code="3.4").update(guide_version="1.4")
    older = reverse("admin:exams_question_changelist") + "?guide=older"
    page = instructor_client.get(older).content.decode()
    count = Question.objects.filter(objective__task_statement__code="3.3").count()
    assert f"{count} questions" in page
    current = reverse("admin:exams_question_changelist") + "?guide=current"
    assert "0 questions" in instructor_client.get(current).content.decode()
    tasks = reverse("admin:exams_taskstatement_changelist") + "?guide=older"
    page = instructor_client.get(tasks).content.decode()
    assert "Describe the training and fine-tuning" in page and "evaluate foundation" not in page


def test_an_instructor_cannot_save_a_malformed_version_in_the_admin(instructor_client, bank):
    task = TaskStatement.objects.get(code="3.3")
    url = reverse("admin:exams_taskstatement_change", args=[task.pk])
    data = form_data(instructor_client.get(url).content.decode())
    data["guide_version"] = "latest"
    response = instructor_client.post(url, data)
    assert "The exam-guide version must be numbers separated by dots" in response.content.decode()
    task.refresh_from_db()
    assert task.guide_version == ""
