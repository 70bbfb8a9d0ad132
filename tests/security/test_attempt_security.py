"""The integrity guarantees of a mock exam (issue 3, A1–A7, and CSRF)."""

import json
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from exams.attempts import submit_attempt
from exams.markdown import sanitize_markdown
from exams.models import Attempt, AttemptItem, ObjectiveResult
from tests.conftest import (
    item_of_kind,
    make_exam,
    parsed_answer,
    right_answer,
    start,
    wrong_answer,
)

HTMX = {"HX-Request": "true"}
KINDS = ["single", "multiple", "ordering", "matching"]


@pytest.fixture
def full(bank, learner):
    """An attempt holding every question of the bank, so every kind is present."""
    return start(learner, make_exam(questions=98, minutes=60))


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def answer_url(attempt, position):
    return reverse("exams:attempt_answer", args=[attempt.pk, position])


def assert_no_key(html: str, item: AttemptItem) -> None:
    snap = item.snapshot
    for text in [o["feedback"] for o in snap["options"] if o["feedback"]] + [snap["explanation"]]:
        # Both as written and as rendered (escaping changes quotes).
        assert text[:40] not in html and sanitize_markdown(text) not in html, "text leaked"
    for marker in ("is-key", "mark-key", "data-correct", "data-key", '"key"', "Correct answer"):
        assert marker not in html, marker
    if not isinstance(snap["key"], str):  # a single answer's key is just one of the ids shown
        assert json.dumps(snap["key"]) not in html
    if snap["kind"] == "ordering":
        shown = [oid for oid in snap["key"] if f'id="rank-{oid}"' in html]
        positions = sorted(shown, key=lambda oid: html.index(f'id="rank-{oid}"'))
        assert positions != snap["key"], "items shown in the correct order"
    if snap["kind"] == "matching" and "match-select" in html:
        first_prompt = snap["options"][0]["id"]
        select = html[html.index(f'id="match-{first_prompt}"') :]
        select = select[: select.index("</select>")]
        offered = [m["id"] for m in snap["matches"] if f'value="{m["id"]}"' in select]
        aligned = [snap["key"][o["id"]] for o in snap["options"]]
        assert offered != aligned, "matches offered in the prompts' order"


# --- A1 -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a1_no_key_on_the_take_page_or_its_partials(learner_client, full, kind):
    item = item_of_kind(full, kind)
    page = learner_client.get(f"{reverse('exams:attempt_take', args=[full.pk])}?q={item.position}")
    assert_no_key(page.content.decode(), item)

    saved = learner_client.post(
        answer_url(full, item.position), {"seq": "0", **right_answer(item.snapshot)}, headers=HTMX
    )
    assert saved.status_code == 200
    assert_no_key(saved.content.decode(), item)
    item.refresh_from_db()
    again = learner_client.get(f"{reverse('exams:attempt_take', args=[full.pk])}?q={item.position}")
    assert_no_key(again.content.decode(), item)

    flag = learner_client.post(
        reverse("exams:attempt_flag", args=[full.pk, item.position]), {"flagged": "1"}, headers=HTMX
    )
    assert_no_key(flag.content.decode(), item)
    review = learner_client.get(reverse("exams:attempt_review", args=[full.pk]))
    assert_no_key(review.content.decode(), item)


def test_a1_the_result_page_is_not_shown_before_finalization(learner_client, full):
    response = learner_client.get(reverse("exams:attempt_result", args=[full.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:attempt_take", args=[full.pk])


def _normalized(html: str) -> str:
    """The page without what changes on every request (tokens, nonces)."""
    html = re.sub(r'nonce="[^"]*"', "", html)
    html = re.sub(r'name="(csrfmiddlewaretoken|writer)" value="[^"]*"', "", html)
    return re.sub(r'"x-csrftoken": "[^"]*"', "", html)


def _permuted(snapshot: dict) -> dict:
    """The same question with a different key, feedback and explanation."""
    snap = json.loads(json.dumps(snapshot))
    ids = [o["id"] for o in snap["options"]]
    if snap["kind"] == "single":
        snap["key"] = next(i for i in ids if i != snap["key"])
    elif snap["kind"] == "multiple":
        snap["key"] = sorted(i for i in ids if i not in snap["key"])[: snap["select"]]
    elif snap["kind"] == "ordering":
        snap["key"] = list(reversed(snap["key"]))
    else:
        prompts, partners = list(snap["key"]), list(snap["key"].values())
        snap["key"] = dict(zip(prompts, partners[1:] + partners[:1], strict=True))
    for n, option in enumerate(snap["options"]):
        option["feedback"] = f"FEEDBACK-SENTINEL-{n}"
    snap["explanation"] = "EXPLANATION-SENTINEL"
    return snap


@pytest.mark.parametrize("kind", KINDS)
def test_a1_the_answering_pages_do_not_depend_on_the_key_at_all(
    learner_client, full, kind, time_machine
):
    # Both renderings show the seconds left: the clock must not move between them.
    time_machine.move_to(timezone.now(), tick=False)
    item = item_of_kind(full, kind)
    take = f"{reverse('exams:attempt_take', args=[full.pk])}?q={item.position}"
    review = reverse("exams:attempt_review", args=[full.pk])
    before = [_normalized(learner_client.get(url).content.decode()) for url in (take, review)]
    AttemptItem.objects.filter(pk=item.pk).update(snapshot=_permuted(item.snapshot))
    after = [_normalized(learner_client.get(url).content.decode()) for url in (take, review)]
    assert before == after
    assert "SENTINEL" not in "".join(after)


# --- A2 -------------------------------------------------------------------


def test_a2_an_answer_after_the_deadline_and_grace_is_refused(
    learner_client, learner, bank, settings, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)  # 5 s past the grace, however slow the run
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 30
    attempt = start(learner, make_exam(minutes=1), timezone.now() - timedelta(seconds=95))
    item = attempt.items.get(position=1)
    response = learner_client.post(
        answer_url(attempt, 1), {"seq": "0", **right_answer(item.snapshot)}, headers=HTMX
    )
    assert response.status_code == 409
    assert (
        "Time is up: answers that arrive after the deadline are not saved."
        in response.content.decode()
    )
    assert AttemptItem.objects.get(pk=item.pk).response is None


def test_a2_an_answer_within_the_grace_period_counts(
    learner_client, learner, bank, settings, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)  # 20 s of grace left, however slow the run
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 30
    attempt = start(learner, make_exam(minutes=1), timezone.now() - timedelta(seconds=70))
    item = attempt.items.get(position=1)
    response = learner_client.post(
        answer_url(attempt, 1), {"seq": "0", **right_answer(item.snapshot)}, headers=HTMX
    )
    assert response.status_code == 200
    assert AttemptItem.objects.get(pk=item.pk).response is not None


def test_a2_a_forged_time_up_before_the_deadline_is_ignored(learner_client, full):
    response = learner_client.post(reverse("exams:attempt_time_up", args=[full.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:attempt_take", args=[full.pk])
    full.refresh_from_db()
    assert full.status == "in_progress" and full.scaled_score is None


# --- A3 -------------------------------------------------------------------


def test_a3_changing_an_answer_after_submit_is_refused(learner_client, full):
    item = full.items.get(position=1)
    learner_client.post(reverse("exams:attempt_submit", args=[full.pk]))
    response = learner_client.post(
        answer_url(full, 1), {"seq": "0", **right_answer(item.snapshot)}, headers=HTMX
    )
    assert response.status_code == 409
    assert "has been submitted" in response.content.decode()
    assert AttemptItem.objects.get(pk=item.pk).response is None
    flag = learner_client.post(reverse("exams:attempt_flag", args=[full.pk, 1]), {"flagged": "1"})
    assert flag.status_code == 409


# --- A4 -------------------------------------------------------------------


def attempt_urls(attempt) -> list[tuple[str, str]]:
    """Every URL of the URL conf that names an attempt, with its method."""
    found = []
    for pattern in get_resolver("exams.urls").url_patterns:
        route = str(pattern.pattern)
        if not route.startswith("attempts/<"):
            continue
        kwargs = {"attempt_id": attempt.pk}
        if "position" in str(pattern.pattern):
            kwargs["position"] = 1
        method = (
            "get"
            if pattern.name in ("attempt_take", "attempt_review", "attempt_result")
            else "post"
        )
        found.append((method, reverse(f"exams:{pattern.name}", kwargs=kwargs)))
    return found


def test_a4_the_url_conf_has_the_attempt_urls_we_expect(full):
    assert len(attempt_urls(full)) == 7


@pytest.mark.parametrize("who", ["other_learner", "team_lead", "superuser", "instructor"])
def test_a4_nobody_else_reaches_an_attempt(client, full, request, who):
    client.force_login(request.getfixturevalue(who))
    item = full.items.get(position=1)
    for method, url in attempt_urls(full):
        data = {"seq": "0", "flagged": "1", **right_answer(item.snapshot)}
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, (who, url)
    full.refresh_from_db()
    item.refresh_from_db()
    assert (full.status, item.response, item.flagged) == ("in_progress", None, False)


# --- A5 -------------------------------------------------------------------


def test_a5_a_stale_write_from_an_old_tab_is_refused(learner_client, full):
    item = full.items.get(position=1)
    kind = item.snapshot["kind"]
    assert kind in ("single", "multiple", "ordering", "matching")
    newest = right_answer(item.snapshot)
    learner_client.post(answer_url(full, 1), {"seq": "0", **newest}, headers=HTMX)  # new tab

    old_tab = {"seq": "0", **wrong_answer(item.snapshot)}  # another answer, on the old version
    response = learner_client.post(answer_url(full, 1), old_tab, headers=HTMX)

    assert response.status_code == 409
    html = response.content.decode()
    assert "changed in another window" in html and "Saved" not in html
    # The old tab is shown the newest answer, with its version, in place of its own.
    assert 'name="seq" value="1"' in html and 'id="item-fields" class="item-fields"' in html
    item.refresh_from_db()
    assert item.seq == 1
    assert item.response == parsed_answer(item, newest)


# --- A6 -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a6_two_concurrent_submits_finalize_once(learner, bank):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) exist only on PostgreSQL")
    attempt = start(learner, make_exam(questions=20))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(submit_attempt(attempt=attempt, now=timezone.now()))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len({r.submitted_at for r in results}) == 1
    objectives = len({i.objective_id for i in attempt.items.all()})
    assert ObjectiveResult.objects.filter(attempt=attempt).count() == objectives
    assert Attempt.objects.get(pk=attempt.pk).status == "submitted"


# --- A7 -------------------------------------------------------------------


def bad_payloads(full) -> list[tuple[str, AttemptItem, dict, str]]:
    single = item_of_kind(full, "single")
    multiple = item_of_kind(full, "multiple")
    ordering = item_of_kind(full, "ordering")
    matching = item_of_kind(full, "matching")
    foreign = multiple.snapshot["options"][0]["id"]
    s_ids = [o["id"] for o in single.snapshot["options"]]
    o_ids = [o["id"] for o in ordering.snapshot["options"]]
    m_prompt = matching.snapshot["options"][0]["id"]
    return [
        ("foreign choice", single, {"choice": foreign}, "not part of this question"),
        ("two choices on single", single, {"choice": s_ids[:2]}, "choose only one"),
        ("rank too high", ordering, {f"rank-{o_ids[0]}": "99"}, "Ranks are numbers from 1 to"),
        ("rank zero", ordering, {f"rank-{o_ids[0]}": "0"}, "Ranks are numbers from 1 to"),
        ("rank not a number", ordering, {f"rank-{o_ids[0]}": "first"}, "Ranks are numbers"),
        (
            "same rank twice",
            ordering,
            {f"rank-{o_ids[0]}": "1", f"rank-{o_ids[1]}": "1"},
            "Each rank can be used once",
        ),
        ("foreign rank field", ordering, {"rank-deadbeef": "1"}, "not part of this question"),
        ("foreign match", matching, {f"match-{m_prompt}": foreign}, "not part of this question"),
        ("missing sequence", single, {"seq": "", "choice": s_ids[0]}, "reload it"),
        ("garbage sequence", single, {"seq": "x'; drop", "choice": s_ids[0]}, "reload it"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_a7_malformed_answers_get_400_with_a_message_and_store_nothing(learner_client, full, case):
    name, item, data, message = bad_payloads(full)[case]
    payload = {"seq": "0", **data}
    response = learner_client.post(answer_url(full, item.position), payload, headers=HTMX)
    assert response.status_code == 400, name
    assert message in response.content.decode(), name
    item.refresh_from_db()
    assert (item.response, item.seq) == (None, 0), name

    plain = learner_client.post(answer_url(full, item.position), payload)
    assert plain.status_code == 400 and message in plain.content.decode()


def test_a7_an_unknown_position_is_404(learner_client, full):
    assert learner_client.post(answer_url(full, 999), {"seq": "0"}).status_code == 404


# --- CSRF -----------------------------------------------------------------


def test_every_exam_post_requires_the_csrf_token(learner, full):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    item = full.items.get(position=1)
    data = {"seq": "0", **right_answer(item.snapshot)}
    posts = [url for method, url in attempt_urls(full) if method == "post"]
    posts.append(reverse("exams:exam_start", args=[full.exam.slug]))
    for url in posts:
        assert client.post(url, data, headers=HTMX).status_code == 403, url
        assert client.post(url, data).status_code == 403, url

    page = client.get(reverse("exams:attempt_take", args=[full.pk]))
    token = page.content.decode().split('"x-csrftoken": "')[1].split('"')[0]
    ok = client.post(answer_url(full, 1), data, headers={**HTMX, "X-CSRFToken": token})
    assert ok.status_code == 200


# --- sessions and odd input -------------------------------------------------


def test_an_autosave_after_the_session_ended_is_sent_to_log_in_not_swallowed(client, learner, full):
    item = full.items.get(position=1)
    take = f"http://testserver{reverse('exams:attempt_take', args=[full.pk])}?q=1"
    response = client.post(
        answer_url(full, 1),
        {"seq": "0", **right_answer(item.snapshot)},
        headers={**HTMX, "HX-Current-URL": take},
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == (f"/accounts/login/?next=%2Fattempts%2F{full.pk}%2F%3Fq%3D1")
    assert AttemptItem.objects.get(pk=item.pk).response is None


def test_a_save_with_a_stale_csrf_token_says_so_and_hands_the_page_the_current_token(learner, full):
    """Signing in again in another tab rotates the token: the exam tab is told
    that its answer was not saved and gets the token to send it again with."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    client.get(reverse("exams:attempt_take", args=[full.pk]))  # sets the CSRF cookie
    item = full.items.get(position=1)
    data = {"seq": "0", **right_answer(item.snapshot)}
    stale = client.post(answer_url(full, 1), data, headers={**HTMX, "X-CSRFToken": "stale" * 8})
    assert stale.status_code == 403 and "Not saved" in stale.content.decode()
    assert "HX-Refresh" not in stale.headers
    item.refresh_from_db()
    assert item.seq == 0 and item.response is None
    again = client.post(
        answer_url(full, 1), data, headers={**HTMX, "X-CSRFToken": stale["X-CSRF-Token"]}
    )
    assert again.status_code == 200 and "Saved" in again.content.decode()
    item.refresh_from_db()
    assert item.seq == 1


@pytest.mark.parametrize("attempt_id", ["9223372036854775808", "99999999999999999999", "0"])
def test_absurd_ids_are_404_not_500(learner_client, full, attempt_id):
    for url in (
        f"/attempts/{attempt_id}/items/1/",
        f"/attempts/{attempt_id}/items/1/flag/",
        f"/attempts/{attempt_id}/",
    ):
        response = (
            learner_client.post(url, {"seq": "0"}) if "items" in url else learner_client.get(url)
        )
        assert response.status_code == 404, url


def test_picking_more_choices_than_asked_is_refused(learner_client, full):
    item = item_of_kind(full, "multiple")
    ids = [o["id"] for o in item.snapshot["options"]]
    response = learner_client.post(
        answer_url(full, item.position), {"seq": "0", "choice": ids}, headers=HTMX
    )
    assert response.status_code == 400
    assert f"This question asks for {item.snapshot['select']} answers" in response.content.decode()
    item.refresh_from_db()
    assert item.response is None
