"""Blueprints: weights per objective or per task statement / domain, the plan
the admin shows, and what refuses a blueprint (docs/exams.md, "Blueprints")."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from exams import blueprints, grading
from exams.models import Domain, Exam, ExamArea, ExamObjective, Objective, Question, TaskStatement
from tests.conftest import make_exam, start

NOW = timezone.datetime(2026, 11, 24, 9, 0, tzinfo=timezone.UTC)


# --- pure: allocation over areas -----------------------------------------


def test_an_area_weight_is_shared_between_areas_then_spread_within_each():
    # Two areas, 3:1; the first has objectives 1, 2, 3, the second 4 and 5.
    entries = {("task", 1): 3, ("task", 2): 1}
    members = {("task", 1): [1, 2, 3], ("task", 2): [4, 5]}
    available = dict.fromkeys([1, 2, 3, 4, 5], 10)
    allocation = grading.allocate_blueprint(entries, members, available, 12, random.Random(1))
    assert sum(allocation[o] for o in (1, 2, 3)) == 9
    assert sum(allocation[o] for o in (4, 5)) == 3
    assert sorted(allocation[o] for o in (1, 2, 3)) == [3, 3, 3]


def test_what_an_objective_of_an_area_cannot_supply_comes_from_the_rest_of_the_area():
    entries = {("domain", 1): 1, ("objective", 9): 1}
    members = {("domain", 1): [1, 2], ("objective", 9): [9]}
    available = {1: 1, 2: 10, 9: 10}
    allocation = grading.allocate_blueprint(entries, members, available, 10, random.Random(1))
    # The domain keeps its half: objective 1 has one question, objective 2 gives the rest.
    assert allocation == {1: 1, 2: 4, 9: 5}


def test_an_area_that_cannot_supply_its_share_leaves_the_rest_to_the_other_weights():
    entries = {("domain", 1): 1, ("domain", 2): 1}
    members = {("domain", 1): [1], ("domain", 2): [2, 3]}
    allocation = grading.allocate_blueprint(
        entries, members, {1: 2, 2: 10, 3: 10}, 10, random.Random(1)
    )
    assert allocation[1] == 2 and allocation[2] + allocation[3] == 8


def test_objective_weights_alone_allocate_as_before():
    weights = {1: 2, 2: 1, 3: 1}
    available = {1: 5, 2: 5, 3: 1}
    old = grading.allocate(weights, available, 8, random.Random(3))
    new = grading.allocate_blueprint(
        {("objective", o): w for o, w in weights.items()},
        {("objective", o): [o] for o in weights},
        available,
        8,
        random.Random(3),
    )
    assert new == old


# --- pure: drawing a form with unscored items -------------------------------


def test_a_form_draws_its_scored_questions_then_unscored_items_pretest_first():
    members = {("objective", 1): [1], ("objective", 2): [2]}
    units = grading.draw_form(
        entries={("objective", 1): 1, ("objective", 2): 1},
        members=members,
        published={1: [10, 11, 12, 13], 2: [20, 21, 22, 23]},
        pretest={1: [19], 2: []},
        groups={},
        scored_count=4,
        unscored_count=3,
        rng=random.Random(5),
    )
    scored = [q for u in units if u.scored for q in u.questions]
    unscored = [q for u in units if not u.scored for q in u.questions]
    assert len(scored) == 4 and len(unscored) == 3
    assert 19 in unscored and 19 not in scored  # the pretest draft, never scored
    assert not set(scored) & set(unscored)
    assert Counter(q // 10 for q in scored) == {1: 2, 2: 2}


def test_the_score_leaves_unscored_items_out_of_raw_scaled_and_objectives():
    items = [
        (1, True, True),
        (1, False, True),
        (2, True, False),
        (2, True, False),
        (3, False, False),
    ]
    score = grading.score(items)
    assert (score.raw, score.total, score.scaled) == (1, 2, 550)
    assert score.objectives == [grading.ObjectiveTally(1, 1, 2)]


# --- the plan the admin shows, and what it refuses --------------------------


def plan_of(exam: Exam, **terms) -> blueprints.Plan:
    return blueprints.plan(blueprints.blueprint_of(exam), **terms)


def exam_with_domain_weight(**fields) -> Exam:
    exam = Exam.objects.create(title="By domain", slug="by-domain", **fields)
    ExamArea.objects.create(exam=exam, domain=Domain.objects.get(code="3"), weight=28)
    return exam


def test_a_domain_weight_spreads_over_its_objectives_in_the_plan(bank):
    exam = exam_with_domain_weight(question_count=28, is_published=True)
    plan = plan_of(exam, question_count=28, unscored_count=0, is_published=True)
    objectives = Objective.objects.filter(task_statement__domain__code="3")
    assert len(plan.lines) == objectives.count() == 14
    assert {line.area for line in plan.lines} == {"Domain 3"}
    assert {line.asks for line in plan.lines} == {2}
    assert sum(line.share for line in plan.lines) == 1
    published = Question.objects.published().filter(objective__in=objectives).count()
    assert plan.published == published and plan.errors == [] and plan.warnings == []


def test_a_domain_weighted_exam_draws_from_every_objective_of_the_domain(bank, learner):
    exam = exam_with_domain_weight(question_count=28, time_limit_minutes=30, is_published=True)
    attempt = start(learner, exam, NOW)
    per_objective = Counter(attempt.items.values_list("objective__code", flat=True))
    assert len(per_objective) == 14
    assert sum(per_objective.values()) == 28


def test_a_short_objective_warns_and_says_where_the_rest_comes_from(bank):
    exam = make_exam(questions=20)
    objective = Objective.objects.get(code="3.3.1.1")
    Question.objects.filter(objective=objective).exclude(
        pk=Question.objects.filter(objective=objective).first().pk
    ).update(status=Question.Status.DRAFT)
    plan = plan_of(exam, question_count=28, unscored_count=0, is_published=True)
    line = next(line for line in plan.lines if line.objective == objective)
    assert line.short and line.published == 1 and line.asks == 2
    assert (
        "3.3.1.1 asks for 2 questions but 1 is published: the rest come from the other objectives."
        in plan.warnings
    )
    assert plan.errors == []


def test_a_published_exam_asking_for_more_than_the_pool_is_refused(bank):
    exam = make_exam(questions=5)
    published = Question.objects.published().filter(objective__task_statement__code="3.3").count()
    plan = plan_of(
        exam,
        question_count=published + 1,
        unscored_count=0,
        is_published=True,
    )
    assert plan.errors == [
        f"The exam asks for {published + 1} scored questions but its objectives have "
        f"{published} published: lower the question count or publish more questions."
    ]
    draft = plan_of(
        exam,
        question_count=published + 1,
        unscored_count=0,
        is_published=False,
    )
    assert draft.errors == [] and any("cannot be published so" in w for w in draft.warnings)


def test_unscored_items_may_come_from_pretest_drafts_beyond_the_published_pool(bank):
    exam = make_exam(questions=5)
    published = Question.objects.published().filter(objective__task_statement__code="3.3").count()
    Question.objects.filter(pk=Question.objects.published().first().pk).update(
        status=Question.Status.DRAFT, pretest=True
    )
    plan = plan_of(
        exam,
        question_count=published,
        unscored_count=1,
        is_published=True,
    )
    assert (plan.published, plan.pretest, plan.errors) == (published - 1, 1, [])
    too_many = plan_of(
        exam,
        question_count=published + 1,
        unscored_count=2,
        is_published=True,
    )
    assert too_many.errors == [
        f"The exam asks for {published + 1} questions but its objectives have "
        f"{published - 1} published and 1 pretest drafts."
    ]


def test_an_objective_weighted_twice_is_refused(bank):
    exam = make_exam(questions=5)
    ExamArea.objects.create(exam=exam, task_statement=TaskStatement.objects.get(code="3.3"))
    plan = plan_of(exam, question_count=5, unscored_count=0, is_published=False)
    assert len(plan.errors) == 14
    assert plan.errors[0].startswith("Objective 3.3.1.1 is weighted twice (3.3.1.1 Pre-training")


def test_a_blueprint_without_weights_cannot_be_published(bank):
    exam = Exam.objects.create(title="Empty", slug="empty", question_count=5)
    plan = plan_of(exam, question_count=5, unscored_count=0, is_published=True)
    assert plan.errors == [
        "The blueprint has no weights: give an objective, a task statement or a domain a weight."
    ]


def test_a_blueprint_reads_in_two_queries_and_plans_in_one_more(bank, django_assert_num_queries):
    exam = make_exam(questions=5)
    with django_assert_num_queries(2):
        # 1 the objective weights with their objectives, 2 the area weights
        blueprint = blueprints.blueprint_of(exam)
    with django_assert_num_queries(1):
        # 1 published and pretest counts per objective
        blueprints.plan(blueprint, question_count=5, unscored_count=0, is_published=True)


def test_editing_the_blueprint_changes_no_attempt_already_taken(bank, learner):
    exam = make_exam(questions=5)
    attempt = start(learner, exam, NOW)
    questions = list(attempt.items.values_list("question_id", "objective_id", "scored"))
    exam.question_count, exam.unscored_count, exam.pass_mark = 20, 5, 800
    exam.save()
    ExamObjective.objects.filter(exam=exam).delete()
    ExamArea.objects.create(exam=exam, domain=Domain.objects.get(code="3"))
    attempt.refresh_from_db()
    assert (attempt.question_count, attempt.scored_count, attempt.pass_mark) == (5, 5, 700)
    assert list(attempt.items.values_list("question_id", "objective_id", "scored")) == questions
    assert attempt.deadline == NOW + timedelta(minutes=30)


@pytest.mark.parametrize("shuffle", [True, False])
def test_unscored_items_sit_among_the_others(bank, learner, shuffle):
    exam = make_exam(questions=14, unscored_count=5, shuffle_questions=shuffle)
    attempt = start(learner, exam, NOW)
    flags = list(attempt.items.order_by("position").values_list("scored", flat=True))
    assert flags.count(False) == 5 and len(flags) == 14
    assert flags != [True] * 9 + [False] * 5  # not all at the end
