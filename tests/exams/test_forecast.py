"""The readiness forecast: fixed data worked by hand, the pages that show it,
and its calibration on generated learners with known abilities."""

import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Cohort
from exams import rollups
from exams.forecast import MIN_ANSWERS, Blueprint, forecast, needed_raw
from exams.forecast_backtest import backtest
from exams.models import (
    Domain,
    ExamArea,
    ExamObjective,
    LearnerRollup,
    Objective,
    ObjectiveRollup,
    PracticeAnswer,
    PracticeSession,
    Question,
    TaskStatement,
)
from exams.reports import blueprint_of, learner_forecast
from exams.rollups import Evidence
from tests.conftest import make_exam

NOW = timezone.datetime(2026, 11, 24, 12, 0, tzinfo=timezone.UTC)
BLUEPRINT = Blueprint({1: 1, 2: 1}, question_count=10, pass_mark=700)
EVEN = {1: (3.0, 3.0), 2: (3.0, 3.0)}  # a cohort at 50 %, worth six answers


def test_the_forecast_on_fixed_data():
    seen = {1: Evidence(8.0, 10.0, 10, 8), 2: Evidence(5.0, 10.0, 10, 5)}
    f = forecast(seen, BLUEPRINT, EVEN)
    # The learner's level against a 50 % cohort: δ solves δ = 13 − 20σ(δ), so
    # δ = 0.5089 (σ = 0.6245), variance 1 / (1 + 20 × 0.6245 × 0.3755) = 0.1758.
    # Priors Beta(3.747, 2.253); objective 1: Beta(11.747, 4.253), p = 0.7342;
    # objective 2: Beta(8.747, 7.253), p = 0.5467; five items each: 6.404 right
    # expected → 100 + 90 × 6.404 = 676. Variances 5p(1−p)(16+5)/17 = 1.2054 +
    # 1.5307, plus the level's (2 × 5 × 0.6245 × 0.3755 × 6/16)² × 0.1758 =
    # 0.1359: σ = 1.6947; ±1.2816σ → 4.233 … 8.576 right → 481 … 872. Passing
    # needs 7 right (730; 6 is 640): P = 1 − Φ((6.5 − 6.404) / 1.6947) = 0.478.
    assert (f.score, f.low, f.high) == (676, 481, 872)
    assert math.isclose(f.p_pass, 0.4775, abs_tol=5e-4)
    assert f.answers == 20 and f.label == "P(pass) 0.48, 481–872"


def test_the_cohort_prior_pulls_a_thin_record_toward_the_cohort():
    seen = {1: Evidence(10.0, 10.0, 10, 10), 2: Evidence(10.0, 10.0, 10, 10)}
    strong = forecast(seen, BLUEPRINT, {1: (5.4, 0.6), 2: (5.4, 0.6)})
    weak = forecast(seen, BLUEPRINT, {1: (0.6, 5.4), 2: (0.6, 5.4)})
    assert strong.score > weak.score and strong.p_pass > weak.p_pass


def test_old_answers_count_less():
    old = rollups.growth(NOW - timedelta(days=120)) / rollups.growth(NOW)
    recent = {1: Evidence(10.0, 10.0, 10, 10), 2: Evidence(0.0, 10.0, 10, 0)}
    faded = {1: Evidence(10.0, 10.0, 10, 10), 2: Evidence(0.0, 10.0 * old, 10, 0)}
    assert forecast(faded, BLUEPRINT, EVEN).score > forecast(recent, BLUEPRINT, EVEN).score
    # The same record given long ago weighs less: a wider interval.
    now = {o: Evidence(5.0, 10.0, 10, 5) for o in (1, 2)}
    then = {o: Evidence(5.0 * old, 10.0 * old, 10, 5) for o in (1, 2)}
    f, r = forecast(then, BLUEPRINT, EVEN), forecast(now, BLUEPRINT, EVEN)
    assert f.high - f.low > r.high - r.low and f.low > 100 and f.high < 1000


@pytest.mark.parametrize(
    ("seen", "enough"),
    [
        ({1: Evidence(5.0, 10.0, 10, 5), 2: Evidence(5.0, 9.0, MIN_ANSWERS - 11, 5)}, False),
        ({1: Evidence(5.0, 10.0, 10, 5), 2: Evidence(5.0, 10.0, MIN_ANSWERS - 10, 5)}, True),
        ({1: Evidence(15.0, 30.0, 30, 15)}, True),  # half the weight: just enough
        ({3: Evidence(15.0, 30.0, 30, 15)}, False),  # not the blueprint's objectives
    ],
)
def test_not_enough_data_below_the_minimum(seen, enough):
    assert (forecast(seen, BLUEPRINT, EVEN) is not None) is enough


def test_not_enough_data_when_the_answers_cover_too_little_of_the_blueprint():
    blueprint = Blueprint({1: 1, 2: 3}, question_count=10, pass_mark=700)
    assert forecast({1: Evidence(40.0, 50.0, 50, 40)}, blueprint, EVEN) is None


def test_needed_raw_follows_the_rounding_of_scaled_scores():
    assert needed_raw(Blueprint({1: 1}, 65, 700)) == 44  # 100 + 900 × 44/65 = 709
    assert needed_raw(Blueprint({1: 1}, 10, 700)) == 7
    assert needed_raw(Blueprint({1: 1}, 10, 100)) == 0


def give_answers(user, exam, *, right: int, of: int, objectives=None):
    """Rollups for `user`: `of` answers, `right` of them right, over the exam's objectives."""
    if objectives is None:
        objectives = list(exam.exam_objectives.values_list("objective_id", flat=True))
    weight = rollups.growth(NOW)
    given = 0
    for n, objective_id in enumerate(objectives):
        share = of // len(objectives) + (n < of % len(objectives))
        good = right * (given + share) // of - right * given // of
        given += share
        ObjectiveRollup.objects.create(
            user=user,
            objective_id=objective_id,
            decayed_right=good * weight,
            decayed_total=share * weight,
            answers=share,
            correct=good,
            last_at=NOW,
        )
    # The learner's total, as rollups.record keeps it beside the objective rows.
    LearnerRollup.objects.create(
        user=user,
        decayed_right=right * weight,
        decayed_total=of * weight,
        answers=of,
        correct=right,
        last_at=NOW,
    )


def test_the_learner_and_the_lead_see_the_forecast(client, bank, team_lead, learner, settings):
    exam = make_exam(questions=20, title="Full simulation")
    client.force_login(learner)
    home = client.get(reverse("exams:home")).content.decode()
    # A first visit shows the call to action, not an empty forecast.
    assert "Take your first mock exam" in home and "Forecast:" not in home

    give_answers(learner, exam, right=25, of=28)
    # The answers behind the rollups, as the home page counts them (one is enough).
    question = Question.objects.published().first()
    session = PracticeSession.objects.create(
        user=learner, scope=PracticeSession.Scope.ALL, label="All", started_at=timezone.now()
    )
    PracticeAnswer.objects.create(
        session=session,
        user=learner,
        question=question,
        question_version=question.version,
        objective=question.objective,
        snapshot={},
        is_correct=True,
        answered_at=timezone.now(),
    )
    expected = forecast(
        {
            r.objective_id: rollups.evidence(r, timezone.now())
            for r in learner.objective_rollups.all()
        },
        rollups_blueprint(exam),
        {},
    )
    home = client.get(reverse("exams:home")).content.decode()
    assert "not enough data yet" not in home and "80% range" in home

    cohort = Cohort.objects.get(name="Cohort A")
    client.force_login(team_lead)
    page = client.get(reverse("exams:cohort_detail", args=[cohort.pk]))
    (row,) = page.context["report"].members
    assert row.forecast is not None and row.forecast.p_pass > 0.5
    assert f"P(pass) {row.forecast.p_pass:.2f}, {row.forecast.low}–{row.forecast.high}" in (
        page.content.decode()
    )
    assert expected is not None
    # The cohort's forecast: its only member is its typical member.
    cohort_forecast = page.context["report"].cohort_forecast
    assert cohort_forecast is not None and "Cohort forecast" in page.content.decode()
    assert abs(cohort_forecast.score - row.forecast.score) <= 1
    member = client.get(reverse("exams:cohort_member", args=[cohort.pk, learner.pk]))
    assert "Forecast: Full simulation" in member.content.decode()


def rollups_blueprint(exam):
    return blueprint_of(exam)


def test_the_forecast_spreads_a_domain_or_task_statement_weight_over_its_objectives(bank):
    """The full-length simulation is weighted by domain: the forecast weighs
    each objective as the draw does (docs/exams.md, "Blueprints")."""
    exam = make_exam(questions=65)
    ExamObjective.objects.filter(exam=exam).delete()
    domain_3 = Domain.objects.get(code="3")
    ExamArea.objects.create(exam=exam, domain=domain_3, weight=28)
    other = Domain.objects.create(code="9", title="Other")
    task = TaskStatement.objects.create(domain=other, code="9.1", title="A task")
    pair = [Objective.objects.create(task_statement=task, code=f"9.1.{n}") for n in (1, 2)]
    ExamArea.objects.create(exam=exam, task_statement=task, weight=10)
    single = Objective.objects.create(
        task_statement=TaskStatement.objects.create(domain=other, code="9.2", title="Another"),
        code="9.2.1",
    )
    ExamObjective.objects.create(exam=exam, objective=single, weight=5)

    weights = blueprint_of(exam).weights
    in_domain_3 = Objective.objects.filter(task_statement__domain=domain_3)
    assert set(weights) == {o.pk for o in [*in_domain_3, *pair, single]}
    assert all(weights[o.pk] == pytest.approx(28 / len(in_domain_3)) for o in in_domain_3)
    assert [weights[o.pk] for o in pair] == [5, 5] and weights[single.pk] == 5


def test_the_forecast_predicts_the_scored_items_only(bank):
    """Unscored items count in no score, so the forecast's items are the scored ones."""
    exam = make_exam(questions=65, unscored_count=15)
    blueprint = blueprint_of(exam)
    assert (blueprint.question_count, blueprint.pass_mark) == (50, 700)


def test_a_learner_gets_a_forecast_on_a_domain_weighted_readiness_exam(bank, learner):
    exam = make_exam(questions=65, unscored_count=15, title="Full-length simulation")
    ExamObjective.objects.filter(exam=exam).delete()
    domain_3 = Domain.objects.get(code="3")
    ExamArea.objects.create(exam=exam, domain=domain_3, weight=28)
    objectives = list(
        Objective.objects.filter(task_statement__domain=domain_3).values_list("pk", flat=True)
    )
    give_answers(learner, exam, right=25, of=28, objectives=objectives)
    result = learner_forecast(learner, NOW)
    assert result["exam"] == exam and result["forecast"] is not None


@pytest.mark.parametrize("scored_items", [65, 50])  # every item scored; 50 of 65, as the real exam
def test_the_forecast_is_calibrated_on_generated_learners(scored_items):
    """Known abilities (exams.simulation): the 80 % interval holds the next
    full-length score about 80 % of the time, and P(pass) is honest."""
    result = backtest(seed=1, learners=600, scored_items=scored_items)
    assert len(result.outcomes) > 400 and result.without_forecast > 0
    assert 0.75 <= result.coverage <= 0.87, result.coverage
    assert result.brier < 0.15, result.brier
    # Generated learners keep improving after their last answer, which no
    # forecast from past answers can see: it errs low, by less than 30 points.
    assert -30 < result.mean_error < 0, result.mean_error
    for _, learners, predicted, passed in result.reliability():
        if learners >= 40:
            assert abs(predicted - passed) < 0.25
