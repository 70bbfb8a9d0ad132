"""The learner's exam day in Chromium: the exam layout (top bar, bottom bar and
drawer on phones, no site menu), navigator states that are not colour alone,
the result page that teaches, and a first visit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.attempts import set_flag, submit_attempt
from exams.bank.loader import load_bank_files
from exams.models import Attempt, PracticeSession
from tests.conftest import SHIPPED_BANK, make_exam, right_answer, save, start, wrong_answer
from tests.e2e.conftest import VIEWPORTS, choose, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OBJECTIVE_CODE = re.compile(r"\b\d+\.\d+\.\d+\.\d+\b")

CELL_LOOK = """el => {
  const s = getComputedStyle(el), flag = getComputedStyle(el, "::after");
  return {border: s.borderTopStyle, background: s.backgroundColor, shadow: s.boxShadow,
          flag: flag.content};
}"""


def test_the_exam_has_its_own_layout_with_a_top_bar_and_no_site_menu(
    page, live_server, learner, csp_violations
):
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=20, minutes=30, title="Layout mock"))
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q=2")

    # No site menu and no log-out while the attempt runs; one quiet way out.
    expect(page.locator(".site-nav")).to_have_count(0)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    leave = page.get_by_role("link", name="Leave exam")
    expect(leave).to_have_count(1)
    expect(page.locator("#leave-note")).to_contain_text("keeps running")
    assert leave.get_attribute("aria-describedby") == "leave-note"

    # The top bar: title, where, countdown, Flag, and it stays on screen.
    bar = page.locator(".exam-top")
    expect(bar).to_contain_text("Layout mock")
    expect(bar).to_contain_text("Question 2 of 20")
    expect(bar.get_by_role("timer")).to_be_visible()
    expect(bar.get_by_role("button", name="Flag for review")).to_be_visible()
    for size in VIEWPORTS.values():
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        if size == VIEWPORTS["phone"]:
            assert page.evaluate("window.scrollY") > 0  # the question is taller than a phone
        assert bar.bounding_box()["y"] == 0
        page.evaluate("window.scrollTo(0, 0)")

    # On a laptop the navigator is beside the question and there is no drawer.
    page.set_viewport_size(VIEWPORTS["laptop"])
    expect(page.locator("#navigator")).to_be_visible()
    expect(page.get_by_role("button", name="Questions", exact=True)).to_be_hidden()

    # On a phone: Previous / Questions / Next in a bar fixed to the bottom, the
    # navigator in a drawer.
    page.set_viewport_size(VIEWPORTS["phone"])
    actions = page.locator("#exam-actions")
    box = actions.bounding_box()
    assert abs(box["y"] + box["height"] - VIEWPORTS["phone"]["height"]) <= 1
    for name in ("← Previous", "Questions", "Next →"):
        expect(actions.get_by_role("button", name=name)).to_be_visible()
    expect(page.locator("#navigator")).to_be_hidden()
    toggle = page.get_by_role("button", name="Questions", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(page.locator("#navigator")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#navigator")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#navigator")).to_be_hidden()
    expect(toggle).to_be_focused()
    toggle.click()
    page.get_by_role("button", name="Question 7, not answered").click()
    expect(page.locator(".exam-top")).to_contain_text("Question 7 of 20")
    expect(page.locator("#question-heading")).to_be_focused()
    # The drawer also leads to the review.
    toggle.click()
    page.locator("#navigator").get_by_role("button", name="Review and submit").click()
    expect(page.get_by_role("heading", name="Review before you submit")).to_be_visible()
    expect(page.locator(".site-nav")).to_have_count(0)
    assert csp_violations == []


def test_navigator_states_differ_in_shape_not_only_in_colour(page, live_server, learner):
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=10, minutes=30))
    now = timezone.now()
    first, second = attempt.items.get(position=1), attempt.items.get(position=2)
    save(attempt, 1, right_answer(first.snapshot), now=now)
    save(attempt, 2, right_answer(second.snapshot), now=now)
    set_flag(user=learner, attempt_id=attempt.pk, position=2, flagged=True, now=now)
    set_flag(user=learner, attempt_id=attempt.pk, position=3, flagged=True, now=now)
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q=4")

    look = {n: page.locator(f"#nav-cell-{n}").evaluate(CELL_LOOK) for n in (1, 2, 3, 4, 5)}
    answered, answered_flagged, flagged, current, plain = (look[n] for n in (1, 2, 3, 4, 5))
    assert answered["border"] == "solid" and plain["border"] == "dashed"
    assert answered["background"] != plain["background"]
    assert "⚑" in flagged["flag"] and "⚑" in answered_flagged["flag"]
    assert plain["flag"] in ("none", "normal", "")
    assert current["shadow"] != "none" and plain["shadow"] == "none"
    expect(page.locator("#nav-cell-2")).to_have_attribute(
        "aria-label", "Question 2, answered, flagged"
    )
    expect(page.locator("#nav-cell-4")).to_have_attribute("aria-current", "step")
    expect(page.locator(".legend")).to_contain_text("Not answered")

    # The review filters the same states.
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/review/")
    cells = page.locator(".review-cells a")
    expect(cells).to_have_count(10)
    page.get_by_role("link", name=re.compile("^Unanswered")).click()
    expect(cells).to_have_count(8)
    expect(page.get_by_role("link", name=re.compile("^Unanswered"))).to_have_attribute(
        "aria-current", "true"
    )
    page.get_by_role("link", name=re.compile("^Flagged")).click()
    expect(cells).to_have_count(2)
    expect(cells.first).to_have_attribute("aria-label", "Question 2, answered, flagged")


def matching_position(attempt) -> int:
    return next(
        i.position for i in attempt.items.order_by("position") if i.snapshot["kind"] == "matching"
    )


def test_the_result_page_teaches(page, live_server, learner, csp_violations):
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=40, minutes=60, title="Teaching mock"))
    now = timezone.now()
    items = list(attempt.items.order_by("position"))
    match = matching_position(attempt)
    single = next(i.position for i in items if i.snapshot["kind"] == "single")
    wrong = {match, single, *[i.position for i in items[:14]]}
    for item in items:
        data = (wrong_answer if item.position in wrong else right_answer)(item.snapshot)
        save(attempt, item.position, data, now=now)
    last = items[-1].position
    set_flag(user=learner, attempt_id=attempt.pk, position=last, flagged=True, now=now)
    attempt = submit_attempt(attempt=attempt, now=now)
    assert not attempt.passed
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/result/")

    band = page.locator(".score-band")
    expect(band).to_contain_text(str(attempt.scaled_score))
    expect(band).to_contain_text(f"Pass mark {attempt.pass_mark}")
    expect(band).to_contain_text(re.compile(r"\d+ more correct answers? would have passed"))
    expect(page.locator(".objective-table tbody tr")).to_have_count(
        attempt.objective_results.count()
    )
    assert not OBJECTIVE_CODE.search(page.locator("main").inner_text())

    # Filters: incorrect, flagged, all.
    reviews = page.locator(".review-item")
    expect(reviews).to_have_count(40)
    page.get_by_role("link", name=re.compile("^Incorrect")).click()
    expect(reviews).to_have_count(len(wrong))
    page.get_by_role("link", name=re.compile("^Flagged")).click()
    expect(reviews).to_have_count(1)
    page.get_by_role("link", name=re.compile(r"^All \d")).click()
    expect(reviews).to_have_count(40)

    # Each item is collapsed until opened; then the key is green, the wrong
    # choice red, with per-choice feedback and the explanation.
    item = page.locator(f"#item-{single}")
    expect(item.locator(".explanation")).to_be_hidden()
    item.locator("summary").click()
    expect(item.locator(".explanation")).to_be_visible()
    expect(item.locator(".feedback").first).to_be_visible()
    key_color = item.locator(".mark-key").evaluate("e => getComputedStyle(e).color")
    wrong_color = item.locator(".mark-wrong").evaluate("e => getComputedStyle(e).color")
    assert key_color == "rgb(29, 122, 70)" and wrong_color == "rgb(180, 35, 24)"
    expect(item.locator(".mark-wrong")).to_contain_text("✗ Your answer")

    # A matching item answered wrongly: the correct match is never red.
    item = page.locator(f"#item-{match}")
    item.locator("summary").click()
    for expected in item.locator(".expected").all():
        color = expected.evaluate("e => getComputedStyle(e).color")
        assert color != "rgb(180, 35, 24)"
    expect(item.locator(".given-wrong").first).to_contain_text("✗ Your match")

    # Study these objectives next: straight into practice on one of them.
    study = page.locator(".study-next")
    first = study.locator("li").first
    title = first.locator("span").first.inner_text()
    first.get_by_role("button", name=re.compile("^Practise")).click()
    expect(page.get_by_role("button", name="Check answer")).to_be_visible()
    session = PracticeSession.objects.get(user=learner, ended_at__isnull=True)
    assert session.label == title
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert csp_violations == []


def test_a_first_visit_is_welcomed_with_one_call_to_action(
    page, live_server, other_learner, csp_violations
):
    load_bank_files([SHIPPED_BANK])
    make_exam(questions=5, minutes=30, title="First mock")
    log_in(page, live_server.url, other_learner.username)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"Welcome, {other_learner.username}")
    expect(page.get_by_role("button", name="Take your first mock exam")).to_have_count(1)
    for empty in ("Bank coverage", "Mastery by objective", "Recent attempts", "Readiness"):
        expect(page.get_by_text(empty)).to_have_count(0)
    page.get_by_role("button", name="Take your first mock exam").click()
    expect(page.get_by_role("timer")).to_be_visible()
    assert Attempt.objects.filter(user=other_learner).count() == 1

    # Back home with an attempt under way: no longer a first visit.
    page.get_by_role("link", name="Leave exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Welcome back, {other_learner.username}"
    )
    expect(page.get_by_role("link", name="Resume")).to_be_visible()
    assert csp_violations == []


def test_a_learner_adds_then_changes_their_email(page, live_server, learner):
    learner.email = ""
    learner.save(update_fields=["email"])
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_text("a forgotten password cannot be reset")).to_be_visible()
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Add email").click()
    expect(page.locator(".errorlist")).to_contain_text("valid email")
    page.get_by_label("Email address").fill("lena@example.org")
    page.get_by_role("button", name="Add email").click()
    expect(page.locator(".messages")).to_contain_text("lena@example.org")
    page.get_by_label("Email address").fill("lena@example.com")
    page.get_by_role("button", name="Change email").click()
    expect(page.locator(".messages")).to_contain_text("lena@example.com")
    learner.refresh_from_db()
    assert learner.email == "lena@example.com"


def test_practice_with_no_correct_answer_claims_no_improvement(page, live_server, learner):
    load_bank_files([SHIPPED_BANK])
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/practice/")
    page.get_by_role("button", name="Practise everything").click()
    session = PracticeSession.objects.get(user=learner, ended_at__isnull=True)
    choose(page, wrong_answer(session.current_snapshot))
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator(".result-banner")).to_contain_text("Not quite")
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", name="How your mastery moved")).to_be_visible()
    expect(page.get_by_text("Improved")).to_have_count(0)
    assert not OBJECTIVE_CODE.search(page.locator("main").inner_text())


def test_the_score_trend_has_labelled_axes(page, live_server, learner):
    load_bank_files([SHIPPED_BANK])
    exam = make_exam(questions=5, minutes=30)
    for seed in (1, 2):
        submit_attempt(attempt=start(learner, exam, seed=seed), now=timezone.now())
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/")
    chart = page.locator("svg.trend")
    expect(chart.locator(".axis-title")).to_have_text("Approximate scaled score")
    expect(chart.locator("text.axis", has_text="1000")).to_have_count(1)
    expect(page.get_by_text("Across: your finished attempts")).to_be_visible()


def test_the_time_up_page_turns_into_the_result_by_itself(page, live_server, learner, settings):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 2
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=5, minutes=30, title="Late mock"))
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    expect(page.get_by_role("heading", name="Time is up")).to_be_visible()
    expect(page.get_by_text("Approximate scaled score")).to_be_visible(timeout=10_000)
    assert page.url.endswith(f"/attempts/{attempt.pk}/result/")


CELL_IN_NAVIGATOR = """n => {
  const nav = document.getElementById("navigator").getBoundingClientRect();
  const cell = document.getElementById("nav-cell-" + n).getBoundingClientRect();
  return {inside: cell.top >= nav.top && cell.bottom <= nav.bottom && cell.height > 0,
          cell: [Math.round(cell.top), Math.round(cell.bottom)],
          nav: [Math.round(nav.top), Math.round(nav.bottom)], pageY: window.scrollY};
}"""


def test_the_navigator_keeps_the_current_question_in_view(page, live_server, learner):
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=98, minutes=90))
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q=90")
    box = page.evaluate(CELL_IN_NAVIGATOR, 90)
    assert box["inside"], box
    assert box["pageY"] == 0, box  # the navigator's box scrolled, not the page
    moves = ((page.get_by_role("button", name="Next →"), 91), (page.locator("#nav-cell-53"), 53))
    for move, number in moves:
        move.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Question {number} of 98")
        page.wait_for_load_state("load")
        box = page.evaluate(CELL_IN_NAVIGATOR, number)
        assert box["inside"], box

    # On a phone the navigator is a drawer: opening it shows the current question.
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q=98")
    page.set_viewport_size(VIEWPORTS["phone"])
    page.get_by_role("button", name="Questions", exact=True).click()
    expect(page.locator("#navigator")).to_be_visible()
    box = page.evaluate(CELL_IN_NAVIGATOR, 98)
    assert box["inside"], box
