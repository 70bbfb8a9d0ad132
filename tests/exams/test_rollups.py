"""Rollups: kept in step with finalization and practice checks, aged at read
time, and equal to a recomputation from the answers."""

import math
import random
from datetime import timedelta

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from exams import rollups
from exams.attempts import submit_attempt
from exams.models import Attempt, ExamRollup, LearnerRollup, ObjectiveResult, ObjectiveRollup
from exams.practice import check_answer, serve_next, start_session
from tests.conftest import as_query, make_exam, right_answer, save, start, wrong_answer

NOW = timezone.datetime(2026, 11, 24, 12, 0, tzinfo=timezone.UTC)


def practise(user, answers: list[bool], *, now):
    """Check one practice answer per entry (True = right), a minute apart."""
    session = start_session(user=user, scope="all", now=now, rng=random.Random(1))
    for n, right in enumerate(answers):
        at = now + timedelta(minutes=n)
        if n:
            session = serve_next(session=session, now=at, rng=random.Random(n))
        data = (right_answer if right else wrong_answer)(session.current_snapshot)
        check_answer(
            user=user,
            session_id=session.pk,
            token=session.current_token,
            data=as_query(data),
            now=at,
        )
        session.refresh_from_db()


def test_an_answer_weighs_half_after_one_half_life():
    assert rollups.aged(rollups.growth(NOW), NOW) == 1.0
    assert math.isclose(rollups.aged(rollups.growth(NOW), NOW + rollups.HALF_LIFE), 0.5)
    assert math.isclose(rollups.aged(rollups.growth(NOW - timedelta(days=90)), NOW), 0.125)


def test_finalization_adds_the_attempts_results_to_the_rollups(bank, learner):
    exam = make_exam(questions=14)
    attempt = start(learner, exam, NOW)
    first = attempt.items.order_by("position").first()
    save(attempt, first.position, right_answer(first.snapshot), now=NOW)
    submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    rows = {r.objective_id: r for r in ObjectiveRollup.objects.filter(user=learner)}
    results = {r.objective_id: r for r in ObjectiveResult.objects.filter(attempt=attempt)}
    assert rows.keys() == results.keys() and len(rows) == 14
    for objective_id, result in results.items():
        row = rows[objective_id]
        assert (row.correct, row.answers) == (result.correct, result.total)
        seen = rollups.evidence(row, NOW + timedelta(minutes=5))
        assert math.isclose(seen.total, result.total) and math.isclose(seen.right, result.correct)
    assert sum(r.correct for r in rows.values()) == 1
    # Submitting again changes nothing.
    submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=6))
    assert sum(r.answers for r in ObjectiveRollup.objects.filter(user=learner)) == 14
    assert LearnerRollup.objects.get(user=learner).answers == 14
    assert ExamRollup.objects.get(user=learner, exam=exam).attempts == 1


def test_a_practice_check_adds_one_answer(bank, learner):
    practise(learner, [True, False, True], now=NOW)
    rows = list(ObjectiveRollup.objects.filter(user=learner))
    assert sum(r.answers for r in rows) == 3 and sum(r.correct for r in rows) == 2
    assert max(r.last_at for r in rows) == NOW + timedelta(minutes=2)


def test_a_rolled_back_check_leaves_no_rollup(bank, learner):
    session = start_session(user=learner, scope="all", now=NOW, rng=random.Random(1))
    try:
        with transaction.atomic():
            check_answer(
                user=learner,
                session_id=session.pk,
                token=session.current_token,
                data=as_query(right_answer(session.current_snapshot)),
                now=NOW,
            )
            raise RuntimeError("the request failed after the check")
    except RuntimeError:
        pass
    assert not ObjectiveRollup.objects.exists()


def test_rollups_equal_a_recomputation_from_scratch(bank, learner, other_learner, capsys):
    exam = make_exam(questions=14)
    for n, (user, days) in enumerate([(learner, 40), (learner, 3), (other_learner, 10)]):
        when = NOW - timedelta(days=days)
        attempt = start(user, exam, when, seed=n)
        for item in attempt.items.order_by("position")[: 3 + n]:
            save(attempt, item.position, right_answer(item.snapshot), now=when)
        submit_attempt(attempt=attempt, now=when + timedelta(minutes=20))
    practise(learner, [True, False, True, True], now=NOW - timedelta(days=1))
    practise(other_learner, [False, False], now=NOW - timedelta(days=60))

    assert not rollups.drift()
    stored = {
        (r.user_id, r.objective_id): (r.decayed_right, r.decayed_total, r.answers, r.correct)
        for r in ObjectiveRollup.objects.all()
    }
    rollups.rebuild()
    rebuilt = {
        (r.user_id, r.objective_id): (r.decayed_right, r.decayed_total, r.answers, r.correct)
        for r in ObjectiveRollup.objects.all()
    }
    assert stored.keys() == rebuilt.keys()
    for key, values in stored.items():
        assert values[2:] == rebuilt[key][2:]
        assert all(
            math.isclose(a, b, rel_tol=1e-12)
            for a, b in zip(values[:2], rebuilt[key][:2], strict=True)
        )

    # One row a learner (both answered) and one a learner and exam (both took it).
    call_command("rebuild_rollups")
    out = capsys.readouterr().out
    assert f"{len(stored) + 2 + 2} rollup rows checked against the answers: no drifts." in out


def test_rebuild_rollups_reports_and_repairs_drift(bank, learner, capsys):
    practise(learner, [True, True], now=NOW)
    row = ObjectiveRollup.objects.filter(user=learner).first()
    ObjectiveRollup.objects.filter(pk=row.pk).update(answers=row.answers + 5)
    call_command("rebuild_rollups")
    out = capsys.readouterr().out
    assert f"drift: user {learner.pk}, objective {row.objective_id}: counts" in out
    assert "Rebuilt the rollups from the answers." in out
    assert not rollups.drift()
    ObjectiveRollup.objects.all().delete()
    found = rollups.drift()
    assert found and all("missing" in what for _, _, what in found.rows)


def test_the_migration_backfills_the_rollups_from_the_answers(bank, learner):
    from importlib import import_module

    from django.apps import apps

    practise(learner, [True, False, True], now=NOW)
    ObjectiveRollup.objects.all().delete()
    migration = import_module("exams.migrations.0016_objective_rollups_and_readiness_exams")
    migration.backfill(apps, None)
    assert ObjectiveRollup.objects.filter(user=learner).exists()
    assert not rollups.drift()


def test_a_learners_total_is_their_objective_rows_summed(bank, learner):
    exam = make_exam(questions=14)
    attempt = start(learner, exam, NOW)
    for item in attempt.items.order_by("position")[:4]:
        save(attempt, item.position, right_answer(item.snapshot), now=NOW)
    submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    practise(learner, [True, False], now=NOW + timedelta(hours=1))
    rows = list(ObjectiveRollup.objects.filter(user=learner))
    total = LearnerRollup.objects.get(user=learner)
    assert (total.answers, total.correct) == (16, 5)
    assert total.answers == sum(r.answers for r in rows)
    assert total.correct == sum(r.correct for r in rows)
    assert math.isclose(total.decayed_total, sum(r.decayed_total for r in rows), rel_tol=1e-12)
    assert math.isclose(total.decayed_right, sum(r.decayed_right for r in rows), rel_tol=1e-12)
    assert total.last_at == max(r.last_at for r in rows) == NOW + timedelta(hours=1, minutes=1)


def test_an_exam_rollup_keeps_the_count_best_latest_and_the_one_before(bank, learner):
    exam = make_exam(questions=14)
    scores = []
    for n, right in enumerate([6, 14, 2]):
        when = NOW + timedelta(days=n)
        attempt = start(learner, exam, when, seed=n)
        for item in attempt.items.order_by("position")[:right]:
            save(attempt, item.position, right_answer(item.snapshot), now=when)
        attempt = submit_attempt(attempt=attempt, now=when + timedelta(minutes=20))
        scores.append((attempt.scaled_score, attempt.passed, attempt.submitted_at))
        row = ExamRollup.objects.get(user=learner, exam=exam)
        assert row.attempts == n + 1
        assert row.best == max(score for score, _, _ in scores)
        assert (row.latest_score, row.latest_passed, row.latest_at) == scores[-1]
        before = scores[-2][1:] if n else (None, None)
        assert (row.previous_passed, row.previous_at) == before
    assert [passed for _, passed, _ in scores] == [False, True, False]
    assert not rollups.drift()


def test_an_attempt_finalized_after_a_later_one_does_not_become_the_latest(bank, learner):
    """An expired attempt ends at its deadline, however late it is noticed: the
    rollup places it by that time, as a recomputation from the attempts does."""
    exam = make_exam(questions=14)
    # Two finalized attempts of one exam arrive out of order: the newer first
    # (its time moved on, and the rollups rebuilt from it).
    newer = start(learner, exam, NOW, seed=1)
    submit_attempt(attempt=newer, now=NOW + timedelta(minutes=20))
    Attempt.objects.filter(pk=newer.pk).update(submitted_at=NOW + timedelta(days=2))
    rollups.rebuild(user_ids=[learner.pk])
    older = start(learner, exam, NOW + timedelta(days=1), seed=3)
    older = submit_attempt(attempt=older, now=NOW + timedelta(days=1, minutes=5))
    row = ExamRollup.objects.get(user=learner, exam=exam)
    assert row.latest_at == NOW + timedelta(days=2)
    assert row.previous_at == older.submitted_at
    assert row.attempts == 2
    assert not rollups.drift()


def test_drift_in_a_learners_total_or_an_exam_rollup_is_reported(bank, learner, capsys):
    exam = make_exam(questions=14)
    attempt = start(learner, exam, NOW)
    submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    LearnerRollup.objects.filter(user=learner).update(correct=3)
    ExamRollup.objects.filter(user=learner).update(best=999)
    call_command("rebuild_rollups")
    out = capsys.readouterr().out
    assert f"drift: user {learner.pk}, all objectives: counts 3/14, answers say 0/14" in out
    assert f"drift: user {learner.pk}, exam {exam.pk}: best 999 (attempts say " in out
    assert not rollups.drift()
    ExamRollup.objects.all().delete()
    assert [what for _, _, what in rollups.drift().rows] == ["missing: 1 finalized attempt"]


def test_the_second_migration_backfills_the_learner_and_exam_rollups(bank, learner):
    from importlib import import_module

    from django.apps import apps

    exam = make_exam(questions=14)
    attempt = start(learner, exam, NOW)
    submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    practise(learner, [True, False, True], now=NOW)
    LearnerRollup.objects.all().delete()
    ExamRollup.objects.all().delete()
    migration = import_module("exams.migrations.0020_learner_and_exam_rollups")
    migration.backfill(apps, None)
    assert LearnerRollup.objects.get(user=learner).answers == 17
    assert ExamRollup.objects.get(user=learner, exam=exam).attempts == 1
    assert not rollups.drift()
