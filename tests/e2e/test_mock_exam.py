"""A learner takes mock exams in Chromium: every kind, reload, expiry, retry."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.bank.loader import load_bank_files
from exams.models import Attempt, AttemptItem
from tests.conftest import SHIPPED_BANK, make_exam, start
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def answer_in_page(page, snapshot: dict, right: bool) -> None:
    kind, key = snapshot["kind"], snapshot["key"]
    ids = [o["id"] for o in snapshot["options"]]
    if kind == "single":
        page.check(f"input[value='{key if right else next(i for i in ids if i != key)}']")
    elif kind == "multiple":
        wrong = [i for i in ids if i not in key][:1] + list(key)[: len(key) - 1]
        chosen = list(key) if right else wrong
        for oid in chosen:
            page.check(f"input[value='{oid}']")
    elif kind == "ordering":
        order = key if right else list(reversed(key))
        for place, oid in enumerate(order, 1):
            page.select_option(f"#rank-{oid}", str(place))
    else:
        prompts = list(key)
        for i, pid in enumerate(prompts):
            target = key[pid] if right else key[prompts[(i + 1) % len(prompts)]]
            page.select_option(f"#match-{pid}", target)
    expect(page.locator("#item-status")).to_contain_text("Saved")


def test_a_learner_takes_the_mock_to_the_end_and_sees_per_objective_results(
    page, live_server, learner, csp_violations, screenshot
):
    load_bank_files([SHIPPED_BANK])
    exam = make_exam(questions=20, minutes=30, title="Task 3.3 mock exam", slug="task-3-3-mock")
    # A seed whose draw has single and multiple items (a random draw of 20
    # misses every multiple-response item now and then); the learner resumes it.
    for seed in range(100):
        drawn = start(learner, exam, seed=seed)
        if {"single", "multiple"} <= {i.snapshot["kind"] for i in drawn.items.all()}:
            break
        drawn.delete()
    log_in(page, live_server.url, learner.username)
    screenshot("home-learner")
    page.get_by_role("button", name="Resume Task 3.3 mock exam").click()
    expect(page.get_by_role("timer")).to_be_visible()
    attempt = Attempt.objects.get(user=learner, exam=exam)
    items = list(attempt.items.order_by("position"))
    wrong_positions = {2, 5, 9, 14, 18}
    seen_kinds = set()

    for item in items:
        expect(page.locator("#question-heading")).to_contain_text(f"Question {item.position}")
        if item.snapshot["kind"] not in seen_kinds:
            seen_kinds.add(item.snapshot["kind"])
            screenshot(f"take-{item.snapshot['kind']}")
        answer_in_page(page, item.snapshot, right=item.position not in wrong_positions)
        expect(page.locator("#progress")).to_contain_text(f"Answered {item.position} of 20")
        if item.position == 3:
            page.get_by_role("button", name="Flag for review").click()
            expect(page.get_by_role("button", name="Flagged for review")).to_have_attribute(
                "aria-pressed", "true"
            )
            expect(page.locator("#nav-cell-3")).to_have_class(re.compile("is-flagged"))
        if item.position < 20:
            page.get_by_role("button", name="Next →").click()

    page.get_by_role("button", name="Review and submit").click()
    expect(page.locator(".review-counts")).to_contain_text("Unanswered0")
    expect(page.get_by_role("link", name="Question 3, answered, flagged")).to_have_class(
        re.compile("is-flagged")
    )
    screenshot("review")
    page.get_by_role("button", name="Submit exam").click()
    dialog = page.get_by_role("dialog", name="Submit the exam now?")
    expect(dialog).to_contain_text("20 answered")
    expect(dialog).to_contain_text("0 unanswered")
    expect(dialog).to_contain_text("1 flagged for review")
    screenshot("review-dialog")
    dialog.get_by_role("button", name="Submit now").click()

    expect(page.get_by_text("Approximate scaled score")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.raw_score == 15
    assert attempt.scaled_score == 775
    expect(page.locator(".score-value").first).to_contain_text("775")
    rows = page.locator(".objective-table tbody tr")
    expect(rows).to_have_count(attempt.objective_results.count())
    for result in attempt.objective_results.select_related("objective"):
        header = page.get_by_role("rowheader", name=result.objective.title, exact=True)
        row = page.locator(".objective-table tbody tr", has=header)
        expect(row).to_contain_text(f"{result.correct}/{result.total}")
    expect(page.locator(".review-item")).to_have_count(20)
    expect(page.locator(".review-item.is-wrong")).to_have_count(5)
    assert seen_kinds >= {"single", "multiple"}
    screenshot("result")
    assert csp_violations == []


def test_a_reload_mid_exam_keeps_every_answer_and_flag(page, live_server, learner):
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=98, minutes=60))
    log_in(page, live_server.url, learner.username)
    by_kind = {}
    for item in attempt.items.order_by("position"):
        by_kind.setdefault(item.snapshot["kind"], item)
    for item in by_kind.values():
        page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q={item.position}")
        answer_in_page(page, item.snapshot, right=True)
        page.get_by_role("button", name="Flag for review").click()
        expect(page.get_by_role("button", name="Flagged for review")).to_be_visible()

    for item in by_kind.values():
        page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q={item.position}")
        page.reload()
        expect(page.get_by_role("button", name="Flagged for review")).to_be_visible()
        snap = item.snapshot
        if snap["kind"] == "single":
            expect(page.locator(f"input[value='{snap['key']}']")).to_be_checked()
        elif snap["kind"] == "multiple":
            for oid in snap["key"]:
                expect(page.locator(f"input[value='{oid}']")).to_be_checked()
        elif snap["kind"] == "ordering":
            for place, oid in enumerate(snap["key"], 1):
                expect(page.locator(f"#rank-{oid}")).to_have_value(str(place))
        else:
            for pid, mid in snap["key"].items():
                expect(page.locator(f"#match-{pid}")).to_have_value(mid)
    expect(page.locator("#progress")).to_contain_text(f"Answered {len(by_kind)} of 98")


def test_an_attempt_runs_out_of_time_and_is_finalized(page, live_server, learner, settings):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 3
    load_bank_files([SHIPPED_BANK])
    attempt = start(
        learner, make_exam(questions=5, minutes=1), timezone.now() - timedelta(seconds=53)
    )
    first = attempt.items.get(position=1)
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q=1")
    answer_in_page(page, first.snapshot, right=True)
    # The countdown reaches zero in a few seconds and the page hands over to the
    # server, which collects late answers for the grace period, then scores.
    expect(page.get_by_role("heading", name="Time is up")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Approximate scaled score")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("time ran out")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.status == "expired" and attempt.raw_score == 1


def test_a_failed_save_says_so_and_retries_until_it_is_stored(page, live_server, learner):
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=5, minutes=30))
    item = attempt.items.get(position=1)
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q=1")
    failures = {"left": 2}

    def flaky(route):
        if failures["left"] > 0:
            failures["left"] -= 1
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r".*/items/1/$"), flaky)
    ids = [o["id"] for o in item.snapshot["options"]]
    kind = item.snapshot["kind"]
    if kind in ("single", "multiple"):
        page.check(f"input[value='{ids[0]}']")
    elif kind == "ordering":
        page.select_option(f"#rank-{ids[0]}", "1")
    else:
        page.select_option(f"#match-{ids[0]}", item.snapshot["matches"][0]["id"])
    expect(page.locator("#item-status")).to_contain_text("Not saved — retrying")
    expect(page.locator("#item-status")).to_contain_text("Saved", timeout=15_000)
    assert AttemptItem.objects.get(pk=item.pk).response is not None


def test_the_five_minute_warning_is_announced(page, live_server, learner):
    load_bank_files([SHIPPED_BANK])
    started = timezone.now() - timedelta(minutes=4, seconds=57)
    attempt = start(learner, make_exam(questions=5, minutes=10), started)
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    expect(page.locator("#clock-announcer")).to_have_text("5 minutes left.", timeout=10_000)
    expect(page.locator("#clock")).to_have_class(re.compile("clock-warn"))
    assert page.locator("#clock-announcer").get_attribute("aria-live") == "assertive"
