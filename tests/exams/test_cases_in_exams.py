"""Case studies on the learner's side: drawn whole, kept together, and the
scenario shown above each of their questions (exam, review, practice)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import practice
from exams.attempts import submit_attempt
from exams.models import Case, Question
from tests.conftest import make_exam, start


@pytest.mark.parametrize("seed", range(8))
def test_a_drawn_case_comes_whole_and_together(bank, learner, seed):
    attempt = start(learner, make_exam(questions=40), seed=seed)
    members = defaultdict(set)
    for question in Question.objects.published().exclude(case=None):
        members[question.case_id].add(question.pk)
    positions = defaultdict(list)
    for item in attempt.items.select_related("question"):
        if item.question.case_id:
            positions[item.question.case_id].append(item.position)
            assert item.snapshot["case"]["scenario"] == item.question.case.scenario
        else:
            assert "case" not in item.snapshot
    for case_id, seen in positions.items():
        assert len(seen) == len(members[case_id])  # never part of a case
        assert max(seen) - min(seen) == len(seen) - 1  # one after another
    assert attempt.items.count() == 40


def test_the_draw_still_follows_the_blueprint_per_objective(bank, learner):
    attempt = start(learner, make_exam(questions=28), seed=3)
    per_objective = defaultdict(int)
    for item in attempt.items.all():
        per_objective[item.objective_id] += 1
    assert set(per_objective.values()) == {2}  # 28 over 14 equal weights


def case_item(attempt):
    return next(i for i in attempt.items.order_by("position") if "case" in i.snapshot)


def test_the_scenario_is_shown_above_the_question_and_in_the_review(client, bank, learner):
    attempt = start(learner, make_exam(questions=65), seed=1)
    item = case_item(attempt)
    case = Case.objects.get(external_id=item.snapshot["case"]["id"])
    client.force_login(learner)
    take = client.get(reverse("exams:attempt_take", args=[attempt.pk]) + f"?q={item.position}")
    html = take.content.decode()
    assert 'class="case-study"' in html and case.title in html
    assert html.index('class="case-study"') < html.index('class="stem"')
    submit_attempt(attempt=attempt, now=timezone.now())
    result = client.get(reverse("exams:attempt_result", args=[attempt.pk])).content.decode()
    assert (
        result.count('class="case-study"')
        == attempt.items.filter(question__case__isnull=False).count()
    )


def test_practice_shows_the_scenario_of_a_case_question(client, bank, learner):
    question = Question.objects.published().exclude(case=None).first()
    session = practice.start_session(
        user=learner, scope="objective", value=question.objective.code, now=timezone.now()
    )
    for _ in range(500):  # new questions come in random order: serve until a case's
        if session.current_question.case_id is not None:
            break
        session = practice.serve_next(session=session, now=timezone.now())
    client.force_login(learner)
    html = client.get(reverse("exams:practice_session", args=[session.pk])).content.decode()
    assert 'class="case-study"' in html and session.current_question.case.title in html
