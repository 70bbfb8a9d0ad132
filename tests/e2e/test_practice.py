"""A learner practises their weakest objectives in Chromium, without page reloads."""

import re

import pytest
from playwright.sync_api import expect

from exams.bank.loader import load_bank_files
from exams.models import PracticeAnswer, PracticeSession
from tests.conftest import SHIPPED_BANK, right_answer
from tests.e2e.conftest import choose, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def answer(page, snapshot):
    choose(page, right_answer(snapshot))


def test_practice_gives_feedback_without_a_reload_and_moves_the_dashboard(
    page, live_server, learner, csp_violations, screenshot
):
    load_bank_files([SHIPPED_BANK])
    log_in(page, live_server.url, learner.username)
    # A first visit shows no empty dashboard; practice lists the weakest objectives.
    expect(page.get_by_role("heading", name="Study next")).to_have_count(0)
    page.get_by_role("link", name="Practice").click()
    before = page.locator("#weakest-heading + ul").inner_text()
    screenshot("practice-home-before")

    page.get_by_role("button", name="Practise my weakest").click()
    expect(page.get_by_role("button", name="Check answer")).to_be_visible()
    page.evaluate("window.__noReload = 'still here'")
    documents = []
    page.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)
    session = PracticeSession.objects.get(user=learner)
    screenshot("practice-question")

    for round_ in range(3):
        session.refresh_from_db()
        answer(page, session.current_snapshot)
        if round_ == 0:
            page.get_by_role("button", name="Check answer").click()
        else:
            # Enter in the answer's fields checks (a keyboard user is in them; a
            # select answered by the mouse helper does not take the focus itself).
            page.locator("#check-form").locator("input:not([type=hidden]), select").first.press(
                "Enter"
            )
        expect(page.locator(".result-banner")).to_contain_text("✓ Correct")
        expect(page.locator("#practice-announcer")).to_have_text(re.compile("^Correct"))
        if round_ == 0:
            screenshot("practice-feedback")
        page.keyboard.press("n")  # the visible shortcut moves on
        expect(page.get_by_role("button", name="Check answer")).to_be_visible()

    assert page.evaluate("window.__noReload") == "still here"
    assert documents == []  # Check and Next never loaded a page
    assert PracticeAnswer.objects.filter(user=learner, is_correct=True).count() == 3

    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", name="How your mastery moved")).to_be_visible()
    screenshot("practice-summary")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("1 day")).to_be_visible()  # the streak started
    expect(page.locator(".stat").nth(1)).to_contain_text("3")  # bank coverage
    assert page.locator("#study-next + ol").inner_text() != before
    assert csp_violations == []
