"""Cohorts and the team-lead dashboard: permissions, reports, CSVs, query budget."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from accounts.models import Cohort, Membership, User
from exams.attempts import submit_attempt
from exams.models import Attempt, ObjectiveResult
from tests.conftest import make_exam, make_user, start

NOW = timezone.now()


def finished_attempt(user, exam, *, raw, when, seed=0):
    """A finalized attempt with `raw` items correct (scores set directly)."""
    attempt = start(user, exam, when, seed=seed)
    attempt = submit_attempt(attempt=attempt, now=when + timedelta(minutes=10))
    ObjectiveResult.objects.filter(attempt=attempt).delete()
    results = list(attempt.items.values_list("objective_id", flat=True))
    per = {}
    for n, objective_id in enumerate(results):
        right, total = per.get(objective_id, (0, 0))
        per[objective_id] = (right + (1 if n < raw else 0), total + 1)
    ObjectiveResult.objects.bulk_create(
        ObjectiveResult(attempt=attempt, objective_id=o, correct=c, total=t)
        for o, (c, t) in per.items()
    )
    from exams.grading import scaled_score

    scaled = scaled_score(raw, attempt.total)
    Attempt.objects.filter(pk=attempt.pk).update(
        raw_score=raw, scaled_score=scaled, passed=scaled >= 700
    )
    attempt.refresh_from_db()
    return attempt


def cohort_urls(cohort, member, attempt):
    """Every URL of the URL conf under /cohorts/<id>/, with its method."""
    found = []
    for pattern in get_resolver("exams.urls").url_patterns:
        route = str(pattern.pattern)
        if not route.startswith("cohorts/<"):
            continue
        kwargs = {"cohort_id": cohort.pk}
        if "user_id" in route:
            kwargs["user_id"] = member.pk
        if "attempt_id" in route:
            kwargs["attempt_id"] = attempt.pk
        method = "post" if pattern.name == "cohort_regenerate_code" else "get"
        found.append((method, reverse(f"exams:{pattern.name}", kwargs=kwargs)))
    return found


def test_the_url_conf_has_the_cohort_urls_we_expect(bank, cohort, learner):
    attempt = finished_attempt(learner, make_exam(), raw=3, when=NOW)
    assert len(cohort_urls(cohort, learner, attempt)) == 6


@pytest.mark.parametrize("who", ["other_lead", "learner", "outsider", "superuser"])
def test_only_the_cohorts_own_lead_reaches_its_pages(client, bank, cohort, learner, request, who):
    if who == "other_lead":
        user = make_user("olga")
        other = Cohort.objects.create(name="Other cohort")
        Membership.objects.create(user=user, cohort=other, role="lead")
    else:
        user = request.getfixturevalue(who)
    attempt = finished_attempt(learner, make_exam(), raw=3, when=NOW)
    code = cohort.join_code
    client.force_login(user)
    for method, url in cohort_urls(cohort, learner, attempt):
        assert getattr(client, method)(url).status_code == 404, (who, url)
    cohort.refresh_from_db()
    assert cohort.join_code == code


def test_a_lead_sees_only_members_of_their_cohort(lead_client, bank, cohort, other_learner):
    attempt = finished_attempt(other_learner, make_exam(), raw=3, when=NOW)
    assert (
        lead_client.get(
            reverse("exams:cohort_member", args=[cohort.pk, other_learner.pk])
        ).status_code
        == 404
    )
    url = reverse("exams:cohort_member_attempt", args=[cohort.pk, other_learner.pk, attempt.pk])
    assert lead_client.get(url).status_code == 404
    page = lead_client.get(reverse("exams:cohort_detail", args=[cohort.pk])).content.decode()
    assert "otto" not in page


def test_the_cohort_page_summarizes_the_members(lead_client, bank, cohort, learner):
    exam = make_exam(questions=20)
    second = make_user("mia", first_name="Mia", last_name="Rossi")
    Membership.objects.create(user=second, cohort=cohort, role="learner")
    finished_attempt(learner, exam, raw=15, when=NOW - timedelta(days=8), seed=1)  # 775
    finished_attempt(learner, exam, raw=14, when=NOW - timedelta(days=1), seed=2)  # 730
    finished_attempt(second, exam, raw=10, when=NOW - timedelta(days=2), seed=3)  # 550

    response = lead_client.get(reverse("exams:cohort_detail", args=[cohort.pk]))
    report = response.context["report"]
    page = response.content.decode()

    assert len(report.members) == 2 and report.attempts == 3
    assert report.pass_rate == 50  # lena's latest passed, mia's did not
    assert report.average == round((775 + 730 + 550) / 3)
    rows = {m.user.username: m for m in report.members}
    assert (rows["lena"].best, rows["lena"].latest, rows["lena"].ready) == (775, 730, True)
    assert rows["lena"].ready_reason == "last two mock exams passed: 730 and 775"
    assert (rows["mia"].latest, rows["mia"].ready) == (550, False)
    assert "Mia Rossi" in page and "Ready to book" in page
    assert page.count('<td class="heat') == 2 * len(report.objectives)
    assert "<caption" in page and "Weekly average score" in page


def test_filters_narrow_to_an_exam_and_a_date_range(lead_client, bank, cohort, learner):
    mock = make_exam(questions=20, slug="mock")
    other = make_exam(questions=5, slug="other")
    finished_attempt(learner, mock, raw=15, when=NOW - timedelta(days=20), seed=1)
    finished_attempt(learner, other, raw=5, when=NOW - timedelta(days=1), seed=2)
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    assert lead_client.get(url, {"exam": "mock"}).context["report"].attempts == 1
    start = (NOW - timedelta(days=5)).date().isoformat()
    assert lead_client.get(url, {"start": start}).context["report"].attempts == 1
    bad = lead_client.get(url, {"start": "2026-12-01", "end": "2026-11-01"})
    assert "The start date must come before the end date." in bad.content.decode()
    assert lead_client.get(url, {"exam": "no-such-exam"}).status_code == 200


def test_members_sort_and_paginate(lead_client, bank, cohort):
    for n in range(30):
        user = make_user(f"member{n:02d}")
        Membership.objects.create(user=user, cohort=cohort, role="learner")
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    first = lead_client.get(url, {"sort": "-name"})
    names = [m.user.username for m in first.context["page"].object_list]
    assert names[0] == "member29" and len(names) == 25
    second = lead_client.get(url, {"sort": "-name", "page": 2})
    assert len(second.context["page"].object_list) == 6
    assert 'aria-sort="descending"' in first.content.decode()


HOSTILE = '=HYPERLINK("http://x","y")'


def test_the_csvs_are_safe_in_a_spreadsheet_and_keep_punctuation(
    lead_client, bank, cohort, learner
):
    learner.first_name = HOSTILE
    learner.save()
    for n, name in enumerate(
        ["+cmd", "-2+3", "@SUM(A1)", "\tTab", "\rCR", 'Comma, "quote"\nnewline']
    ):
        user = make_user(f"h{n}", first_name=name)
        Membership.objects.create(user=user, cohort=cohort, role="learner")
    finished_attempt(learner, make_exam(), raw=3, when=NOW)

    response = lead_client.get(reverse("exams:cohort_members_csv", args=[cohort.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    names = {row[1] for row in rows[1:]}
    assert "'" + HOSTILE in names
    # (Names are stripped of outer whitespace, so tab and CR cannot lead them.)
    assert {"'+cmd", "'-2+3", "'@SUM(A1)", "Tab", "CR", 'Comma, "quote"\nnewline'} <= names
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row
    )

    heatmap = lead_client.get(reverse("exams:cohort_heatmap_csv", args=[cohort.pk]))
    grid = list(csv.reader(io.StringIO(heatmap.content.decode())))
    assert grid[0][:3] == ["username", "name", "3.3.1.1 Pre-training"]
    assert len(grid) == 8 and len(grid[0]) == 16
    assert "'" + HOSTILE in [row[1] for row in grid]


def test_a_lead_can_replace_the_join_code(lead_client, cohort):
    old = cohort.join_code
    response = lead_client.post(
        reverse("exams:cohort_regenerate_code", args=[cohort.pk]), follow=True
    )
    cohort.refresh_from_db()
    assert cohort.join_code != old and len(cohort.join_code) == 10
    assert f"New join code: {cohort.join_code}" in response.content.decode()


def test_the_member_page_and_read_only_review(lead_client, bank, cohort, learner):
    attempt = finished_attempt(learner, make_exam(questions=5), raw=3, when=NOW)
    page = lead_client.get(
        reverse("exams:cohort_member", args=[cohort.pk, learner.pk])
    ).content.decode()
    assert "Mastery by objective" in page and "Practise these now" not in page
    review = lead_client.get(
        reverse("exams:cohort_member_attempt", args=[cohort.pk, learner.pk, attempt.pk])
    ).content.decode()
    assert "read-only review" in review and review.count('class="review-item') == 5


@pytest.mark.parametrize("members", [5, 200])
def test_the_cohort_page_runs_constant_queries(
    lead_client, bank, cohort, members, django_assert_num_queries
):
    exam = make_exam(questions=20)
    users = User.objects.bulk_create(User(username=f"m{n:03d}") for n in range(members))
    Membership.objects.bulk_create(Membership(user=u, cohort=cohort, role="learner") for u in users)
    attempts = Attempt.objects.bulk_create(
        Attempt(
            user=u,
            exam=exam,
            status="submitted",
            started_at=NOW,
            submitted_at=NOW,
            total=20,
            raw_score=14,
            scaled_score=730,
            passed=True,
        )
        for u in users
    )
    objective = exam.exam_objectives.first().objective_id
    ObjectiveResult.objects.bulk_create(
        ObjectiveResult(attempt=a, objective_id=objective, correct=1, total=2) for a in attempts
    )
    # 1 session, 2 user, 3 the cohort (led by this user), 4 its members, 5-6
    # their attempts and practice aggregated, 7 the objectives, 8 the mastery
    # rows, 9 "is a team lead?" for the menu, 10 the exams (the filter).
    with django_assert_num_queries(10):
        response = lead_client.get(reverse("exams:cohort_detail", args=[cohort.pk]))
    assert response.status_code == 200
    assert len(response.context["report"].members) == members + 1
    # 1 session, 2 user, 3 the cohort: the report itself comes from the cache.
    with django_assert_num_queries(3):
        assert (
            lead_client.get(reverse("exams:cohort_members_csv", args=[cohort.pk])).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain, text", "plain, text"),
        (42, 42),
        (-3, -3),
        (None, ""),
        (True, "yes"),
    ],
)
def test_safe_cell(value, cell):
    from exams.spreadsheets import safe_cell

    assert safe_cell(value) == cell


def test_the_report_is_reused_for_a_minute_per_filter_set(
    lead_client, bank, cohort, learner, django_assert_num_queries
):
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    first = lead_client.get(url)
    finished_attempt(learner, make_exam(), raw=3, when=NOW)
    # 1 session, 2 user, 3 the cohort, 4 "is a team lead?", 5 the exams: no report queries.
    with django_assert_num_queries(5):
        again = lead_client.get(url, {"sort": "-name"})
    assert again.context["report"].attempts == first.context["report"].attempts == 0
    assert "Figures as of" in again.content.decode()
    fresh = lead_client.get(url, {"start": (NOW - timedelta(days=1)).date().isoformat()})
    assert fresh.context["report"].attempts == 1  # another filter set, computed anew
