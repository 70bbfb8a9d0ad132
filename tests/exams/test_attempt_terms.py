"""An attempt keeps the terms it was taken under (design.md, guarantee 9):
editing the exam afterwards changes no past result on any page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.attempts import submit_attempt
from tests.conftest import make_exam, right_answer, save, start

NOW = timezone.datetime(2026, 11, 24, 9, 0, tzinfo=timezone.UTC)


@pytest.fixture
def taken(bank, learner):
    """A 5-question, 30-minute attempt with 3 right answers: 640, failed at 700."""
    exam = make_exam(questions=5, minutes=30, pass_mark=700)
    attempt = start(learner, exam, NOW)
    for item in attempt.items.order_by("position")[:3]:
        save(attempt, item.position, right_answer(item.snapshot), now=NOW)
    return submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=12))


def edit_exam(exam) -> None:
    exam.pass_mark = 500
    exam.time_limit_minutes = 90
    exam.question_count = 65
    exam.save()


def test_starting_copies_the_blueprints_terms(taken):
    assert taken.pass_mark == 700
    assert taken.time_allowed == timedelta(minutes=30) and taken.time_limit_minutes == 30
    assert (taken.question_count, taken.scored_count, taken.total) == (5, 5, 5)
    assert (taken.scaled_score, taken.passed) == (640, False)


def test_the_result_page_reads_the_attempts_terms_after_the_exam_is_edited(client, learner, taken):
    edit_exam(taken.exam)
    client.force_login(learner)
    html = client.get(reverse("exams:attempt_result", args=[taken.pk])).content.decode()
    assert "Pass mark 700" in html and "1 more correct answer would have passed" in html
    assert "of 30 min" in html
    assert "Pass mark 500" not in html and "of 90 min" not in html


def test_the_history_trend_draws_the_pass_line_the_attempt_was_graded_against(
    client, learner, taken
):
    edit_exam(taken.exam)
    client.force_login(learner)
    html = client.get(reverse("exams:history")).content.decode()
    assert "Pass mark 700" in html and "pass mark (700)" in html


def test_a_leads_review_and_csv_show_the_attempts_own_result(client, team_lead, learner, taken):
    edit_exam(taken.exam)
    cohort = team_lead.memberships.get().cohort
    client.force_login(team_lead)
    review = client.get(
        reverse("exams:cohort_member_attempt", args=[cohort.pk, learner.pk, taken.pk])
    ).content.decode()
    assert "Pass mark 700" in review
    # Time used and time limit are the learner's own: they could tell extra time.
    assert "Time used" not in review and "30 min" not in review
    member = client.get(
        reverse("exams:cohort_member", args=[cohort.pk, learner.pk])
    ).content.decode()
    assert "640" in member and "Fail" in member
    csv = client.get(reverse("exams:cohort_members_csv", args=[cohort.pk])).content.decode()
    assert "640" in csv
