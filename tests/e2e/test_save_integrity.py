"""What the learner sees when a save goes wrong, in Chromium: refused answers
render in place in development mode too, a stale CSRF token after signing in
again in another tab is replaced and the answer saved, and a replayed older
save never overwrites a newer answer."""

import pytest
from playwright.sync_api import expect

from exams.bank.loader import load_bank_files
from exams.models import AttemptItem
from tests.conftest import SHIPPED_BANK, make_exam, right_answer, start, wrong_answer
from tests.e2e.conftest import choose, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def first_of_kind(attempt, kind: str) -> AttemptItem:
    return next(i for i in attempt.items.order_by("position") if i.snapshot["kind"] == kind)


@pytest.fixture
def attempt(learner):
    load_bank_files([SHIPPED_BANK])
    return start(learner, make_exam(questions=30, minutes=60))


def test_in_development_a_refused_answer_is_shown_in_place_not_as_a_bare_page(
    page, live_server, learner, attempt, settings
):
    settings.DEBUG = True  # django-htmx's debug error handler is on the page
    item = first_of_kind(attempt, "multiple")
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q={item.position}")
    select = item.snapshot["select"]
    options = [f"input[value='{o['id']}']" for o in item.snapshot["options"]]
    for option in options[:select]:
        page.check(option)
    # The page takes no more ticks than asked for: the rest are disabled, with a note.
    for option in options[select:]:
        expect(page.locator(option)).to_be_disabled()
    expect(page.locator("#select-note")).to_contain_text(f"You have chosen {select}")
    expect(page.locator("#item-status")).to_contain_text("Saved")
    # A page that sends one more anyway (an old copy, a crafted request) is refused.
    page.eval_on_selector(options[select], "box => { box.disabled = false; }")
    page.check(options[select])
    expect(page.locator("#item-status")).to_contain_text("untick one first")
    item.refresh_from_db()
    assert len(item.response["choices"]) == select
    expect(page.get_by_role("heading", name=f"Question {item.position}")).to_be_visible()
    expect(page.locator("#answer-form")).to_be_visible()


def test_in_development_checking_nothing_in_practice_says_so_in_place(
    page, live_server, learner, attempt, settings
):
    settings.DEBUG = True
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/practice/")
    page.get_by_role("button", name="Practise my weakest").click()
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator("#practice-alert")).to_contain_text("Choose an answer")
    expect(page.get_by_role("button", name="Check answer")).to_be_visible()


def test_signing_in_again_in_another_tab_does_not_lose_the_next_answer(
    page, context, live_server, learner, attempt
):
    item = first_of_kind(attempt, "single")
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q={item.position}")
    other = context.new_page()  # same browser: signing in again there rotates the CSRF token
    other.goto(live_server.url)
    other.get_by_role("button", name="Log out").click()
    log_in(other, live_server.url, learner.username)
    other.close()
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if "/items/" in r.url else None)
    data = right_answer(item.snapshot)
    choose(page, data)
    expect(page.locator("#item-status")).to_contain_text("Saved")
    assert statuses == [403, 200]  # refused with the old token, then sent again
    item.refresh_from_db()
    assert item.response == {"choice": data["choice"]} and item.seq == 1
    expect(page.locator(f"input[value='{data['choice']}']")).to_be_checked()


def test_a_replayed_older_save_leaves_the_newer_answer(page, live_server, learner, attempt):
    item = first_of_kind(attempt, "single")
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q={item.position}")
    sent = []
    page.on(
        "request",
        lambda r: sent.append(r.post_data) if r.method == "POST" and "/items/" in r.url else None,
    )
    older, newer = wrong_answer(item.snapshot), right_answer(item.snapshot)
    choose(page, older)
    expect(page.locator("#item-status")).to_contain_text("Saved")
    choose(page, newer)
    expect(page.locator("#item-status")).to_contain_text("Saved")
    # Send the first save again, byte for byte, from the same page.
    status = page.evaluate(
        """async ([url, body]) => {
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
            const reply = await fetch(url, {method: "POST", body, headers: {
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true", "X-CSRFToken": token}});
            return reply.status;
        }""",
        [f"{live_server.url}/attempts/{attempt.pk}/items/{item.position}/", sent[0]],
    )
    item.refresh_from_db()
    assert status == 409
    assert item.response == {"choice": newer["choice"]} and item.seq == 2
