"""The learner's pages: first run, the review filters, the result page that teaches,
the accuracy of the dashboard and the practice summary, the account's email."""

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import grading, practice
from exams.attempts import submit_attempt
from exams.models import Exam
from exams.reports import coverage
from tests.conftest import make_exam, right_answer, save, start, wrong_answer

NOW = timezone.datetime(2026, 11, 24, 12, 0, tzinfo=timezone.UTC)


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def finished(user, questions=10, wrong=frozenset({2, 5}), flagged=frozenset({5, 7}), now=None):
    """A submitted attempt: `wrong` answered wrongly, the rest right, `flagged` flagged."""
    from exams.attempts import set_flag

    now = now or timezone.now()
    attempt = start(user, make_exam(questions=questions, minutes=30), now)
    for item in attempt.items.order_by("position"):
        data = (wrong_answer if item.position in wrong else right_answer)(item.snapshot)
        save(attempt, item.position, data, now=now)
        if item.position in flagged:
            set_flag(
                user=user, attempt_id=attempt.pk, position=item.position, flagged=True, now=now
            )
    return submit_attempt(attempt=attempt, now=now)


# --- grading -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "total", "pass_mark", "needed"),
    [
        (15, 20, 700, 0),  # 775: a pass
        (13, 20, 700, 1),  # 685; 14 of 20 give 730
        (12, 20, 700, 2),  # 640
        (0, 10, 700, 7),  # 6 of 10 give 640, 7 give 730
        (0, 10, 1000, 10),
        (5, 5, 700, 0),
    ],
)
def test_the_correct_answers_needed_to_pass(raw, total, pass_mark, needed):
    assert grading.correct_needed_to_pass(raw, total, pass_mark) == needed


def test_no_number_of_answers_passes_an_unreachable_mark():
    assert grading.correct_needed_to_pass(0, 0, 700) is None


# --- the dashboard's accuracy ----------------------------------------------------


def test_bank_coverage_counts_questions_answered_not_drawn(bank, learner):
    attempt = start(learner, make_exam(questions=10), NOW)
    assert coverage(learner)[0] == 0  # ten questions drawn, none answered
    first = attempt.items.get(position=1)
    save(attempt, 1, right_answer(first.snapshot), now=NOW)
    assert coverage(learner)[0] == 1


def test_the_practice_summary_never_says_improved_after_no_correct_answer(bank, learner):
    session = practice.start_session(user=learner, scope="objective", value="3.3.1.4", now=NOW)
    from tests.conftest import as_query

    session.refresh_from_db()
    practice.check_answer(
        user=learner,
        session_id=session.pk,
        token=session.current_token,
        data=as_query(wrong_answer(session.current_snapshot)),
        now=NOW,
    )
    summary = practice.summarize(session, NOW)
    assert summary.correct == 0 and summary.answered == 1
    assert summary.improved == []


# --- first run -------------------------------------------------------------------


def test_a_new_learner_is_welcomed_with_one_call_to_action_and_no_empty_dashboard(
    learner_client, bank, learner
):
    make_exam(questions=5, title="Task 3.3 mock exam")
    page = learner_client.get(reverse("exams:home")).content.decode()
    assert "Welcome back" not in page and "Welcome, " in page
    assert page.count("Take your first mock exam") == 1
    assert "Bank coverage" not in page and "Mastery by objective" not in page
    assert "Recent attempts" not in page


def test_a_returning_learner_is_welcomed_back_with_the_dashboard(learner_client, bank, learner):
    finished(learner)
    page = learner_client.get(reverse("exams:home")).content.decode()
    assert "Welcome back" in page and "Take your first mock exam" not in page
    assert "Bank coverage" in page and "Recent attempts" in page


# --- review -------------------------------------------------------------------------


def test_the_review_page_filters_unanswered_and_flagged(learner_client, bank, learner):
    from exams.attempts import set_flag

    attempt = start(learner, make_exam(questions=5), timezone.now())
    for position in (1, 2):
        item = attempt.items.get(position=position)
        save(attempt, position, right_answer(item.snapshot), now=timezone.now())
    set_flag(user=learner, attempt_id=attempt.pk, position=4, flagged=True, now=timezone.now())
    url = reverse("exams:attempt_review", args=[attempt.pk])

    def cells(show):
        page = learner_client.get(url, {"show": show}).content.decode()
        return page.count('aria-label="Question '), page

    assert cells("all")[0] == 5
    count, page = cells("unanswered")
    assert count == 3 and "Question 3, not answered" in page and "Question 1," not in page
    count, page = cells("flagged")
    assert count == 1 and "Question 4, not answered, flagged" in page
    assert cells("nonsense")[0] == 5
    # The confirmation states the counts.
    assert "<strong>2</strong> answered" in page and "<strong>3</strong> unanswered" in page
    assert "<strong>1</strong> flagged for review" in page


# --- the result page ----------------------------------------------------------------


def test_the_result_page_shows_the_band_and_what_would_have_passed(learner_client, bank, learner):
    attempt = finished(learner, questions=10, wrong=frozenset({1, 2, 3, 4}))
    assert attempt.raw_score == 6 and attempt.scaled_score == 640
    page = learner_client.get(reverse("exams:attempt_result", args=[attempt.pk])).content.decode()
    assert "Pass mark 700" in page and "1 more correct answer would have passed." in page
    assert "Study these objectives next" in page
    assert 'name="scope" value="objective"' in page


def test_the_result_page_filters_incorrect_and_flagged_items(learner_client, bank, learner):
    attempt = finished(learner, questions=10, wrong=frozenset({2, 5}), flagged=frozenset({5, 7}))
    url = reverse("exams:attempt_result", args=[attempt.pk])

    def items(show):
        page = learner_client.get(url, {"show": show}).content.decode()
        return [n for n in range(1, 11) if f'id="item-{n}"' in page]

    assert items("all") == list(range(1, 11))
    assert items("incorrect") == [2, 5]
    assert items("flagged") == [5, 7]
    assert items("other") == list(range(1, 11))


def test_the_result_page_names_no_internal_code(learner_client, bank, learner):
    attempt = finished(learner)
    page = learner_client.get(reverse("exams:attempt_result", args=[attempt.pk])).content.decode()
    assert "3.3.1.1" not in page.replace('value="3.3.1.1"', "")


def test_the_result_page_runs_constant_queries(
    learner_client, bank, learner, django_assert_num_queries
):
    attempt = finished(learner, questions=20)
    url = reverse("exams:attempt_result", args=[attempt.pk])
    # 1 session, 2 user, 3 the attempt with its exam, 4 objective results with
    # their objectives, 5 items with their objectives, 6 "is a team lead?".
    with django_assert_num_queries(6):
        assert learner_client.get(url).status_code == 200


# --- exams have no feedback policy -----------------------------------------------------


def test_an_exam_has_no_feedback_policy_that_would_do_nothing():
    # Mock exams show feedback after submit and practice at once, whatever an
    # admin chose: the field promised a choice the site never honoured.
    assert "feedback_policy" not in {f.name for f in Exam._meta.get_fields()}


# --- the account's email ----------------------------------------------------------------


def test_a_learner_adds_and_changes_their_email(learner_client, learner):
    url = reverse("accounts:profile")
    response = learner_client.post(url, {"action": "email", "email": "lena@example.org"})
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.email == "lena@example.org"
    page = learner_client.get(url).content.decode()
    assert "lena@example.org" in page


def test_a_bad_email_is_refused_and_nothing_changes(learner_client, learner):
    before = learner.email
    response = learner_client.post(
        reverse("accounts:profile"), {"action": "email", "email": "not an address"}
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    learner.refresh_from_db()
    assert learner.email == before
