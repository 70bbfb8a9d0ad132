"""Item analysis in the admin: the changelist's columns and filter, the question's
panel with the times each option was chosen, and the exam's reliability.

The data is the hand-computed table of test_analysis taken by eight groups of
five learners (40 attempts: enough data), so every figure is the table's.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from exams import analysis
from exams.models import Question
from tests.exams.test_analysis import fixture, take_table  # noqa: F401 (a fixture)

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


@pytest.fixture
def graded(fixture):  # noqa: F811
    questions = {k: fixture[k] for k in ("q1", "q2", "q3", "u")}
    for group in range(7):
        take_table(fixture["exam"], questions, f"group{group}-")
    # Only the fixture's questions: the changelist shows them all on one page.
    return fixture


def changelist(client, query: str = ""):
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("admin:exams_question_changelist") + query)


def test_the_changelist_shows_the_figures_in_sortable_columns(instructor_client, graded):
    response = changelist(instructor_client, "?o=10")  # the 10th column: facility
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    # Pooled over both exams: Q3 20 %, Q1 59 % (24 of 41), Q2 and U 60 % (the admin
    # breaks the tie by -pk).
    assert [q.external_id for q in rows] == ["q3", "q1", "u", "q2"]
    page = response.content.decode()
    assert "<th" in page and "Facility" in page and "Discrimination" in page
    assert "0.20" in page and "0.59" in page  # Q3 (8 of 40) and Q1 (24 of 41)
    assert "negative: check the key" in page and "dead distractor" in page


@pytest.mark.parametrize(
    ("value", "expected"),
    [("warning", {"q1", "u"}), ("fine", {"q2", "q3"}), ("few", set())],
)
def test_the_changelist_filters_by_warning(instructor_client, graded, value, expected):
    response = changelist(instructor_client, f"?analysis={value}")
    assert {q.external_id for q in response.context["cl"].result_list} == expected


def test_a_question_with_too_few_responses_says_not_enough_data(instructor_client, fixture):  # noqa: F811
    response = changelist(instructor_client, "?analysis=few")
    rows = {q.external_id for q in response.context["cl"].result_list}
    assert rows == {"q1", "q2", "q3", "u"}
    assert "not enough data" in response.content.decode()


def test_the_changelist_refreshes_old_figures_in_constant_queries(
    instructor_client, graded, django_assert_num_queries
):
    url = reverse("admin:exams_question_changelist")
    # 1 session, 2 user, 3-4 permissions, 5 how old the figures are (none yet),
    # 6-10 the analysis (item sums, option counts, practice, questions, choices),
    # 11 the exams' reliability, 12 savepoint, 13-14 upsert the questions' figures
    # and delete those no longer analysed, 15-16 the same for the exams, 17 release,
    # 18 the exams' figures, 19 task statements and 20 objectives (filters),
    # 21-22 the counts, 23 the page.
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(23):
        assert instructor_client.get(url).status_code == 200
    analysis.refresh_statistics(now=NOW - analysis.MAX_AGE)  # old, but not too old
    # The same without 6-17.
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(11):
        assert instructor_client.get(url).status_code == 200


def test_the_change_page_shows_the_figures_and_option_counts(instructor_client, graded):
    q1 = graded["q1"]
    with time_machine.travel(NOW, tick=False):
        response = instructor_client.get(reverse("admin:exams_question_change", args=[q1.pk]))
    page = response.content.decode()
    assert "How it performs" in page
    assert "Dead distractor D: chosen by 0 %" in page
    # Beside each choice in the inline: count and share of the 41 responses.
    for text in (
        "24 (59 %)",
        "16 (39 %)",
        "1 (2 %) · dead distractor",
        "0 (0 %) · dead distractor",
    ):
        assert text in page
    u = graded["u"]
    with time_machine.travel(NOW, tick=False):
        page = instructor_client.get(
            reverse("admin:exams_question_change", args=[u.pk])
        ).content.decode()
    assert "Negative discrimination (-0.88)" in page and "The key may be wrong" in page


def test_an_ordering_question_has_no_option_counts(instructor_client, graded):
    q2 = graded["q2"]
    with time_machine.travel(NOW, tick=False):
        response = instructor_client.get(reverse("admin:exams_question_change", args=[q2.pk]))
    page = response.content.decode()
    assert "How often each option was chosen" not in page and "No warnings." in page


def test_the_exam_page_shows_alpha_and_sem(graded, superuser, client):
    client.force_login(superuser)  # exams are edited by administrators
    page = client.get(reverse("admin:exams_exam_change", args=[graded["exam"].pk])).content.decode()
    # 40 attempts repeating the fixture's five: alpha and SEM as hand-computed.
    assert "Cronbach&#x27;s alpha 0.58 over 40 finalized attempts" in page
    assert "standard error of measurement 0.7 items, about 199 points" in page


def test_the_changelist_shows_each_exams_reliability(instructor_client, graded):
    page = changelist(instructor_client).content.decode()
    assert "Reliability of the exams" in page
    assert "<strong>Fixture</strong>: Cronbach&#x27;s alpha 0.58 over 40 finalized attempts" in page
    assert "<strong>Other</strong>: Not enough data: 1 finalized attempt(s)" in page


def test_a_new_question_has_no_figures(instructor_client, graded):
    assert not Question.objects.filter(statistics__isnull=False).exists()
    changelist(instructor_client)
    assert Question.objects.filter(statistics__isnull=False).count() == 4
    assert analysis.ensure_fresh(now=NOW + timedelta(minutes=1)) == NOW
