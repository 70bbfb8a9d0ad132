"""The save protocol (docs/exams.md, "Saving answers"): a write is applied only
if it is newer than what is stored, for every writer; an exact retry changes
nothing and answers 200; an older write answers 409 and keeps the newer answer."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from exams.attempts import Verdict, Write, judge_write
from exams.models import AttemptItem
from tests.conftest import make_exam, parsed_answer, right_answer, start, wrong_answer

HTMX = {"HX-Request": "true"}


# --- the rule, without a database ---------------------------------------------


def stored(*, seq: int, writer: str, write_no: int) -> AttemptItem:
    return AttemptItem(seq=seq, writer=writer, write_no=write_no)


@pytest.mark.parametrize(
    ("item", "write", "same", "verdict"),
    [
        # the page that wrote last: judged by its own write numbers
        (stored(seq=2, writer="a", write_no=2), Write(2, "a", 3), False, Verdict.APPLY),
        (stored(seq=1, writer="a", write_no=1), Write(0, "a", 2), False, Verdict.APPLY),
        (stored(seq=2, writer="a", write_no=2), Write(1, "a", 2), True, Verdict.RETRY),
        (stored(seq=2, writer="a", write_no=2), Write(1, "a", 2), False, Verdict.STALE),
        (stored(seq=2, writer="a", write_no=2), Write(0, "a", 1), False, Verdict.STALE),
        (stored(seq=2, writer="a", write_no=2), Write(0, "a", 1), True, Verdict.STALE),
        (stored(seq=2, writer="a", write_no=2), Write(2, "a", 3), True, Verdict.UNCHANGED),
        # any other page must have seen the newest version
        (stored(seq=2, writer="a", write_no=2), Write(2, "b", 1), False, Verdict.APPLY),
        (stored(seq=2, writer="a", write_no=2), Write(1, "b", 9), False, Verdict.STALE),
        (stored(seq=2, writer="a", write_no=2), Write(1, "b", 9), True, Verdict.UNCHANGED),
        (stored(seq=2, writer="a", write_no=2), Write(1, "", 0), False, Verdict.STALE),
        (stored(seq=0, writer="", write_no=0), Write(0, "", 0), False, Verdict.APPLY),
    ],
)
def test_a_write_is_judged_against_what_is_stored(item, write, same, verdict):
    assert judge_write(item=item, write=write, same_answer=same) is verdict


# --- through the page's own requests ------------------------------------------


@pytest.fixture
def attempt(bank, learner):
    return start(learner, make_exam(questions=10, minutes=30))


@pytest.fixture
def page(client, learner):
    client.force_login(learner)
    return client


def url(attempt, position: int = 1) -> str:
    return reverse("exams:attempt_answer", args=[attempt.pk, position])


def post(client, attempt, data: dict, *, seq: int, writer: str, write: int, position: int = 1):
    body = {"seq": str(seq), "writer": writer, "write": str(write), **data}
    return client.post(url(attempt, position), body, headers=HTMX)


def first_item(attempt) -> AttemptItem:
    return AttemptItem.objects.get(attempt=attempt, position=1)


def test_a_replayed_older_save_is_refused_and_the_newer_answer_stays(page, attempt):
    item = first_item(attempt)
    a, b = wrong_answer(item.snapshot), right_answer(item.snapshot)
    first = {"seq": "0", "writer": "tab-a", "write": "1", **a}
    assert page.post(url(attempt), first, headers=HTMX).status_code == 200  # A, seq 0 → 1
    assert post(page, attempt, b, seq=1, writer="tab-a", write=2).status_code == 200  # B
    replay = page.post(url(attempt), first, headers=HTMX)  # the first request, byte for byte
    item.refresh_from_db()
    assert replay.status_code == 409
    assert item.seq == 2
    assert item.response == parsed_answer(item, b)
    html = replay.content.decode()
    # The page is shown the answer the server holds, never "Saved".
    assert "Saved" not in html and "Not saved" in html
    assert 'id="item-fields"' in html and 'name="seq" value="2"' in html


def test_an_exact_retry_answers_the_current_state_and_changes_nothing(page, attempt):
    item = first_item(attempt)
    data = right_answer(item.snapshot)
    post(page, attempt, data, seq=0, writer="tab-a", write=1)
    stored = first_item(attempt)
    retry = post(page, attempt, data, seq=0, writer="tab-a", write=1)  # reply was lost
    after = first_item(attempt)
    assert retry.status_code == 200 and "Saved" in retry.content.decode()
    assert 'name="seq" value="1"' in retry.content.decode()
    assert (after.seq, after.answered_at, after.response) == (
        stored.seq,
        stored.answered_at,
        stored.response,
    )


def test_a_newer_save_of_the_same_page_applies_when_its_last_reply_was_lost(page, attempt):
    item = first_item(attempt)
    a, b = wrong_answer(item.snapshot), right_answer(item.snapshot)
    post(page, attempt, a, seq=0, writer="tab-a", write=1)  # applied; the page never heard
    response = post(page, attempt, b, seq=0, writer="tab-a", write=2)  # still at seq 0
    item.refresh_from_db()
    assert response.status_code == 200
    assert item.response == parsed_answer(item, b) and item.seq == 2


def test_another_window_with_an_old_version_is_refused(page, attempt):
    item = first_item(attempt)
    a, b = wrong_answer(item.snapshot), right_answer(item.snapshot)
    post(page, attempt, b, seq=0, writer="tab-new", write=1)
    response = post(page, attempt, a, seq=0, writer="tab-old", write=5)
    item.refresh_from_db()
    assert response.status_code == 409 and "another window" in response.content.decode()
    assert item.response == parsed_answer(item, b)


def test_another_window_sending_the_stored_answer_is_told_it_is_saved(page, attempt):
    item = first_item(attempt)
    data = right_answer(item.snapshot)
    post(page, attempt, data, seq=0, writer="tab-a", write=1)
    response = post(page, attempt, data, seq=0, writer="tab-b", write=1)
    assert response.status_code == 200 and 'name="seq" value="1"' in response.content.decode()
    assert first_item(attempt).seq == 1


def test_a_resubmitted_plain_form_changes_nothing(page, attempt):
    item = first_item(attempt)
    body = {"seq": "0", "writer": "plain-page", "go": "next", **right_answer(item.snapshot)}
    assert page.post(url(attempt), body).status_code == 302
    again = page.post(url(attempt), body)  # the browser sends the form again
    assert again.status_code == 302 and first_item(attempt).seq == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"seq": "x"},
        {"seq": "-1"},
        {"seq": str(2**31)},
        {"seq": "0", "write": "99999999999999999999"},
        {"seq": "0", "write": "-3"},
    ],
)
def test_malformed_protocol_fields_get_a_400_and_change_nothing(page, attempt, fields):
    item = first_item(attempt)
    response = page.post(url(attempt), {**fields, **right_answer(item.snapshot)}, headers=HTMX)
    assert response.status_code == 400 and "out of date" in response.content.decode()
    assert first_item(attempt).seq == 0


# --- real concurrent requests (PostgreSQL: row locks) ----------------------------

pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL's row locks"
)


def concurrently(bodies: list[dict], user, path: str) -> list[int]:
    """POST every body at once, each from its own client and connection."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def send(index: int, body: dict) -> None:
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            statuses[index] = client.post(path, body, headers=HTMX).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, b)) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pg_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_windows_saving_at_once_one_wins_the_other_is_refused(bank, learner):
    attempt = start(learner, make_exam(questions=10, minutes=30))
    item = first_item(attempt)
    answers = [right_answer(item.snapshot), wrong_answer(item.snapshot)]
    bodies = [
        {"seq": "0", "writer": f"tab-{n}", "write": "1", **data} for n, data in enumerate(answers)
    ]
    statuses = concurrently(bodies, learner, url(attempt))
    item.refresh_from_db()
    assert sorted(statuses) == [200, 409]
    winner = answers[statuses.index(200)]
    assert item.seq == 1 and item.response == parsed_answer(item, winner)


@pg_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_duplicates_of_one_save_arriving_at_once_apply_it_once(bank, learner):
    attempt = start(learner, make_exam(questions=10, minutes=30))
    item = first_item(attempt)
    body = {"seq": "0", "writer": "tab-a", "write": "1", **right_answer(item.snapshot)}
    statuses = concurrently([body] * 4, learner, url(attempt))
    item.refresh_from_db()
    assert statuses == [200] * 4
    assert item.seq == 1 and item.write_no == 1
