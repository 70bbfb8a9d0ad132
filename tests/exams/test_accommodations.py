"""Accommodations: extra time reaches the server's deadline, the page's clock
and the learner's result, and nobody else's pages (docs/exams.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from exams.attempts import AttemptError, Write, save_answer, submit_attempt
from exams.models import Accommodation, Attempt
from tests.conftest import as_query, make_exam, make_user, right_answer, save, start

NOW = timezone.datetime(2026, 11, 24, 9, 0, tzinfo=timezone.UTC)


@pytest.fixture
def exam(bank):
    return make_exam(questions=5, minutes=30)


def test_extra_time_extends_the_deadline_the_server_enforces(exam, learner):
    Accommodation.objects.create(user=learner, extra_time_percent=50)
    attempt = start(learner, exam, NOW)
    assert attempt.deadline == NOW + timedelta(minutes=45)
    assert (attempt.time_allowed, attempt.extra_time_percent) == (timedelta(minutes=45), 50)
    item = attempt.items.get(position=1)
    # At 40 minutes an unaccommodated attempt would be closed; this one takes the answer.
    save(attempt, 1, right_answer(item.snapshot), now=NOW + timedelta(minutes=40))
    late = NOW + timedelta(minutes=47)
    with pytest.raises(AttemptError):
        save_answer(
            user=learner,
            attempt_id=attempt.pk,
            position=2,
            data=as_query(right_answer(attempt.items.get(position=2).snapshot)),
            write=Write(seq=0, writer="", number=0),
            now=late,
        )


def test_an_accommodation_for_the_exam_wins_over_the_general_one(exam, learner, other_learner):
    Accommodation.objects.create(user=learner, extra_time_percent=25)
    Accommodation.objects.create(user=learner, exam=exam, extra_time_percent=100)
    Accommodation.objects.create(user=other_learner, exam=make_exam(), extra_time_percent=100)
    assert start(learner, exam, NOW).deadline == NOW + timedelta(minutes=60)
    # Another exam's accommodation gives nothing here.
    assert start(other_learner, exam, NOW).deadline == NOW + timedelta(minutes=30)


def test_an_untimed_exam_stays_untimed(bank, learner):
    Accommodation.objects.create(user=learner, extra_time_percent=50)
    attempt = start(learner, make_exam(minutes=None), NOW)
    assert (attempt.deadline, attempt.time_allowed, attempt.extra_time_percent) == (None, None, 0)


def test_the_clock_and_the_result_show_the_extended_time(client, exam, learner):
    Accommodation.objects.create(user=learner, extra_time_percent=50)
    attempt = start(learner, exam, NOW)
    client.force_login(learner)
    # 40 minutes in: past the plain 30, the countdown has the extended time's last 5.
    with time_machine.travel(NOW + timedelta(minutes=40), tick=False):
        response = client.get(reverse("exams:attempt_take", args=[attempt.pk]))
    take = response.content.decode()
    assert response["X-Seconds-Left"] == "300" and 'data-seconds-left="300"' in take
    assert '<span class="clock-note">extended</span>' in take
    done = submit_attempt(attempt=attempt, now=timezone.now())
    result = client.get(reverse("exams:attempt_result", args=[done.pk])).content.decode()
    assert "time limit 45 min (extended)" in result


def test_without_an_accommodation_nothing_says_extended(client, exam, learner):
    attempt = start(learner, exam)
    client.force_login(learner)
    take = client.get(reverse("exams:attempt_take", args=[attempt.pk])).content.decode()
    assert "extended" not in take
    done = submit_attempt(attempt=attempt, now=timezone.now())
    result = client.get(reverse("exams:attempt_result", args=[done.pk])).content.decode()
    assert "extended" not in result and "of 30 min" in result


def test_a_lead_never_sees_who_has_extra_time(client, exam, learner, team_lead):
    Accommodation.objects.create(user=learner, extra_time_percent=50)
    attempt = start(learner, exam, NOW)
    done = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=40))
    cohort = team_lead.memberships.get().cohort
    client.force_login(team_lead)
    pages = [
        client.get(reverse("exams:cohort_detail", args=[cohort.pk])),
        client.get(reverse("exams:cohort_member", args=[cohort.pk, learner.pk])),
        client.get(reverse("exams:cohort_member_attempt", args=[cohort.pk, learner.pk, done.pk])),
        client.get(reverse("exams:cohort_members_csv", args=[cohort.pk])),
        client.get(reverse("exams:cohort_heatmap_csv", args=[cohort.pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode().lower()
        for word in ("extended", "extra time", "accommodation", "45 min", "40 min"):
            assert word not in text, (response.request["PATH_INFO"], word)


def test_an_instructor_gives_extra_time_by_username(instructor_client, exam, learner):
    url = reverse("admin:exams_accommodation_add")
    page = instructor_client.get(url).content.decode()
    assert "lena" not in page  # the form lists no learners
    response = instructor_client.post(
        url, {"username": "LENA", "exam": str(exam.pk), "extra_time_percent": "25"}
    )
    assert response.status_code == 302
    rows = Accommodation.objects.values_list("user__username", "exam_id", "extra_time_percent")
    assert list(rows) == [("lena", exam.pk, 25)]


def test_an_unknown_username_or_a_second_accommodation_is_refused(instructor_client, learner):
    url = reverse("admin:exams_accommodation_add")
    response = instructor_client.post(url, {"username": "nobody", "extra_time_percent": "25"})
    assert "No account is called “nobody”." in response.content.decode()
    Accommodation.objects.create(user=learner, extra_time_percent=50)
    response = instructor_client.post(url, {"username": "lena", "extra_time_percent": "25"})
    assert "lena already has an accommodation for every exam: change that one." in (
        response.content.decode()
    )
    assert list(Accommodation.objects.values_list("extra_time_percent", flat=True)) == [50]


def test_staff_give_a_whole_cohort_extra_time(instructor_client, exam, learner, team_lead):
    cohort = team_lead.memberships.get().cohort
    mia = make_user("mia")
    Membership.objects.create(user=mia, cohort=cohort, role=Membership.Role.LEARNER)
    Accommodation.objects.create(user=learner, exam=exam, extra_time_percent=25)
    url = reverse("admin:exams_accommodation_cohort")
    response = instructor_client.post(
        url, {"cohort": str(cohort.pk), "exam": str(exam.pk), "extra_time_percent": "50"}
    )
    assert response.status_code == 302
    assert sorted(
        Accommodation.objects.values_list("user__username", "exam_id", "extra_time_percent")
    ) == [("lena", exam.pk, 50), ("mia", exam.pk, 50)]  # the lead is not a learner here
    assert start(mia, exam, NOW).deadline == NOW + timedelta(minutes=45)


def test_the_cohort_form_refuses_bad_input_and_changes_nothing(instructor_client, team_lead):
    cohort = team_lead.memberships.get().cohort
    url = reverse("admin:exams_accommodation_cohort")
    response = instructor_client.post(url, {"cohort": str(cohort.pk), "extra_time_percent": "0"})
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    response = instructor_client.post(url, {"cohort": "999999", "extra_time_percent": "25"})
    assert response.status_code == 200
    assert not Accommodation.objects.exists()


def test_someone_without_the_permission_cannot_give_extra_time(client, learner, team_lead):
    client.force_login(team_lead)
    response = client.get(reverse("admin:exams_accommodation_cohort"))
    assert response.status_code == 302  # to the admin's login: not staff
    assert not Attempt.objects.exists() and not Accommodation.objects.exists()


def test_staff_without_the_permission_are_refused(client, team_lead):
    staff = make_user("stan", is_staff=True)
    client.force_login(staff)
    cohort = team_lead.memberships.get().cohort
    url = reverse("admin:exams_accommodation_cohort")
    assert client.get(url).status_code == 403
    response = client.post(url, {"cohort": str(cohort.pk), "extra_time_percent": "50"})
    assert response.status_code == 403
    assert client.get(reverse("admin:exams_accommodation_changelist")).status_code == 403
    assert not Accommodation.objects.exists()
