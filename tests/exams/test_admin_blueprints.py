"""Instructors edit blueprints in the admin: weights, counts, pass marks, with
the plan per objective shown and impossible forms refused."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from exams.models import Domain, Exam, ExamArea, ExamObjective, Objective, Question
from tests.conftest import make_exam
from tests.exams.test_admin import form_data


def change_url(exam: Exam) -> str:
    return reverse("admin:exams_exam_change", args=[exam.pk])


def page_data(client, exam: Exam) -> dict:
    return form_data(client.get(change_url(exam)).content.decode())


def published_in_task() -> int:
    return Question.objects.published().filter(objective__task_statement__code="3.3").count()


def test_an_instructor_sees_the_share_asked_for_and_published_per_objective(
    instructor_client, bank
):
    exam = make_exam(questions=28)
    page = instructor_client.get(change_url(exam)).content.decode()
    assert page.count("7.1 %") == 14  # 1/14 of the scored questions each
    assert '<th scope="col" class="qs-num">Asks for</th>' in page
    published = Question.objects.published().filter(objective__code="3.3.1.1").count()
    row = re.search(r"<th scope=\"row\">3\.3\.1\.1 Pre-training</th>(.*?)</tr>", page, re.S)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells == ["3.3.1.1 Pre-training", "7.1 %", "2", str(published), "0"]


def test_an_instructor_changes_the_form_and_a_weight(instructor_client, bank):
    exam = make_exam(questions=5)
    data = page_data(instructor_client, exam)
    data.update(question_count="12", unscored_count="2", pass_mark="720")
    data["exam_objectives-0-weight"] = "3"
    response = instructor_client.post(change_url(exam), data, follow=True)
    assert response.status_code == 200
    exam.refresh_from_db()
    assert (exam.question_count, exam.unscored_count, exam.pass_mark) == (12, 2, 720)
    assert ExamObjective.objects.get(pk=data["exam_objectives-0-id"]).weight == 3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pass_mark", "100", "The pass mark must be more than 100: everyone scores at least 100."),
        ("pass_mark", "1001", "The pass mark can be at most 1000, the highest scaled score."),
        ("unscored_count", "5", "Unscored items must be fewer than the questions (5)"),
    ],
)
def test_bad_counts_and_pass_marks_are_refused(instructor_client, bank, field, value, message):
    exam = make_exam(questions=5)
    data = page_data(instructor_client, exam)
    data[field] = value
    response = instructor_client.post(change_url(exam), data)
    assert response.status_code == 200 and message in response.content.decode()
    exam.refresh_from_db()
    assert (exam.pass_mark, exam.unscored_count) == (700, 0)


def test_a_published_exam_asking_for_more_than_the_published_pool_is_refused(
    instructor_client, bank
):
    exam = make_exam(questions=5)
    data = page_data(instructor_client, exam)
    data["question_count"] = str(published_in_task() + 1)
    response = instructor_client.post(change_url(exam), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"The exam asks for {published_in_task() + 1} scored questions" in page
    exam.refresh_from_db()
    assert exam.question_count == 5


def test_a_draft_exam_may_ask_for_more_with_a_warning(instructor_client, bank):
    exam = make_exam(questions=5)
    Exam.objects.filter(pk=exam.pk).update(is_published=False)
    data = page_data(instructor_client, exam)
    data["question_count"] = str(published_in_task() + 1)
    response = instructor_client.post(change_url(exam), data, follow=True)
    assert "It cannot be published so." in response.content.decode()
    exam.refresh_from_db()
    assert exam.question_count == published_in_task() + 1


def test_an_instructor_weights_a_whole_domain(instructor_client, bank):
    exam = make_exam(questions=10)
    data = page_data(instructor_client, exam)
    for n in range(int(data["exam_objectives-TOTAL_FORMS"])):
        data[f"exam_objectives-{n}-DELETE"] = "on"
    data.update(
        {
            "exam_areas-TOTAL_FORMS": "1",
            "exam_areas-0-domain": str(Domain.objects.get(code="3").pk),
            "exam_areas-0-task_statement": "",
            "exam_areas-0-weight": "28",
        }
    )
    assert instructor_client.post(change_url(exam), data).status_code == 302
    assert not ExamObjective.objects.filter(exam=exam).exists()
    assert list(ExamArea.objects.filter(exam=exam).values_list("domain__code", "weight")) == [
        ("3", 28)
    ]
    page = instructor_client.get(change_url(exam)).content.decode()
    assert page.count("<td>Domain 3</td>") == 14


def test_an_objective_weighted_on_its_own_and_in_its_domain_is_refused(instructor_client, bank):
    exam = make_exam(questions=10)
    data = page_data(instructor_client, exam)
    data.update(
        {
            "exam_areas-TOTAL_FORMS": "1",
            "exam_areas-0-domain": str(Domain.objects.get(code="3").pk),
            "exam_areas-0-weight": "1",
        }
    )
    response = instructor_client.post(change_url(exam), data)
    assert "Objective 3.3.1.1 is weighted twice" in response.content.decode()
    assert not ExamArea.objects.exists()


def test_an_area_row_names_a_task_statement_or_a_domain(instructor_client, bank):
    exam = make_exam(questions=10)
    data = page_data(instructor_client, exam)
    data.update({"exam_areas-TOTAL_FORMS": "1", "exam_areas-0-weight": "2"})
    response = instructor_client.post(change_url(exam), data)
    assert "Choose either a task statement or a domain." in response.content.decode()
    assert not ExamArea.objects.exists()


def test_availability_must_close_after_it_opens(instructor_client, bank):
    exam = make_exam(questions=5)
    data = page_data(instructor_client, exam)
    data.update(
        {
            "opens_at_0": "2026-12-02",
            "opens_at_1": "09:00:00",
            "closes_at_0": "2026-12-02",
            "closes_at_1": "08:00:00",
        }
    )
    response = instructor_client.post(change_url(exam), data)
    assert "The exam must close after it opens." in response.content.decode()
    exam.refresh_from_db()
    assert exam.opens_at is None


def test_the_objectives_of_a_blueprint_are_chosen_by_autocomplete(instructor_client, bank):
    objective = Objective.objects.get(code="3.3.1.1")
    response = instructor_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Pre-training",
            "app_label": "exams",
            "model_name": "examobjective",
            "field_name": "objective",
        },
    )
    assert response.status_code == 200
    assert str(objective.pk) in response.content.decode()
