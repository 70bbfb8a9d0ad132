"""Learner mastery, coverage, streak, readiness and the dashboard's query budget."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import rollups
from exams.grading import ObjectiveTally
from exams.models import Objective, PracticeAnswer, PracticeSession, Question
from exams.reports import (
    coverage,
    mastery_share,
    objective_mastery,
    practice_streak,
    readiness,
    weakest_objectives,
)
from tests.conftest import make_exam, start

NOW = timezone.datetime(2026, 11, 24, 12, 0, tzinfo=timezone.UTC)


def add_answers(user, question, results, *, days_ago=0):
    """Practice answers for `question`: one per entry of `results` (True = right),
    added to the learner's rollups as a practice check does."""
    session, _ = PracticeSession.objects.get_or_create(
        user=user, scope="all", defaults={"label": "test", "started_at": NOW}
    )
    PracticeAnswer.objects.bulk_create(
        PracticeAnswer(
            user=user,
            session=session,
            question=question,
            question_version=1,
            objective_id=question.objective_id,
            snapshot={},
            is_correct=right,
            answered_at=NOW - timedelta(days=days_ago, minutes=i),
        )
        for i, right in enumerate(results)
    )
    for i, right in enumerate(results):
        rollups.record(
            user_id=user.pk,
            tallies=[ObjectiveTally(question.objective_id, int(right), 1)],
            at=NOW - timedelta(days=days_ago, minutes=i),
        )


def test_the_formula_is_smoothed_toward_fifty_percent():
    assert mastery_share(0, 0) == 50
    assert mastery_share(1, 1) == 67  # one answer, right just now: (1 + 1) / (1 + 2)
    assert mastery_share(0, 1) == 33
    assert mastery_share(10, 10) == 92


def test_recent_answers_weigh_more_than_old_ones(bank, learner):
    q1, q2 = Question.objects.filter(objective__code="3.3.1.1")[:2]
    add_answers(learner, q1, [False] * 4, days_ago=120)  # four half-lives: weight 1/16 each
    add_answers(learner, q2, [True] * 4, days_ago=0)  # weight 1 each (minutes old)
    mastery = objective_mastery(learner, NOW)[q1.objective_id]
    assert mastery.answers == 8
    # (4 right + 1) / (4 + 4 × 1/16 + 2) = 5 / 6.25; the old wrong answers barely count
    assert mastery.percent == 80
    # Read 60 days later, all eight have aged alike: the share moves toward the plain 4/8.
    assert objective_mastery(learner, NOW + timedelta(days=60))[q1.objective_id].percent == 65


def test_mock_exam_items_count_toward_mastery(bank, learner):
    from exams.attempts import submit_attempt

    attempt = start(learner, make_exam(questions=14), NOW - timedelta(days=3))
    submit_attempt(attempt=attempt, now=NOW - timedelta(days=3))  # nothing answered: all wrong
    mastery = objective_mastery(learner, NOW)
    assert len(mastery) == 14
    # One wrong answer three days old (weight 2^(-3/30) = 0.93): 1 / (0.93 + 2).
    assert all(m.percent == 34 and m.answers == 1 for m in mastery.values())


def test_weakest_objectives_are_the_lowest_mastery_first(bank, learner):
    weak = Objective.objects.get(code="3.3.3.2")
    q = Question.objects.filter(objective=weak).first()
    add_answers(learner, q, [False, False])
    for objective in Objective.objects.exclude(pk=weak.pk)[:11]:
        add_answers(learner, objective.questions.first(), [True])
    ranked = weakest_objectives(learner, NOW)
    assert ranked[0] == weak
    # The two never-answered objectives (50 %) come next, before the ones at 67 %.
    untouched = Objective.objects.exclude(pk=weak.pk)[11:]
    assert set(ranked[1:]) == set(untouched)


def test_coverage_counts_distinct_published_questions_seen(bank, learner):
    questions = list(Question.objects.all()[:3])
    add_answers(learner, questions[0], [True, False, True])
    add_answers(learner, questions[1], [True])
    seen, total = coverage(learner)
    assert (seen, total) == (2, Question.objects.published().count())


def test_the_streak_counts_consecutive_days_in_the_learners_time_zone(bank, learner):
    q = Question.objects.first()
    for days in (0, 1, 2, 4):
        add_answers(learner, q, [True], days_ago=days)
    assert practice_streak(learner, NOW) == 3
    assert practice_streak(learner, NOW + timedelta(days=1)) == 3  # yesterday still counts
    assert practice_streak(learner, NOW + timedelta(days=2)) == 0


def test_readiness_is_the_latest_score_and_its_change(bank, learner):
    from exams.attempts import submit_attempt

    assert readiness(learner) is None
    exam = make_exam(questions=5)
    for seed in range(2):
        attempt = start(learner, exam, NOW - timedelta(days=5 - seed), seed=seed)
        submit_attempt(attempt=attempt, now=NOW - timedelta(days=5 - seed))
    result = readiness(learner)
    assert (result.latest, result.change, result.passed) == (100, 0, False)


@pytest.mark.parametrize("answers", [10, 1000])
def test_the_dashboard_runs_constant_queries_whatever_the_history(
    client, bank, learner, answers, django_assert_num_queries
):
    questions = list(Question.objects.all())
    for index in range(answers):
        add_answers(
            learner, questions[index % len(questions)], [index % 3 != 0], days_ago=index % 60
        )
    client.force_login(learner)
    # 1 session, 2 user, 3 the exams open to the learner (also the forecast's
    # choice of readiness exam: none here, so no forecast queries), 4 per exam
    # the best score, the attempts started and the one in progress (attempts
    # in progress are read only when there are some: none here), 5 the last
    # five finalized attempts (the recent table and the readiness trend), 6 the
    # learner's rollup rows (mastery, and the forecast's evidence), 7
    # objectives with published questions (read once for the mastery table and
    # the weakest three), 8 published questions seen (coverage), 9 practice
    # days (streak), 10 the learner's cohort (the forecast's prior), 11 "is a
    # team lead?".
    with django_assert_num_queries(11):
        page = client.get(reverse("exams:home")).content.decode()
    assert "Mastery by objective" in page and "Study next" in page and "Bank coverage" in page
