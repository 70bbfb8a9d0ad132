"""Instructors never see learners; a question shown to anyone is retired, not deleted."""

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import (
    Domain,
    Objective,
    PracticeAnswer,
    PracticeSession,
    Question,
    QuestionVersion,
    TaskStatement,
)
from tests.conftest import make_exam, make_user, start

SECRET = "zebediah-quill"


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


@pytest.fixture
def learner_history(bank) -> dict[str, Question]:
    """A learner with a distinctive name who took an exam and practised."""
    learner = make_user(SECRET, first_name="Zebediah", last_name="Quill")
    attempt = start(learner, make_exam(questions=3))
    in_attempt = attempt.items.first().question
    shown = Question.objects.exclude(pk=in_attempt.pk)
    practised, in_session = shown[0], shown[1]
    now = timezone.now()
    session = PracticeSession.objects.create(
        user=learner, scope="all", label="Everything", started_at=now, current_question=in_session
    )
    PracticeAnswer.objects.create(
        user=learner,
        session=session,
        question=practised,
        question_version=1,
        objective=practised.objective,
        snapshot={"stem": practised.stem},
        response={"choice": "answer-by-zebediah-quill"},
        is_correct=True,
        answered_at=now,
    )
    return {"attempt": in_attempt, "practice": practised, "session": in_session}


def delete_url(question: Question) -> str:
    return reverse("admin:exams_question_delete", args=[question.pk])


@pytest.mark.parametrize("how", ["attempt", "practice", "session"])
def test_a_question_shown_to_anyone_cannot_be_deleted_and_the_page_says_why(
    instructor_client, learner_history, how
):
    question = learner_history[how]

    page = instructor_client.get(delete_url(question)).content.decode()
    response = instructor_client.post(delete_url(question), {"post": "yes"})

    assert (f"“{question.external_id}” has been shown to learners, so it cannot be deleted") in page
    assert "Retire it instead" in page
    assert "Yes, I’m sure" not in page
    assert response.status_code == 200
    assert Question.objects.filter(pk=question.pk).exists()


def test_the_bulk_delete_action_refuses_questions_that_were_shown(
    instructor_client, learner_history
):
    shown = learner_history["practice"]
    draft = Question.objects.create(
        external_id="never-shown", objective=shown.objective, stem="s", explanation="e"
    )
    url = reverse("admin:exams_question_changelist")
    data = {"action": "delete_selected", "_selected_action": [shown.pk, draft.pk]}

    page = instructor_client.post(url, data).content.decode()
    instructor_client.post(url, {**data, "post": "yes"})

    assert f"“{shown.external_id}” has been shown to learners" in page
    assert "never-shown" not in page.split("has been shown")[1].split("</ul>")[0]
    assert Question.objects.filter(pk__in=[shown.pk, draft.pk]).count() == 2


def test_a_never_shown_draft_can_still_be_deleted(instructor_client, bank):
    objective = Objective.objects.first()
    draft = Question.objects.create(
        external_id="fresh-draft", objective=objective, stem="s", explanation="e"
    )
    QuestionVersion.objects.create(question=draft, version=1, content={})

    page = instructor_client.get(delete_url(draft)).content.decode()
    instructor_client.post(delete_url(draft), {"post": "yes"})

    assert "Yes, I’m sure" in page
    assert not Question.objects.filter(pk=draft.pk).exists()


def instructor_pages(learner_history) -> list[str]:
    """Every admin page an instructor can open about the bank and its learners' traces."""
    pages = [reverse("admin:index"), reverse("admin:app_list", args=["exams"])]
    objective = learner_history["practice"].objective
    objects = {
        "question": list(learner_history.values()),
        "objective": [objective],
        "taskstatement": [objective.task_statement],
        "domain": [objective.task_statement.domain],
        "case": [],
    }
    for model, instances in objects.items():
        pages += [
            reverse(f"admin:exams_{model}_changelist"),
            reverse(f"admin:exams_{model}_add"),
        ]
        for obj in instances:
            for view in ("change", "history", "delete"):
                pages.append(reverse(f"admin:exams_{model}_{view}", args=[obj.pk]))
    for question in learner_history.values():
        pages.append(reverse("admin:exams_question_preview", args=[question.pk]))
    return pages


def test_no_learner_name_or_answer_appears_on_any_admin_page_an_instructor_opens(
    instructor_client, learner_history
):
    assert Domain.objects.count() and TaskStatement.objects.count()
    for url in instructor_pages(learner_history):
        response = instructor_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode().lower()
        assert "zebediah" not in page and "quill" not in page, url
    for model, pks in [
        ("question", [q.pk for q in learner_history.values()]),
        ("objective", [learner_history["practice"].objective_id]),
    ]:
        response = instructor_client.post(
            reverse(f"admin:exams_{model}_changelist"),
            {"action": "delete_selected", "_selected_action": pks},
        )
        page = response.content.decode().lower()
        assert "zebediah" not in page and "quill" not in page, model
