from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Cohort, Membership, User
from exams import analysis, grading, markdown
from exams.models import (
    Attempt,
    AttemptItem,
    Exam,
    ObjectiveResult,
    PracticeAnswer,
    PracticeSession,
    Question,
)
from exams.snapshots import ItemSnapshot
from tests.conftest import make_exam


def run_scale(capsys, **options) -> str:
    options = {"learners": 12, "attempts": 3, "cohort_size": 5, "seed": 1, **options}
    call_command("seed_scale", **options)
    return capsys.readouterr().out


def test_seed_scale_is_refused_when_debug_is_off(bank, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("seed_scale", learners=2, attempts=1)
    assert User.objects.count() == 0 and Attempt.objects.count() == 0


def test_seed_scale_runs_with_debug_off_when_forced(bank, settings, capsys):
    settings.DEBUG = False
    run_scale(capsys, learners=2, attempts=1, force=True)
    assert User.objects.filter(username__startswith="scale-learner-").count() == 2


def test_seed_scale_needs_the_bank_first(db, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="load the bank first"):
        call_command("seed_scale", learners=2, attempts=1)
    assert User.objects.count() == 0


def test_seed_scale_creates_learners_cohorts_and_leads(bank, settings, capsys):
    settings.DEBUG = True
    out = run_scale(capsys)

    assert "12 learners created (0 existed), 3 leads created, 3 cohorts" in out
    assert "36 attempts" in out and " s." in out
    learners = User.objects.filter(username__startswith="scale-learner-").order_by("username")
    assert [u.username for u in learners][:2] == ["scale-learner-00001", "scale-learner-00002"]
    assert learners.count() == 12
    assert User.objects.count() == 15
    # One hash computed once, shared by every generated user.
    assert User.objects.values("password").distinct().count() == 1
    assert User.objects.get(username="scale-learner-00007").check_password("scale-pass")

    cohorts = list(Cohort.objects.filter(name__startswith="Scale cohort ").order_by("name"))
    assert [c.name for c in cohorts] == ["Scale cohort 1", "Scale cohort 2", "Scale cohort 3"]
    sizes = [c.memberships.filter(role=Membership.Role.LEARNER).count() for c in cohorts]
    assert sizes == [5, 5, 2]
    for n, cohort in enumerate(cohorts, start=1):
        leads = cohort.memberships.filter(role=Membership.Role.LEAD)
        assert [m.user.username for m in leads] == [f"scale-lead-{n}"]
    last = cohorts[2].memberships.filter(role=Membership.Role.LEARNER)
    assert sorted(last.values_list("user__username", flat=True)) == [
        "scale-learner-00011",
        "scale-learner-00012",
    ]


def test_seed_scale_attempts_are_finalized_and_consistent(bank, settings, capsys):
    settings.DEBUG = True
    before = timezone.now()
    run_scale(capsys)
    after = timezone.now()

    exam = Exam.objects.get(slug="scale-mock")
    assert (exam.title, exam.question_count, exam.time_limit_minutes) == (
        "Scale mock exam",
        20,
        30,
    )
    assert exam.is_published and exam.pass_mark == 700
    assert exam.exam_objectives.count() == 14
    assert set(exam.exam_objectives.values_list("weight", flat=True)) == {1}

    attempts = list(Attempt.objects.select_related("user"))
    assert len(attempts) == 36
    per_learner = Attempt.objects.values("user").annotate(n=Count("id"))
    assert {row["n"] for row in per_learner} == {3} and len(per_learner) == 12
    assert AttemptItem.objects.count() == 36 * 20
    sums = {
        row["attempt"]: row
        for row in ObjectiveResult.objects.values("attempt")
        .order_by()
        .annotate(right=Sum("correct"), of=Sum("total"), n=Count("id"))
    }
    for attempt in attempts:
        assert attempt.exam_id == exam.pk
        assert attempt.status == Attempt.Status.SUBMITTED
        assert attempt.total == 20 and attempt.pass_mark == 700
        assert attempt.scaled_score == grading.scaled_score(attempt.raw_score, 20)
        assert attempt.passed == (attempt.scaled_score >= 700)
        assert before - timedelta(weeks=12) <= attempt.started_at <= after
        assert attempt.deadline == attempt.started_at + timedelta(minutes=30)
        spent = attempt.submitted_at - attempt.started_at
        assert timedelta(minutes=10) <= spent <= timedelta(minutes=30)
        assert attempt.submitted_at <= after
        row = sums[attempt.pk]
        assert (row["right"], row["of"], row["n"]) == (attempt.raw_score, 20, 14)
        totals = sorted(
            ObjectiveResult.objects.filter(attempt=attempt).values_list("total", flat=True)
        )
        assert totals == [1] * 8 + [2] * 6
    assert not ObjectiveResult.objects.filter(correct__gt=F("total")).exists()
    scores = {a.raw_score for a in attempts}
    assert len(scores) > 3  # learners differ


def test_seed_scale_practice_answers(bank, settings, capsys):
    settings.DEBUG = True
    run_scale(capsys, learners=40, attempts=1, cohort_size=500)

    sessions = PracticeSession.objects.all()
    assert 8 <= sessions.count() <= 32  # about half the learners
    assert sessions.values("user").distinct().count() == sessions.count()
    published = {q.pk: q for q in Question.objects.published()}
    for session in sessions:
        assert (session.scope, session.label) == ("all", "Generated practice")
        assert session.ended_at is not None and session.ended_at > session.started_at
        answers = list(session.answers.all())
        assert 5 <= len(answers) <= 30
        for answer in answers:
            question = published[answer.question_id]
            assert answer.user_id == session.user_id
            assert answer.question_version == question.version
            assert answer.objective_id == question.objective_id
            assert answer.snapshot == {} and answer.response is None
            assert session.started_at <= answer.answered_at <= session.ended_at
    assert PracticeAnswer.objects.count() == sum(s.answers.count() for s in sessions)


def test_seed_scale_twice_does_not_duplicate(bank, settings, capsys):
    settings.DEBUG = True
    run_scale(capsys)
    counts = (
        User.objects.count(),
        Cohort.objects.count(),
        Membership.objects.count(),
        Attempt.objects.count(),
        ObjectiveResult.objects.count(),
        PracticeAnswer.objects.count(),
    )

    out = run_scale(capsys)

    assert "0 learners created (12 existed), 0 leads created" in out
    assert (
        User.objects.count(),
        Cohort.objects.count(),
        Membership.objects.count(),
        Attempt.objects.count(),
        ObjectiveResult.objects.count(),
        PracticeAnswer.objects.count(),
    ) == counts
    assert counts[:4] == (15, 3, 15, 36)


def test_seed_scale_adds_only_the_missing_learners(bank, settings, capsys):
    settings.DEBUG = True
    run_scale(capsys)
    out = run_scale(capsys, learners=14)

    assert "2 learners created (12 existed)" in out
    assert User.objects.filter(username__startswith="scale-learner-").count() == 14
    assert Attempt.objects.count() == 42
    cohort = Cohort.objects.get(name="Scale cohort 3")
    assert cohort.memberships.filter(role=Membership.Role.LEARNER).count() == 4


def test_seed_scale_is_reproducible(bank, settings, capsys):
    settings.DEBUG = True

    def scores():
        return list(
            Attempt.objects.order_by("user__username", "started_at").values_list(
                "user__username", "raw_score"
            )
        )

    run_scale(capsys)
    first = scores()
    User.objects.filter(username__startswith="scale-").delete()
    run_scale(capsys)
    assert scores() == first
    User.objects.filter(username__startswith="scale-").delete()
    run_scale(capsys, seed=2)
    assert scores() != first


def test_seed_scale_uses_the_task_mock_when_present(bank, settings, capsys):
    settings.DEBUG = True
    exam = make_exam(questions=20, slug="task-3-3-mock", title="Task 3.3 mock exam")
    out = run_scale(capsys, learners=3, attempts=2)

    assert "'Task 3.3 mock exam'" in out
    assert not Exam.objects.filter(slug="scale-mock").exists()
    assert set(Attempt.objects.values_list("exam", flat=True)) == {exam.pk}
    assert Attempt.objects.count() == 6


def test_seed_scale_attempts_have_graded_items_of_every_kind(bank, settings, capsys):
    settings.DEBUG = True
    out = run_scale(capsys)
    assert "36 attempts with 720 items" in out

    kinds, blanks = set(), 0
    for attempt in Attempt.objects.prefetch_related("items"):
        items = list(attempt.items.all())
        assert [i.position for i in items] == list(range(1, 21))
        assert len({i.question_id for i in items}) == 20
        assert attempt.raw_score == sum(i.is_correct for i in items)
        assert (attempt.scored_count, attempt.question_count) == (20, 20)
        by_objective = {}
        for item in items:
            snapshot = ItemSnapshot.from_json(item.snapshot)
            # A real snapshot, graded as submitting grades it; a whole answer or none.
            assert snapshot.grade(item.response) == item.is_correct
            assert item.response is None or snapshot.is_complete(item.response)
            assert (item.answered_at is None) == (item.response is None)
            assert attempt.started_at < (item.answered_at or attempt.started_at + timedelta(1))
            kinds.add(snapshot.kind)
            blanks += item.response is None
            right, of = by_objective.get(item.objective_id, (0, 0))
            by_objective[item.objective_id] = (right + item.is_correct, of + 1)
        results = {r.objective_id: (r.correct, r.total) for r in attempt.objective_results.all()}
        assert results == by_objective
    assert kinds == {"single", "multiple", "ordering", "matching"}
    assert 0 < blanks < 60


def test_the_review_of_a_generated_attempt_renders(bank, settings, capsys, client):
    settings.DEBUG = True
    run_scale(capsys, learners=2, attempts=1)
    attempt = Attempt.objects.order_by("pk").first()
    client.force_login(attempt.user)
    response = client.get(reverse("exams:attempt_result", args=[attempt.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    item = attempt.items.order_by("position").first()
    assert markdown.render_markdown(item.snapshot["stem"])[:40] in page


def test_item_analysis_of_generated_data_has_a_spread(bank, settings, capsys):
    settings.DEBUG = True
    run_scale(capsys, learners=100, attempts=2, cohort_size=500)
    figures = [f for f in analysis.analyse_items(min_responses=15).values() if f.responses]
    facility = [f.facility for f in figures if f.facility is not None]
    discrimination = [f.discrimination for f in figures if f.discrimination is not None]
    assert len(facility) > 100
    assert min(facility) < 0.3 and max(facility) > 0.85
    assert sum(discrimination) / len(discrimination) > 0.15  # items mostly measure ability
    assert min(discrimination) < 0.1  # and a few poorly written ones do not
    codes = {w.code for f in figures for w in f.warnings}
    assert "dead_distractor" in codes
    shares = [o.share for f in figures for o in f.options if not o.correct and o.share]
    assert max(shares) > 4 * min(shares)  # distractors differ in their pull


def test_seed_scale_rolls_up_what_it_generates(bank, settings, capsys):
    from exams import rollups
    from exams.models import ObjectiveRollup

    settings.DEBUG = True
    run_scale(capsys)
    assert ObjectiveRollup.objects.exists()
    assert not rollups.drift()
