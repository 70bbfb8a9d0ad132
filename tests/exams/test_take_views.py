"""The exam pages through the test client: htmx and plain requests."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, AttemptItem
from tests.conftest import (
    item_of_kind,
    make_exam,
    parsed_answer,
    right_answer,
    start,
    wrong_answer,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def exam(bank):
    return make_exam(questions=20, minutes=30)


@pytest.fixture
def attempt(exam, learner):
    return start(learner, exam)


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def take_url(attempt, q=None) -> str:
    url = reverse("exams:attempt_take", args=[attempt.pk])
    return f"{url}?q={q}" if q else url


def answer_url(attempt, position) -> str:
    return reverse("exams:attempt_answer", args=[attempt.pk, position])


def post_answer(client, attempt, item, data, htmx=True, **extra):
    payload = {"seq": str(item.seq), **data, **extra}
    return client.post(answer_url(attempt, item.position), payload, headers=HTMX if htmx else {})


def test_starting_an_exam_redirects_to_its_first_question(learner_client, exam):
    response = learner_client.post(reverse("exams:exam_start", args=[exam.slug]))
    attempt = Attempt.objects.get()
    assert response.status_code == 302 and response["Location"] == take_url(attempt)
    again = learner_client.post(reverse("exams:exam_start", args=[exam.slug]))
    assert again["Location"] == take_url(attempt) and Attempt.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, exam):
    response = client.post(reverse("exams:exam_start", args=[exam.slug]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_take_page_shows_one_question_the_navigator_and_the_clock(learner_client, attempt):
    response = learner_client.get(take_url(attempt))
    page = response.content.decode()
    assert 'Question 1 <span class="muted">of 20</span>' in page
    assert page.count('id="nav-cell-') == 20
    assert 'aria-current="step"' in page
    assert 'hx-history="false"' in page
    assert 'role="timer"' in page and 'aria-live="assertive"' in page
    seconds = int(response["X-Seconds-Left"])
    assert 1790 <= seconds <= 1800
    assert f'data-seconds-left="{seconds}"' in page
    assert "Answered 0 of 20" in page
    assert '<input type="hidden" name="seq" value="0">' in page


@pytest.mark.parametrize("kind", ["single", "multiple", "ordering", "matching"])
def test_every_kind_renders_its_controls(learner_client, bank, learner, kind):
    attempt = start(learner, make_exam(questions=98, minutes=None))
    item = item_of_kind(attempt, kind)
    page = learner_client.get(take_url(attempt, item.position)).content.decode()
    count = len(item.snapshot["options"])
    if kind == "single":
        assert page.count('type="radio" name="choice"') == count
    elif kind == "multiple":
        assert page.count('type="checkbox" name="choice"') == count
        word = {2: "TWO", 3: "THREE"}[item.snapshot["select"]]
        assert f"(Select {word}.)" in page
    elif kind == "ordering":
        assert page.count('class="rank-select"') == count
    else:
        assert page.count('class="match-select"') == count


def test_a_multiple_response_item_says_how_many_to_select_once(learner_client, bank, learner):
    attempt = start(learner, make_exam(questions=98, minutes=None))
    item = item_of_kind(attempt, "multiple")
    word = {2: "TWO", 3: "THREE"}[item.snapshot["select"]]
    assert f"(Select {word}.)" in item.snapshot["stem"]  # as the bank wrote it
    page = learner_client.get(take_url(attempt, item.position)).content.decode()
    assert page.count(f"(Select {word}.)") == 1
    assert 'id="instructions"' not in page and 'aria-describedby="instructions"' not in page

    # A stem that does not say it (an imported bank, say): the instruction says it.
    item.snapshot["stem"] = "Which statements are accurate?"
    item.save(update_fields=["snapshot"])
    page = learner_client.get(take_url(attempt, item.position)).content.decode()
    assert page.count(f"(Select {word}.)") == 1
    assert f'id="instructions"><strong>(Select {word}.)</strong></p>' in page


def test_an_autosave_swaps_the_status_its_navigator_cell_and_the_progress(learner_client, attempt):
    item = attempt.items.get(position=3)
    response = post_answer(learner_client, attempt, item, right_answer(item.snapshot))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('id="item-status"') == 1 and "Saved" in html
    assert 'name="seq" value="1"' in html
    assert 'id="nav-cell-3"' in html and "is-answered" in html and 'hx-swap-oob="true"' in html
    assert 'id="progress"' in html and "Answered 1 of 20" in html
    assert "X-Seconds-Left" in response.headers
    assert AttemptItem.objects.get(pk=item.pk).answered_at is not None


def test_without_javascript_the_form_posts_and_redirects(learner_client, attempt):
    item = attempt.items.get(position=1)
    response = post_answer(
        learner_client, attempt, item, right_answer(item.snapshot), htmx=False, go="next"
    )
    assert response.status_code == 302 and response["Location"] == take_url(attempt, 2)
    assert AttemptItem.objects.get(pk=item.pk).response is not None
    nav = post_answer(
        learner_client, attempt, attempt.items.get(position=2), {}, htmx=False, go="7"
    )
    assert nav["Location"] == take_url(attempt, 7)
    review = post_answer(
        learner_client, attempt, attempt.items.get(position=2), {}, htmx=False, go="review"
    )
    assert review["Location"] == reverse("exams:attempt_review", args=[attempt.pk])


def test_a_navigation_post_right_after_an_autosave_is_not_a_conflict(learner_client, attempt):
    item = attempt.items.get(position=1)
    data = right_answer(item.snapshot)
    post_answer(learner_client, attempt, item, data)  # autosave: seq 0 → 1
    # The page navigates before the swap updated its seq: same answer, old seq.
    response = post_answer(learner_client, attempt, item, data, htmx=False, go="next")
    assert response.status_code == 302


def test_flagging_toggles_and_shows_in_the_navigator(learner_client, attempt):
    url = reverse("exams:attempt_flag", args=[attempt.pk, 4])
    html = learner_client.post(url, {"flagged": "1"}, headers=HTMX).content.decode()
    assert 'aria-pressed="true"' in html and "is-flagged" in html
    assert AttemptItem.objects.get(attempt=attempt, position=4).flagged
    learner_client.post(url, {"flagged": "0"})
    assert not AttemptItem.objects.get(attempt=attempt, position=4).flagged


def test_a_reload_resumes_with_answers_and_flags(learner_client, attempt):
    item = attempt.items.get(position=2)
    post_answer(learner_client, attempt, item, right_answer(item.snapshot))
    learner_client.post(reverse("exams:attempt_flag", args=[attempt.pk, 2]), {"flagged": "1"})
    page = learner_client.get(take_url(attempt, 2)).content.decode()
    assert "Answered 1 of 20" in page
    snap = item.snapshot
    if snap["kind"] in ("single", "multiple"):
        for oid in [snap["key"]] if snap["kind"] == "single" else snap["key"]:
            assert f'value="{oid}" checked' in page
    elif snap["kind"] == "ordering":
        for place, oid in enumerate(snap["key"], 1):
            select = page[page.index(f'id="rank-{oid}"') :]
            assert f'<option value="{place}" selected>' in select[: select.index("</select>")]
    else:
        for pid, mid in snap["key"].items():
            select = page[page.index(f'id="match-{pid}"') :]
            assert f'<option value="{mid}" selected>' in select[: select.index("</select>")]
    assert 'aria-pressed="true"' in page
    # Without ?q= the page opens at the first unanswered question.
    assert "Question 1 <span" in learner_client.get(take_url(attempt)).content.decode()


def test_the_review_page_lists_unanswered_and_flagged_items(learner_client, attempt):
    item = attempt.items.get(position=1)
    post_answer(learner_client, attempt, item, right_answer(item.snapshot))
    learner_client.post(reverse("exams:attempt_flag", args=[attempt.pk, 5]), {"flagged": "1"})
    url = reverse("exams:attempt_review", args=[attempt.pk])
    page = learner_client.get(url).content.decode()
    assert 'Unanswered <span class="count">19</span>' in page
    assert 'Flagged <span class="count">1</span>' in page
    assert "<dt>Unanswered</dt><dd>19</dd>" in page and "<dt>Flagged</dt><dd>1</dd>" in page
    flagged = learner_client.get(url, {"show": "flagged"}).content.decode()
    assert f'href="{take_url(attempt, 5)}"' in flagged
    assert 'aria-label="Question 5, not answered, flagged"' in flagged
    unanswered = learner_client.get(url, {"show": "unanswered"}).content.decode()
    assert f'href="{take_url(attempt, 1)}"' not in unanswered
    assert f'href="{take_url(attempt, 2)}"' in unanswered
    # Submitting asks in the page, in a dialog, not with window.confirm.
    assert "hx-confirm=" not in page and '<dialog id="submit-dialog"' in page
    assert "19 questions still unanswered" in page


def test_submit_shows_results_by_objective_and_every_item_with_its_key(learner_client, attempt):
    items = list(attempt.items.order_by("position"))
    for item in items[:15]:
        post_answer(learner_client, attempt, item, right_answer(item.snapshot))
    post_answer(learner_client, attempt, items[15], wrong_answer(items[15].snapshot))

    response = learner_client.post(reverse("exams:attempt_submit", args=[attempt.pk]), follow=True)

    page = response.content.decode()
    attempt.refresh_from_db()
    assert (attempt.raw_score, attempt.scaled_score, attempt.passed) == (15, 775, True)
    assert "Approximate scaled score" in page and "775" in page and "Pass mark 700" in page
    assert "<dd>15 / 20</dd>" in page
    assert page.count('<meter class="bar"') == attempt.objective_results.count()
    assert page.count('class="review-item') == 20
    assert "✓ Correct answer" in page and "Explanation" in page
    first_feedback = items[0].snapshot["options"][0]["feedback"][:30]
    assert first_feedback in page


def test_objectives_are_listed_weakest_first(learner_client, attempt):
    items = list(attempt.items.order_by("position"))
    for item in items[:10]:
        post_answer(learner_client, attempt, item, right_answer(item.snapshot))
    learner_client.post(reverse("exams:attempt_submit", args=[attempt.pk]))
    response = learner_client.get(reverse("exams:attempt_result", args=[attempt.pk]))
    percents = [r.percent for r in response.context["objectives"]]
    assert percents == sorted(percents)


def test_a_submit_through_htmx_redirects_the_browser(learner_client, attempt):
    response = learner_client.post(reverse("exams:attempt_submit", args=[attempt.pk]), headers=HTMX)
    assert response["HX-Redirect"] == reverse("exams:attempt_result", args=[attempt.pk])


def test_an_expired_attempt_shows_its_result_to_a_returning_learner(
    learner_client, learner, bank, settings
):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 30
    attempt = start(learner, make_exam(minutes=1), timezone.now() - timedelta(minutes=5))
    response = learner_client.get(take_url(attempt))
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:attempt_result", args=[attempt.pk])
    page = learner_client.get(response["Location"]).content.decode()
    assert "time ran out" in page


def test_the_in_progress_attempt_shows_on_home_with_resume_and_time_left(learner_client, attempt):
    page = learner_client.get(reverse("exams:home")).content.decode()
    assert f"In progress: {attempt.exam.title}" in page
    assert "Resume" in page and "min" in page and "left" in page


def test_home_finalizes_an_attempt_whose_time_ran_out_instead_of_offering_it(
    learner_client, learner, bank, settings
):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 30
    attempt = start(learner, make_exam(minutes=1), timezone.now() - timedelta(minutes=5))
    page = learner_client.get(reverse("exams:home")).content.decode()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.EXPIRED
    assert "In progress:" not in page and "time ran out" in page


def test_history_lists_attempts_with_a_trend_chart(learner_client, learner, exam):
    for seed in range(3):
        a = start(learner, exam, seed=seed)
        for item in list(a.items.order_by("position"))[: 5 * seed + 5]:
            post_answer(learner_client, a, item, right_answer(item.snapshot))
        learner_client.post(reverse("exams:attempt_submit", args=[a.pk]))
    page = learner_client.get(reverse("exams:history")).content.decode()
    assert page.count('<circle class="trend-point') == 3
    assert "325" in page and "550" in page and "775" in page
    assert page.count("<tr>") == 4  # header + 3


def test_history_and_home_have_empty_states(learner_client, db):
    assert (
        "No finished attempts yet." in learner_client.get(reverse("exams:history")).content.decode()
    )
    # Home has no empty tables for a new learner: one call to action instead.
    home = learner_client.get(reverse("exams:home")).content.decode()
    assert "No finished attempts yet." not in home and "Recent attempts" not in home


@pytest.mark.parametrize("questions", [5, 65])
def test_the_take_page_runs_a_constant_number_of_queries(
    learner_client, learner, bank, questions, django_assert_num_queries
):
    attempt = start(learner, make_exam(questions=questions))
    # 1 session, 2 user, 3 the attempt with its exam, 4 every item's navigator
    # state, 5 the item shown (the exam layout has no site menu to ask for).
    with django_assert_num_queries(5):
        response = learner_client.get(take_url(attempt, 3))
    assert response.status_code == 200


@pytest.mark.parametrize("questions", [5, 65])
def test_an_autosave_runs_a_constant_number_of_queries(
    learner_client, learner, bank, questions, django_assert_num_queries
):
    attempt = start(learner, make_exam(questions=questions))
    item = attempt.items.get(position=2)
    # 1 session, 2 user, 3 SAVEPOINT (save_answer's transaction inside the
    # test's), 4 the item with its attempt row locked, 5 UPDATE the item,
    # 6 count the answered items, 7 RELEASE SAVEPOINT.
    with django_assert_num_queries(7):
        response = post_answer(learner_client, attempt, item, right_answer(item.snapshot))
    assert response.status_code == 200
    item.refresh_from_db()
    # Changing an answered item's answer leaves it answered: no count.
    # 1 session, 2 user, 3 SAVEPOINT, 4 the item with its attempt row
    # locked, 5 UPDATE the item, 6 RELEASE SAVEPOINT.
    with django_assert_num_queries(6):
        response = post_answer(
            learner_client, attempt, item, wrong_answer(item.snapshot), writer="w1", write="1"
        )
    assert response.status_code == 200


def test_a_changed_answer_that_leaves_the_item_answered_swaps_only_the_status(
    learner_client, attempt
):
    item = attempt.items.get(position=3)
    post_answer(learner_client, attempt, item, right_answer(item.snapshot), writer="w1", write="1")
    item.refresh_from_db()
    response = post_answer(
        learner_client, attempt, item, wrong_answer(item.snapshot), writer="w1", write="2"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        html.count('id="item-status"') == 1 and "Saved" in html and 'name="seq" value="2"' in html
    )
    # Answered before and after: the navigator cell and the progress stand as shown.
    assert 'id="nav-cell-3"' not in html and 'id="progress"' not in html
    item.refresh_from_db()
    assert item.seq == 2 and item.response == parsed_answer(item, wrong_answer(item.snapshot))


def test_time_up_within_the_grace_shows_a_waiting_page_and_still_takes_answers(
    learner_client, learner, bank, settings
):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 30
    attempt = start(learner, make_exam(minutes=1), timezone.now() - timedelta(seconds=65))
    response = learner_client.post(reverse("exams:attempt_time_up", args=[attempt.pk]))
    assert response["Location"] == take_url(attempt)
    page = learner_client.get(take_url(attempt)).content.decode()
    assert "Time is up" in page and 'data-reload-after="' in page
    assert 'http-equiv="refresh"' not in page
    item = attempt.items.get(position=1)
    saved = post_answer(learner_client, attempt, item, right_answer(item.snapshot))
    assert saved.status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == "in_progress"


def test_navigation_with_odd_go_values_never_fails(learner_client, attempt):
    item = attempt.items.get(position=2)
    for go in ["²", "9" * 5000, "-3", "", "0", "9999"]:
        response = post_answer(learner_client, attempt, item, {}, htmx=False, go=go)
        assert response.status_code == 302, go


def test_get_pages_answer_head_requests(learner_client, attempt):
    assert learner_client.head(take_url(attempt)).status_code == 200
    assert learner_client.head(reverse("exams:home")).status_code == 200
