"""Availability: an exam opens and closes at given times and may limit attempts;
the server refuses starts outside them and creates nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.attempts import AttemptError, start_attempt, submit_attempt
from exams.models import Attempt, AttemptItem
from tests.conftest import make_exam, right_answer, save, start

NOW = timezone.datetime(2026, 11, 24, 9, 0, tzinfo=timezone.UTC)
HOUR = timedelta(hours=1)


def refused(user, exam, now) -> str:
    with pytest.raises(AttemptError) as caught:
        start_attempt(user=user, exam=exam, now=now)
    assert caught.value.status == 403
    assert not Attempt.objects.exists() and not AttemptItem.objects.exists()
    return caught.value.message


def test_a_start_before_the_exam_opens_is_refused(bank, learner):
    exam = make_exam(opens_at=NOW + HOUR)
    assert refused(learner, exam, NOW) == "This exam opens on Nov 24, 2026 at 10:00 UTC."
    assert start(learner, exam, NOW + HOUR).status == Attempt.Status.IN_PROGRESS


def test_a_start_at_or_after_the_close_is_refused(bank, learner):
    exam = make_exam(closes_at=NOW)
    assert refused(learner, exam, NOW) == "This exam closed on Nov 24, 2026 at 09:00 UTC."


def test_an_attempt_started_before_the_close_keeps_its_full_time(bank, learner):
    exam = make_exam(minutes=30, closes_at=NOW + timedelta(minutes=10))
    attempt = start(learner, exam, NOW + timedelta(minutes=5))
    assert attempt.deadline == NOW + timedelta(minutes=35)
    # After the close it resumes, and takes answers until its own deadline.
    assert start(learner, exam, NOW + timedelta(minutes=20)).pk == attempt.pk
    item = attempt.items.get(position=1)
    save(attempt, 1, right_answer(item.snapshot), now=NOW + timedelta(minutes=30))
    done = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=31))
    assert (done.status, done.raw_score) == (Attempt.Status.SUBMITTED, 1)


def test_the_attempt_limit_counts_every_attempt_started(bank, learner, other_learner):
    exam = make_exam(max_attempts=2)
    for n in range(2):
        submit_attempt(attempt=start(learner, exam, NOW + n * HOUR), now=NOW + n * HOUR)
    with pytest.raises(AttemptError) as caught:
        start_attempt(user=learner, exam=exam, now=NOW + 3 * HOUR)
    assert caught.value.message == "You have used all 2 attempts this exam allows."
    assert Attempt.objects.filter(user=learner).count() == 2
    # Each learner has their own count.
    assert start(other_learner, exam, NOW).user == other_learner


def test_the_attempt_in_progress_resumes_even_at_the_limit(bank, learner):
    exam = make_exam(max_attempts=1)
    attempt = start(learner, exam, NOW)
    assert start(learner, exam, NOW + timedelta(minutes=1)).pk == attempt.pk


@pytest.mark.parametrize(
    ("terms", "reason"),
    [
        ({"opens_at": timedelta(days=2)}, "This exam opens on"),
        ({"closes_at": -timedelta(minutes=1)}, "This exam closed on"),
        ({"max_attempts": 1}, "You have used the one attempt this exam allows."),
    ],
)
def test_the_start_view_refuses_with_the_reason_and_creates_nothing(
    client, bank, learner, terms, reason
):
    now = timezone.now()
    exam = make_exam(**{k: now + v if k.endswith("_at") else v for k, v in terms.items()})
    if "max_attempts" in terms:
        submit_attempt(attempt=start(learner, exam, now), now=now)
    before = (Attempt.objects.count(), AttemptItem.objects.count())
    client.force_login(learner)
    response = client.post(reverse("exams:exam_start", args=[exam.slug]))
    assert response.status_code == 403
    assert reason in response.content.decode()
    assert (Attempt.objects.count(), AttemptItem.objects.count()) == before


def test_the_home_page_says_when_an_exam_opens_or_that_the_limit_is_reached(client, bank, learner):
    later = make_exam(title="Later", opens_at=timezone.now() + timedelta(days=2))
    limited = make_exam(title="Limited", max_attempts=1)
    open_one = make_exam(title="Open", max_attempts=3)
    submit_attempt(attempt=start(learner, limited), now=timezone.now())
    client.force_login(learner)
    page = client.get(reverse("exams:home")).content.decode()
    assert f"This exam opens on {later.opens_at:%b} " in page
    assert "You have used the one attempt this exam allows." in page
    assert "3 of 3 attempts left." in page
    # No start button where the server would refuse.
    assert reverse("exams:exam_start", args=[later.slug]) not in page
    assert reverse("exams:exam_start", args=[limited.slug]) not in page
    assert reverse("exams:exam_start", args=[open_one.slug]) in page


def test_a_first_visit_offers_an_exam_that_is_open(client, bank, learner):
    # "A later one" comes first by title, but it cannot be started yet.
    later = make_exam(title="A later one", opens_at=timezone.now() + timedelta(days=2))
    open_one = make_exam(title="B open one")
    client.force_login(learner)
    page = client.get(reverse("exams:home")).content.decode()
    assert "Take your first mock exam" in page
    assert reverse("exams:exam_start", args=[later.slug]) not in page
    assert reverse("exams:exam_start", args=[open_one.slug]) in page


def test_a_first_visit_with_no_exam_open_offers_none(client, bank, learner):
    make_exam(title="Later", opens_at=timezone.now() + timedelta(days=2))
    client.force_login(learner)
    page = client.get(reverse("exams:home")).content.decode()
    assert "Take your first mock exam" not in page and "This exam opens on" in page
