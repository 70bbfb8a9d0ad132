"""Cohorts and the team-lead dashboard: permissions, reports, CSVs, query budget."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from accounts.cohorts import CohortError, close_code, join_cohort, regenerate_code
from accounts.models import Cohort, Membership, User
from exams import rollups
from exams.attempts import submit_attempt
from exams.models import Attempt, Exam, Objective, ObjectiveResult, PracticeAnswer
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
        raw_score=raw, scaled_score=scaled, passed=scaled >= attempt.pass_mark
    )
    rollups.rebuild(user_ids=[user.pk])  # the results were replaced behind finalization
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
        if "objective_id" in route:
            kwargs["objective_id"] = Objective.objects.first().pk
        posted = ("cohort_regenerate_code", "cohort_close_code")
        method = "post" if pattern.name in posted else "get"
        found.append((method, reverse(f"exams:{pattern.name}", kwargs=kwargs)))
    return found


def test_the_url_conf_has_the_cohort_urls_we_expect(bank, cohort, learner):
    attempt = finished_attempt(learner, make_exam(), raw=3, when=NOW)
    assert len(cohort_urls(cohort, learner, attempt)) == 8


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
    # The only exam, so the readiness exam; the evidence is quoted, newest first.
    assert rows["lena"].ready_reason.startswith("last two passed: Exam of 20 730 (pass at 700)")
    assert "Exam of 20 775 (pass at 700)" in rows["lena"].ready_reason
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


def test_a_lead_closes_the_join_code_and_a_new_code_reopens_joining(lead_client, cohort):
    code = cohort.join_code
    page = lead_client.post(reverse("exams:cohort_close_code", args=[cohort.pk]), follow=True)
    assert "The join code no longer works" in page.content.decode()
    assert "closed: nobody can join with it" in page.content.decode()
    outsider = make_user("nadia")
    with pytest.raises(CohortError, match="expired"):
        join_cohort(user=outsider, code=code, now=timezone.now())
    assert not cohort.memberships.filter(user=outsider).exists()

    lead_client.post(reverse("exams:cohort_regenerate_code", args=[cohort.pk]))
    cohort.refresh_from_db()
    assert cohort.join_code != code and cohort.join_code_expires_at is None
    assert join_cohort(user=outsider, code=cohort.join_code, now=timezone.now()) == cohort


def test_a_new_code_keeps_an_expiry_still_to_come(cohort):
    later = NOW + timedelta(days=3)
    cohort.join_code_expires_at = later
    cohort.save()
    regenerate_code(cohort=cohort, now=NOW)
    assert cohort.join_code_expires_at == later
    close_code(cohort=cohort, now=NOW)
    assert cohort.join_code_expires_at == NOW
    close_code(cohort=cohort, now=NOW + timedelta(hours=1))  # closed already: unchanged
    assert cohort.join_code_expires_at == NOW


def test_the_member_page_and_read_only_review(lead_client, bank, cohort, learner):
    attempt = finished_attempt(learner, make_exam(questions=5), raw=3, when=NOW)
    page = lead_client.get(
        reverse("exams:cohort_member", args=[cohort.pk, learner.pk])
    ).content.decode()
    assert "Mastery by objective" in page and "Practise these now" not in page
    review = lead_client.get(
        reverse("exams:cohort_member_attempt", args=[cohort.pk, learner.pk, attempt.pk])
    ).content.decode()
    assert "Read-only review" in review and review.count('class="review-item') == 5


@pytest.mark.parametrize("members", [5, 500])
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
            started_at=NOW - timedelta(days=day),
            submitted_at=NOW - timedelta(days=day),
            total=20,
            raw_score=14,
            scaled_score=730,
            passed=True,
        )
        for u in users
        for day in (1, 8)
    )
    objective = exam.exam_objectives.first().objective_id
    ObjectiveResult.objects.bulk_create(
        ObjectiveResult(attempt=a, objective_id=objective, correct=1, total=2) for a in attempts
    )
    rollups.rebuild()
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    # 1 session, 2 user, 3 the cohort (led by this user), 4 the exams open to it,
    # 5 its members, one row each — user fields, last activity, attempt figures
    # (count, best, latest, the last two at the readiness exam: the ExamRollups),
    # overall mastery (the LearnerRollups) — and its objectives' pooled rollup
    # sums, 6 the readiness exam's blueprint,
    # 7 the objectives, 8 the weekly trend, 9 the rollups of the page's members
    # (heatmap, forecasts), 10 the readiness attempts quoted for the members
    # shown, 11 "is a team lead?" for the menu, 12 the exams again (the filter's
    # choices).
    with django_assert_num_queries(12):
        response = lead_client.get(url)
    assert response.status_code == 200
    report = response.context["report"]
    assert len(report.members) == members + 1 and len(report.ready) == members
    assert report.attempts == 2 * members
    # Sorting on the forecast reads every member's rollups instead (9).
    with django_assert_num_queries(12):
        response = lead_client.get(url, {"sort": "-forecast"})
    assert all(m.filled for m in response.context["members"])
    # The CSV: queries 1-8 and every member's rollups; no evidence, menu or filter choices.
    with django_assert_num_queries(9):
        csv_response = lead_client.get(reverse("exams:cohort_members_csv", args=[cohort.pk]))
    assert csv_response.status_code == 200


def test_membership_changes_show_at_once(lead_client, bank, cohort, learner, other_learner):
    from accounts.cohorts import join_cohort, leave_cohort

    url = reverse("exams:cohort_detail", args=[cohort.pk])
    assert [m.user for m in lead_client.get(url).context["report"].members] == [learner]
    join_cohort(user=other_learner, code=cohort.join_code, now=NOW)
    usernames = {m.user.username for m in lead_client.get(url).context["report"].members}
    assert usernames == {"lena", "otto"}
    leave_cohort(user=learner, cohort=cohort)
    page = lead_client.get(url)
    assert [m.user for m in page.context["report"].members] == [other_learner]
    assert "lena" not in page.content.decode()
    member = reverse("exams:cohort_member", args=[cohort.pk, learner.pk])
    assert lead_client.get(member).status_code == 404
    csv_text = lead_client.get(reverse("exams:cohort_members_csv", args=[cohort.pk]))
    assert "lena" not in csv_text.content.decode()


def test_member_counts_are_right_with_several_cohorts_and_leads(client, bank):
    leads = [make_user(f"lead{n}") for n in range(2)]
    sizes = {"Alpha": 3, "Beta": 1, "Gamma": 0}
    for name, size in sizes.items():
        cohort = Cohort.objects.create(name=name)
        for lead in leads:  # two leads each
            Membership.objects.create(user=lead, cohort=cohort, role="lead")
        for n in range(size):
            user = make_user(f"{name.lower()}{n}")
            Membership.objects.create(user=user, cohort=cohort, role="learner")
    # A learner in two cohorts counts in each; a lead who is also a learner elsewhere.
    both = make_user("both")
    for name in ("Alpha", "Beta"):
        Membership.objects.create(user=both, cohort=Cohort.objects.get(name=name))
    Membership.objects.create(user=leads[1], cohort=Cohort.objects.get(name="Gamma"))
    expected = {"Alpha": 4, "Beta": 2, "Gamma": 1}
    for lead in leads:
        client.force_login(lead)
        listed = client.get(reverse("exams:cohort_list")).context["cohorts"]
        assert {c.name: c.learners for c in listed} == expected
        for c in listed:
            detail = client.get(reverse("exams:cohort_detail", args=[c.pk]))
            assert len(detail.context["report"].members) == expected[c.name]


def test_ready_to_book_counts_only_the_readiness_exam(lead_client, bank, cohort, learner):
    quiz = make_exam(questions=1, slug="quiz")
    full = make_exam(questions=20, slug="full", title="Full simulation")
    finished_attempt(learner, quiz, raw=1, when=NOW - timedelta(days=3), seed=1)
    finished_attempt(learner, quiz, raw=1, when=NOW - timedelta(days=2), seed=2)
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    (row,) = lead_client.get(url).context["report"].members
    assert not row.ready and row.ready_reason == "no readiness exam yet"
    finished_attempt(learner, full, raw=16, when=NOW - timedelta(days=1), seed=3)  # 820
    (row,) = lead_client.get(url).context["report"].members
    assert not row.ready and row.ready_reason.startswith("one so far: Full simulation 820")
    finished_attempt(learner, full, raw=15, when=NOW, seed=4)  # 775
    response = lead_client.get(url)
    (row,) = response.context["report"].members
    assert row.ready and [e.score for e in row.evidence] == [775, 820]
    page = response.content.decode()
    assert 'Ready to book <span class="muted">(1)</span>' in page
    assert "the last two attempts at the readiness exam both reached its pass mark" in page
    assert "(Full simulation)" in page

    # A flag makes another exam the readiness exam: two passes of it, a fail last.
    Exam.objects.filter(pk=quiz.pk).update(is_readiness=True, question_count=2)
    (row,) = lead_client.get(url).context["report"].members
    assert row.ready  # the quiz's last two passed
    finished_attempt(learner, quiz, raw=0, when=NOW + timedelta(minutes=30), seed=5)
    (row,) = lead_client.get(url).context["report"].members
    assert not row.ready and "fail at 700" in row.ready_reason


def test_the_last_two_at_several_readiness_exams_are_the_latest_two_of_either(
    lead_client, bank, cohort, learner
):
    first = make_exam(questions=20, slug="first", title="First", is_readiness=True)
    second = make_exam(questions=20, slug="second", title="Second", is_readiness=True)
    url = reverse("exams:cohort_detail", args=[cohort.pk])

    def judged():
        (row,) = lead_client.get(url).context["report"].members
        return row.ready, [(e.exam, e.score) for e in row.evidence]

    finished_attempt(learner, first, raw=16, when=NOW - timedelta(days=4), seed=1)  # 820 pass
    finished_attempt(learner, second, raw=15, when=NOW - timedelta(days=3), seed=2)  # 775 pass
    assert judged() == (True, [("Second", 775), ("First", 820)])
    finished_attempt(learner, first, raw=5, when=NOW - timedelta(days=2), seed=3)  # 325 fail
    assert judged() == (False, [("First", 325), ("Second", 775)])
    finished_attempt(learner, second, raw=15, when=NOW - timedelta(days=1), seed=4)  # pass
    assert judged() == (False, [("Second", 775), ("First", 325)])
    finished_attempt(learner, second, raw=16, when=NOW, seed=5)  # pass
    assert judged() == (True, [("Second", 820), ("Second", 775)])


def test_the_rollups_and_the_attempts_give_the_same_figures(
    lead_client, bank, cohort, learner, other_learner
):
    """Unfiltered (and by exam), a member's count, best and latest come from their
    ExamRollups; with dates, from the attempts themselves. Dates that cover
    every attempt give the same figures."""
    Membership.objects.create(user=other_learner, cohort=cohort, role="learner")
    Membership.objects.create(user=make_user("nadia"), cohort=cohort, role="learner")
    mock = make_exam(questions=20, slug="mock")
    quiz = make_exam(questions=5, slug="quiz")
    for n, (user, exam, raw, days) in enumerate(
        [
            (learner, mock, 15, 9),
            (learner, quiz, 5, 6),
            (learner, mock, 9, 3),
            (other_learner, quiz, 2, 5),
            (other_learner, mock, 18, 4),
        ]
    ):
        finished_attempt(user, exam, raw=raw, when=NOW - timedelta(days=days), seed=n)
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    everything = {"start": (NOW - timedelta(days=30)).date().isoformat()}

    def figures(params):
        report = lead_client.get(url, params).context["report"]
        return {
            m.username: (m.attempts, m.best, m.latest, m.latest_passed, m.ready)
            for m in report.members
        }

    for params in ({}, {"exam": "mock"}, {"exam": "quiz"}):
        assert figures(params) == figures({**params, **everything})
    assert figures({})[learner.username] == (3, 1000, 505, False, False)  # best: the quiz
    assert figures({"exam": "quiz"})[learner.username] == (1, 1000, 1000, True, False)
    assert figures({})[other_learner.username][:4] == (2, 910, 910, True)
    assert figures({})["nadia"] == (0, None, None, None, False)  # no attempts


def test_last_activity_is_the_latest_log_in_attempt_started_or_finished(
    lead_client, bank, cohort, learner
):
    exam = make_exam(questions=20)
    User.objects.filter(pk=learner.pk).update(last_login=NOW - timedelta(days=30))
    url = reverse("exams:cohort_detail", args=[cohort.pk])

    def last_active():
        report = lead_client.get(url).context["report"]
        return next(m.last_active for m in report.members if m.user_id == learner.pk)

    assert last_active() == NOW - timedelta(days=30)
    done = finished_attempt(learner, exam, raw=10, when=NOW - timedelta(days=20), seed=1)
    assert last_active() == done.submitted_at
    running = start(learner, exam, NOW - timedelta(days=10), seed=2)
    assert last_active() == running.started_at
    later = start(learner, make_exam(questions=5, slug="quiz"), NOW, seed=3)
    submit_attempt(attempt=later, now=NOW + timedelta(minutes=1))
    assert last_active() == NOW + timedelta(minutes=1)


def test_the_trend_averages_each_week_from_monday_and_leaves_empty_weeks_out(
    lead_client, bank, cohort, learner, other_learner
):
    from datetime import datetime

    from django.utils.timezone import UTC

    Membership.objects.create(user=other_learner, cohort=cohort, role="learner")
    exam = make_exam(questions=20)
    monday = datetime(2026, 11, 2, tzinfo=UTC)
    for n, (user, raw, at) in enumerate(
        [
            (learner, 14, monday + timedelta(hours=1)),  # 730
            (other_learner, 18, monday + timedelta(days=6, hours=20)),  # 910, still week 1
            (learner, 10, monday + timedelta(days=14, hours=3)),  # 550, week 3
        ]
    ):
        finished_attempt(user, exam, raw=raw, when=at - timedelta(minutes=10), seed=n)
    response = lead_client.get(reverse("exams:cohort_detail", args=[cohort.pk]))
    assert response.context["report"].trend == [
        {"week": monday, "average": 820, "attempts": 2},
        {"week": monday + timedelta(days=14), "average": 550, "attempts": 1},
    ]
    chart = response.context["trend"]
    # Two lone weeks: two points, no line bridging the empty week between them.
    assert len(chart["points"]) == 2 and chart["lines"] == [] and chart["gaps"] == 1
    assert "Week of Nov 2: 820 over 2 attempts; Week of Nov 16: 550" in response.content.decode()


def test_the_exam_filter_lists_only_exams_open_to_the_cohort(lead_client, bank, cohort):
    open_to_all = make_exam(slug="open", title="Open to all")
    mine = make_exam(slug="mine", title="Assigned here")
    mine.cohorts.add(cohort)
    theirs = make_exam(slug="theirs", title="Assigned elsewhere")
    theirs.cohorts.add(Cohort.objects.create(name="Elsewhere"))
    Exam.objects.create(title="Unpublished", slug="draft", question_count=5)
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    form = lead_client.get(url).context["form"]
    assert [e.slug for e in form.fields["exam"].queryset] == ["mine", "open"]
    assert open_to_all.slug in lead_client.get(url).content.decode()
    refused = lead_client.get(url, {"exam": "theirs"})
    assert refused.status_code == 200 and refused.context["form"].errors["exam"]


def test_search_sort_inactive_filter_and_page_jumps(lead_client, bank, cohort, learner):
    exam = make_exam(questions=20)
    for n in range(40):
        user = make_user(f"member{n:02d}", first_name=f"First{n:02d}")
        User.objects.filter(pk=user.pk).update(email=f"m{n}@corp.test")
        Membership.objects.create(user=user, cohort=cohort, role="learner")
        if n < 3:
            finished_attempt(user, exam, raw=10 + n, when=NOW - timedelta(days=20 - n), seed=n)
    User.objects.filter(username__in=["member05", "member06"]).update(
        last_login=NOW - timedelta(days=2)
    )
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    found = lead_client.get(url, {"q": "first07"}).context["members"]
    assert [m.user.username for m in found] == ["member07"]
    assert [
        m.user.username for m in lead_client.get(url, {"q": "m12@CORP"}).context["members"]
    ] == ["member12"]
    assert len(lead_client.get(url, {"q": "member1"}).context["members"]) == 10

    inactive = lead_client.get(url, {"inactive": "on"}).context["members"]
    names = {m.user.username for m in inactive}
    assert "member05" not in names and "member06" not in names and "member00" in names
    assert len(names) == 41 - 2 - 0  # nobody else was active in 14 days (the attempts are older)

    page = lead_client.get(url, {"page": 2})
    text = page.content.decode()
    assert 'aria-current="page" class="page-current">2<' in text
    assert 'name="page" min="1" max="2"' in text
    for key in [
        "name",
        "username",
        "last_active",
        "attempts",
        "best",
        "latest",
        "mastery",
        "forecast",
        "ready",
    ]:
        for sort in (key, f"-{key}"):
            response = lead_client.get(url, {"sort": sort})
            assert response.status_code == 200 and response.context["sort"] == sort
    best = lead_client.get(url, {"sort": "-best"}).context["members"]
    assert [m.best for m in best[:3]] == [640, 595, 550]
    assert "Username" in text and "member25" in text


def test_the_ready_list_is_paged_and_counted(lead_client, bank, cohort):
    exam = make_exam(questions=20)
    for n in range(23):
        user = make_user(f"r{n:02d}")
        Membership.objects.create(user=user, cohort=cohort, role="learner")
        finished_attempt(user, exam, raw=15, when=NOW - timedelta(days=2), seed=2 * n)
        finished_attempt(user, exam, raw=15, when=NOW - timedelta(days=1), seed=2 * n + 1)
    url = reverse("exams:cohort_detail", args=[cohort.pk])
    first = lead_client.get(url)
    assert first.context["ready"].paginator.count == 23
    assert len(first.context["ready"].object_list) == 20
    assert "1–20 of 23" in first.content.decode()
    assert len(lead_client.get(url, {"ready_page": 2}).context["ready"].object_list) == 3


def test_the_csvs_have_a_byte_order_mark_on_request(lead_client, bank, cohort, learner):
    learner.first_name = "Zoë"
    learner.save()
    url = reverse("exams:cohort_members_csv", args=[cohort.pk])
    plain = lead_client.get(url).content
    marked = lead_client.get(url, {"bom": "1"}).content
    assert not plain.startswith(b"\xef\xbb\xbf") and marked.startswith(b"\xef\xbb\xbf")
    assert marked[3:] == plain and "Zoë".encode() in plain
    heat = lead_client.get(reverse("exams:cohort_heatmap_csv", args=[cohort.pk]), {"bom": "1"})
    assert heat.content.startswith(b"\xef\xbb\xbf")


def test_objective_averages_link_to_the_questions_the_cohort_misses_most(
    lead_client, bank, cohort, learner
):
    from exams.models import PracticeSession, Question

    objective = Objective.objects.get(code="3.3.1.1")
    easy, hard = Question.objects.filter(objective=objective)[:2]
    session = PracticeSession.objects.create(user=learner, scope="all", label="t", started_at=NOW)
    for question, results in ((easy, [True, True, False]), (hard, [False, False, True])):
        PracticeAnswer.objects.bulk_create(
            PracticeAnswer(
                user=learner,
                session=session,
                question=question,
                question_version=1,
                objective=objective,
                snapshot={},
                is_correct=r,
                answered_at=NOW,
            )
            for r in results
        )
    rollups.rebuild()
    report = lead_client.get(reverse("exams:cohort_detail", args=[cohort.pk])).context["report"]
    assert [a.objective for a in report.averages] == [objective]
    assert report.averages[0].percent == 50 and report.averages[0].answers == 6
    page = lead_client.get(reverse("exams:cohort_objective", args=[cohort.pk, objective.pk]))
    missed = page.context["questions"]
    assert [(m.question, m.missed, m.answers) for m in missed] == [(hard, 2, 3), (easy, 1, 3)]
    assert hard.external_id in page.content.decode()
    # The stem is Markdown: its text is shown, not its asterisks or markup.
    Question.objects.filter(pk=hard.pk).update(stem="Which **one** <script>x()</script>`fits`?")
    page = lead_client.get(reverse("exams:cohort_objective", args=[cohort.pk, objective.pk]))
    html = page.content.decode()
    assert "Which one fits?" in html and "**one**" not in html and "x()" not in html


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


def test_the_weekly_chart_names_both_axes(lead_client, bank, cohort, learner):
    exam = make_exam(questions=20)
    finished_attempt(learner, exam, raw=10, when=NOW - timedelta(days=15), seed=1)
    finished_attempt(learner, exam, raw=15, when=NOW - timedelta(days=1), seed=2)
    response = lead_client.get(reverse("exams:cohort_detail", args=[cohort.pk]))
    trend, page = response.context["trend"], response.content.decode()
    assert ">Approximate scaled score (weekly average)</text>" in page
    assert ">Week starting (Monday)</text>" in page
    # The x title sits under the date labels and inside the picture.
    assert trend["tick_y"] < trend["x_title_y"] <= trend["height"]
    assert page.count('class="axis axis-title"') == 2
