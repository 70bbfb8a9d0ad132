import pytest
from django.core.management import CommandError, call_command

from accounts.models import Cohort, User
from exams.models import Exam


def run_seed(capsys) -> str:
    call_command("seed_demo")
    return capsys.readouterr().out


def test_seed_demo_is_refused_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("seed_demo")
    assert User.objects.count() == 0


def test_seed_demo_needs_the_bank_first(db, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="load the bank first"):
        call_command("seed_demo")


def test_seed_demo_creates_the_people_cohort_and_two_exams(bank, settings, capsys):
    settings.DEBUG = True
    out = run_seed(capsys)

    assert "instructor     instructor  password: teach-aif-c01" in out
    instructor = User.objects.get(username="instructor")
    assert instructor.is_staff and not instructor.is_superuser
    assert instructor.check_password("teach-aif-c01")
    assert list(instructor.groups.values_list("name", flat=True)) == ["Instructors"]
    cohort = Cohort.objects.get(name="Demo cohort")
    assert sorted(cohort.memberships.values_list("user__username", "role")) == [
        ("lead", "lead"),
        ("learner", "learner"),
    ]
    mock = Exam.objects.get(title="Task 3.3 mock exam")
    assert (mock.question_count, mock.time_limit_minutes, mock.pass_mark) == (20, 30, 700)
    assert mock.exam_objectives.count() == 14
    assert set(mock.exam_objectives.values_list("weight", flat=True)) == {1}
    full = Exam.objects.get(title="Full-length simulation")
    assert (full.question_count, full.time_limit_minutes, full.pass_mark) == (65, 90, 700)
    # Like the real exam: 15 of the 65 unscored, weights by domain (the bank holds Domain 3).
    assert (full.scored_count, full.unscored_count) == (50, 15)
    assert list(full.exam_areas.values_list("domain__code", "weight")) == [("3", 28)]


def test_seed_demo_twice_keeps_the_data(bank, settings, capsys):
    settings.DEBUG = True
    run_seed(capsys)
    learner = User.objects.get(username="learner")
    learner.set_password("changed-by-the-user")
    learner.save()

    run_seed(capsys)

    assert User.objects.count() == 4 and Exam.objects.count() == 2
    assert User.objects.get(username="learner").check_password("changed-by-the-user")
