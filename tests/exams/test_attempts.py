"""The attempt lifecycle (exams/attempts.py) with a real database."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from exams import attempts
from exams.attempts import AttemptError, submit_attempt
from exams.models import Attempt, AttemptItem, ObjectiveResult, Question
from tests.conftest import (
    item_of_kind,
    make_exam,
    parsed_answer,
    right_answer,
    save,
    start,
    wrong_answer,
)

NOW = timezone.datetime(2026, 11, 24, 9, 0, tzinfo=timezone.UTC)


def answer(attempt, position, data, now=NOW, seq=None):
    return save(attempt, position, data, now=now, seq=seq)


def test_starting_draws_the_blueprint_stratified_without_duplicates(bank, learner):
    exam = make_exam(questions=20)
    attempt = start(learner, exam, NOW)

    items = list(attempt.items.all())
    assert len(items) == 20 == attempt.total
    assert len({i.question_id for i in items}) == 20
    per_objective = Counter(i.objective_id for i in items)
    assert len(per_objective) == 14 and set(per_objective.values()) <= {1, 2}
    assert attempt.deadline == NOW + timedelta(minutes=30)
    assert {i.question_version for i in items} == {1}


def test_only_published_questions_are_drawn(bank, learner):
    Question.objects.exclude(kind="matching").update(status="retired")
    matching = Question.objects.published().count()
    assert 0 < matching < Question.objects.filter(kind="matching").count()  # some are retired
    attempt = start(learner, make_exam(questions=50), NOW)
    assert attempt.total == matching
    assert {i.snapshot["kind"] for i in attempt.items.all()} == {"matching"}


def test_an_exam_without_published_questions_cannot_start(bank, learner):
    Question.objects.update(status="draft")
    with pytest.raises(AttemptError, match="no published questions"):
        start(learner, make_exam(), NOW)


def test_questions_and_choices_are_shuffled_per_attempt(bank, learner, other_learner):
    exam = make_exam(questions=20)
    first = start(learner, exam, NOW, seed=1)
    second = start(other_learner, exam, NOW, seed=2)
    order = lambda a: [i.question_id for i in a.items.order_by("position")]  # noqa: E731
    assert order(first) != order(second)
    moved = 0
    for item in first.items.all():
        bank_order = list(item.question.choices.values_list("text", flat=True))
        shown = [o["text"] for o in item.snapshot["options"]]
        assert sorted(shown) == sorted(bank_order)
        moved += shown != bank_order
    assert moved >= 15  # of 20: choices are shuffled per attempt


def test_ordering_items_and_matching_partners_never_show_in_key_order(bank, learner):
    for seed in range(15):
        attempt = start(learner, make_exam(questions=98, minutes=None), NOW, seed=seed)
        for item in attempt.items.all():
            snap = item.snapshot
            if snap["kind"] == "ordering":
                assert [o["id"] for o in snap["options"]] != snap["key"]
            if snap["kind"] == "matching":
                partners = [snap["key"][o["id"]] for o in snap["options"]]
                assert [m["id"] for m in snap["matches"]] != partners
        attempt.delete()


def test_starting_again_resumes_the_attempt_in_progress(bank, learner):
    exam = make_exam()
    first = start(learner, exam, NOW)
    assert start(learner, exam, NOW + timedelta(minutes=5)) == first
    assert Attempt.objects.count() == 1


def test_the_database_allows_one_attempt_in_progress_per_learner_and_exam(bank, learner):
    exam = make_exam()
    start(learner, exam, NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(user=learner, exam=exam, started_at=NOW)


def test_a_snapshot_keeps_what_was_shown_when_the_question_changes(bank, learner):
    attempt = start(learner, make_exam(), NOW)
    item = attempt.items.first()
    before = dict(item.snapshot)
    Question.objects.filter(pk=item.question_id).update(stem="Edited later", status="retired")
    item.question.choices.all().delete()
    item.refresh_from_db()
    assert item.snapshot == before


def test_saving_stores_the_answer_and_bumps_the_sequence(bank, learner):
    attempt = start(learner, make_exam(), NOW)
    item = attempt.items.get(position=1)
    saved = answer(attempt, 1, right_answer(item.snapshot))
    item.refresh_from_db()
    assert item.seq == 1 and item.answered_at == NOW and saved.answered_count == 1


def test_a_stale_write_is_refused_and_the_newest_answer_stays(bank, learner):
    attempt = start(learner, make_exam(), NOW)
    item = attempt.items.get(position=1)
    new = right_answer(item.snapshot)
    old = wrong_answer(item.snapshot)
    answer(attempt, 1, new, seq=0)  # the newer tab
    with pytest.raises(AttemptError, match="changed in another window"):
        answer(attempt, 1, old, seq=0)  # the old tab still shows seq 0
    item.refresh_from_db()
    assert item.response == parsed_answer(item, new)


def test_answers_are_taken_until_the_deadline_plus_grace(bank, learner, settings):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 30
    attempt = start(learner, make_exam(minutes=10), NOW)
    item = attempt.items.get(position=1)
    response = right_answer(item.snapshot)
    answer(attempt, 1, response, now=attempt.deadline + timedelta(seconds=29))
    with pytest.raises(AttemptError, match="Time is up"):
        answer(attempt, 2, response, now=attempt.deadline + timedelta(seconds=31))
    assert attempt.items.get(position=2).response is None


def test_submit_grades_scales_and_writes_objective_results(bank, learner):
    attempt = start(learner, make_exam(questions=10), NOW)
    items = list(attempt.items.order_by("position"))
    for item in items[:7]:
        answer(attempt, item.position, right_answer(item.snapshot))
    answer(attempt, items[7].position, wrong_answer(items[7].snapshot))

    result = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=3))

    assert result.status == "submitted"
    assert (result.raw_score, result.total, result.scaled_score) == (7, 10, 730)
    assert result.passed is True
    tallies = ObjectiveResult.objects.filter(attempt=attempt)
    assert sum(t.total for t in tallies) == 10 and sum(t.correct for t in tallies) == 7
    assert AttemptItem.objects.filter(attempt=attempt, is_correct=True).count() == 7


@pytest.mark.parametrize("kind", ["single", "multiple", "ordering", "matching"])
def test_each_kind_is_scored_right_and_wrong(bank, learner, kind):
    attempt = start(learner, make_exam(questions=98, minutes=None), NOW)
    item = item_of_kind(attempt, kind)
    answer(attempt, item.position, right_answer(item.snapshot))
    other = next(
        i for i in attempt.items.order_by("-position") if i.snapshot["kind"] == kind and i != item
    )
    answer(attempt, other.position, wrong_answer(other.snapshot))
    submit_attempt(attempt=attempt, now=NOW)
    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.is_correct, other.is_correct) == (True, False)


def test_submitting_twice_finalizes_once(bank, learner):
    attempt = start(learner, make_exam(), NOW)
    first = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=1))
    second = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=2))
    assert second.submitted_at == first.submitted_at
    assert ObjectiveResult.objects.filter(attempt=attempt).count() == len(
        {i.objective_id for i in attempt.items.all()}
    )


def test_changing_an_answer_after_submit_is_refused(bank, learner):
    attempt = start(learner, make_exam(), NOW)
    item = attempt.items.get(position=1)
    submit_attempt(attempt=attempt, now=NOW)
    with pytest.raises(AttemptError, match="has been submitted"):
        answer(attempt, 1, right_answer(item.snapshot))


def test_time_up_ends_the_attempt_only_after_the_deadline_and_its_grace(bank, learner, settings):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 30
    attempt = start(learner, make_exam(minutes=10), NOW)
    deadline = attempt.deadline
    for moment in (deadline - timedelta(minutes=1), deadline, deadline + timedelta(seconds=30)):
        assert attempts.expire_attempt(attempt=attempt, now=moment).status == "in_progress"
    done = attempts.expire_attempt(attempt=attempt, now=deadline + timedelta(seconds=31))
    assert done.status == "expired"


def test_an_expired_attempt_counts_answers_that_arrived_within_the_grace(bank, learner, settings):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 30
    attempt = start(learner, make_exam(minutes=1), NOW)
    first, second = attempt.items.get(position=1), attempt.items.get(position=2)
    answer(
        attempt,
        1,
        right_answer(first.snapshot),
        now=NOW + timedelta(seconds=50),
    )
    # Sent before the deadline, arrived 20 s after it: within the grace.
    attempts.expire_attempt(attempt=attempt, now=attempt.deadline + timedelta(seconds=5))
    answer(
        attempt,
        2,
        right_answer(second.snapshot),
        now=attempt.deadline + timedelta(seconds=20),
    )

    later = NOW + timedelta(days=3)
    result = attempts.finalize_if_expired(Attempt.objects.get(pk=attempt.pk), later)

    assert result.status == "expired" and result.raw_score == 2
    # It ended at its deadline, however late it was noticed.
    assert result.submitted_at == attempt.deadline


def test_the_pass_mark_is_the_one_the_attempt_started_with(bank, learner):
    exam = make_exam(questions=5)
    attempt = start(learner, exam, NOW)
    exam.pass_mark = 100
    exam.save()
    result = submit_attempt(attempt=attempt, now=NOW)
    assert (result.scaled_score, result.pass_mark, result.passed) == (100, 700, False)


def test_the_finalize_command_is_idempotent(bank, learner, other_learner, capsys):
    exam = make_exam(minutes=1)
    start(learner, exam, NOW)
    start(other_learner, exam, NOW + timedelta(hours=1))
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        call_command("finalize_expired_attempts")
        call_command("finalize_expired_attempts")
    assert capsys.readouterr().out.splitlines() == [
        "Finalized 1 expired attempt(s).",
        "Finalized 0 expired attempt(s).",
    ]
    assert Counter(Attempt.objects.values_list("status", flat=True)) == {
        "expired": 1,
        "in_progress": 1,
    }


def test_an_untimed_attempt_never_expires(bank, learner):
    attempt = start(learner, make_exam(minutes=None), NOW)
    assert attempt.deadline is None
    later = attempts.finalize_if_expired(attempt, NOW + timedelta(days=30))
    assert later.status == "in_progress"
