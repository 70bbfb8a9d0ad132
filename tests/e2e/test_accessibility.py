"""Accessibility in Chromium: axe-core on every main page, and an exam taken by keyboard only.

axe-core's "serious" and "critical" findings fail the tests; each page must also
load without a Content-Security-Policy violation.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from exams.attempts import submit_attempt
from exams.bank.loader import load_bank_files
from exams.models import Attempt, PracticeSession, Question
from tests.conftest import SHIPPED_BANK, make_exam, right_answer, save, start, wrong_answer
from tests.e2e.conftest import VIEWPORTS, admin_log_in, choose, log_in, outside_pages

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AXE = Axe()
FAILING_IMPACTS = {"serious", "critical"}
KINDS = ("single", "multiple", "ordering", "matching")
DUPLICATE_IDS = """() => {
  const seen = new Set(), repeated = new Set();
  for (const el of document.querySelectorAll("[id]")) {
    (seen.has(el.id) ? repeated : seen).add(el.id);
  }
  return [...repeated];
}"""


# --- helpers ----------------------------------------------------------------


class Audit:
    """Runs axe on pages and remembers every serious or critical finding."""

    def __init__(self, page, csp_violations: list[str]):
        self.page = page
        self.csp = csp_violations
        self.problems: list[str] = []
        self.pages: list[str] = []

    def check(self, name: str) -> None:
        """Audit the page as it is now, at laptop and at phone width."""
        self.page.wait_for_load_state("load")
        for label, size in VIEWPORTS.items():
            self.page.set_viewport_size(size)
            self._audit(f"{name}, {label}")
        self.page.set_viewport_size(VIEWPORTS["laptop"])
        self.pages.append(name)
        self.problems.extend(f"[{name}] CSP: {message}" for message in self.csp)
        del self.csp[:]

    def check_at_this_width(self, name: str) -> None:
        """Audit the page as it is now at the current width only (a state that
        exists at one width, such as the phone's navigator drawer)."""
        self._audit(name)
        self.pages.append(name)

    def _audit(self, name: str) -> None:
        results = AXE.run(self.page)
        for violation in results.response["violations"]:
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            targets = "; ".join(
                " ".join(str(t) for t in node["target"]) for node in violation["nodes"]
            )
            self.problems.append(
                f"[{name}] {violation['id']} ({violation['impact']}): {targets}\n"
                f"    {violation['help']} ({violation['helpUrl']})"
            )
        # axe 4.7 retired its duplicate-id rules; a repeated id still breaks
        # label[for], aria-* references and in-page links.
        for duplicate in self.page.evaluate(DUPLICATE_IDS):
            self.problems.append(f"[{name}] duplicate id: #{duplicate}")

    def assert_clean(self) -> None:
        assert self.pages, "no page was audited"
        assert not self.problems, (
            f"{len(self.problems)} accessibility or CSP problem(s) on "
            f"{len(self.pages)} pages:\n" + "\n".join(self.problems)
        )


@pytest.fixture
def audit(page, csp_violations) -> Audit:
    return Audit(page, csp_violations)


def finished_attempt(user, questions: int = 10, wrong: frozenset = frozenset({2, 5})) -> Attempt:
    """A submitted attempt with some right and some wrong answers, built in the database."""
    attempt = start(user, make_exam(questions=questions, minutes=30, title="Finished mock"))
    now = timezone.now()
    for item in attempt.items.order_by("position"):
        data = (wrong_answer if item.position in wrong else right_answer)(item.snapshot)
        save(attempt, item.position, data, now=now)
    return submit_attempt(attempt=attempt, now=timezone.now())


# --- axe on every main page --------------------------------------------------


def test_public_pages_have_no_serious_accessibility_violations(page, live_server, audit):
    load_bank_files([SHIPPED_BANK])
    make_exam(questions=20, title="Task 3.3 mock exam")
    page.goto(live_server.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("AWS Certified AI Practitioner")
    audit.check("home (anonymous)")

    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    audit.check("sign up")
    page.click("button[type=submit]")  # an empty form: the page with its errors
    expect(page.locator(".errorlist").first).to_be_visible()
    audit.check("sign up with errors")

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    audit.check("log in")
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".form-errors")).to_be_visible()
    audit.check("log in with an error")
    for name, path in outside_pages():
        page.goto(live_server.url + path)
        audit.check(name)
    audit.assert_clean()


def test_learner_pages_have_no_serious_accessibility_violations(
    page, live_server, learner, other_learner, team_lead, audit
):
    load_bank_files([SHIPPED_BANK])
    # A new learner first: the empty states.
    log_in(page, live_server.url, other_learner.username)
    audit.check("home (new learner)")
    page.goto(f"{live_server.url}/attempts/")
    expect(page.get_by_text("No finished attempts yet.")).to_be_visible()
    audit.check("history (empty)")
    page.get_by_role("button", name="Log out").click()

    finished_attempt(learner)
    start(learner, make_exam(questions=5, minutes=30, title="Half-done mock"))
    log_in(page, live_server.url, learner.username)
    expect(page.get_by_role("heading", name="Study next")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("In progress"))).to_be_visible()
    audit.check("home (learner dashboard)")

    page.goto(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_role("heading", name="My cohorts")).to_be_visible()
    audit.check("account")
    page.get_by_role("button", name="Join cohort").click()  # no code: the field's error
    expect(page.locator(".errorlist")).to_be_visible()
    audit.check("account with an error")

    page.goto(f"{live_server.url}/accounts/password/")
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    audit.check("change password")

    page.goto(f"{live_server.url}/attempts/")
    expect(page.get_by_role("heading", name="My attempts")).to_be_visible()
    audit.check("history")

    page.goto(f"{live_server.url}/practice/")
    expect(page.get_by_role("heading", name="Practice", exact=True)).to_be_visible()
    audit.check("practice home")

    page.get_by_role("button", name="Practise everything").click()
    expect(page.get_by_role("button", name="Check answer")).to_be_visible()
    session = PracticeSession.objects.get(user=learner, ended_at__isnull=True)
    audit.check("practice question")

    # One wrong answer and one right one: both feedback banners.
    for answer, banner in ((wrong_answer, "✗ Not quite"), (right_answer, "✓ Correct")):
        session.refresh_from_db()
        choose(page, answer(session.current_snapshot))
        page.get_by_role("button", name="Check answer").click()
        expect(page.locator(".result-banner")).to_contain_text(banner)
        audit.check(f"practice feedback ({banner})")
        if answer is wrong_answer:
            page.reload()  # the same state, rendered as a whole page
            expect(page.locator(".result-banner")).to_contain_text(banner)
            audit.check("practice feedback (reloaded)")
        page.get_by_role("button", name="Next question").click()
        expect(page.get_by_role("button", name="Check answer")).to_be_visible()

    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", name="How your mastery moved")).to_be_visible()
    audit.check("practice summary")
    audit.assert_clean()


def test_exam_pages_have_no_serious_accessibility_violations(
    page, live_server, learner, audit, settings
):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 300  # the time-up page does not reload meanwhile
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=98, minutes=90, title="Whole bank"))
    first_of_kind = {}
    for item in attempt.items.order_by("position"):
        first_of_kind.setdefault(item.snapshot["kind"], item)
    assert set(first_of_kind) == set(KINDS)
    log_in(page, live_server.url, learner.username)

    for kind in KINDS:
        item = first_of_kind[kind]
        page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q={item.position}")
        expect(page.locator("#question-heading")).to_contain_text(f"Question {item.position}")
        audit.check(f"exam take ({kind})")
        choose(page, right_answer(item.snapshot))
        expect(page.locator("#item-status")).to_contain_text("Saved")
        page.get_by_role("button", name="Flag for review").click()
        expect(page.get_by_role("button", name="Flagged for review")).to_be_visible()
        audit.check(f"exam take ({kind}, answered and flagged)")

    # The navigator as a phone's drawer, open.
    page.set_viewport_size(VIEWPORTS["phone"])
    page.get_by_role("button", name="Questions", exact=True).click()
    expect(page.locator("#navigator")).to_be_visible()
    audit.check_at_this_width("exam navigator drawer, phone")
    page.keyboard.press("Escape")
    page.set_viewport_size(VIEWPORTS["laptop"])

    page.get_by_role("button", name="Review and submit").click()
    expect(page.get_by_role("heading", name="Review before you submit")).to_be_visible()
    audit.check("review")
    page.get_by_role("link", name=re.compile("^Flagged")).click()
    expect(page.locator(".review-cells a")).to_have_count(len(KINDS))
    audit.check("review, flagged only")

    page.get_by_role("button", name="Submit exam").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    audit.check("review, the submit dialog")
    page.get_by_role("dialog").get_by_role("button", name="Submit now").click()
    expect(page.get_by_text("Approximate scaled score")).to_be_visible()
    audit.check("result")
    page.get_by_role("link", name=re.compile("^Incorrect")).click()
    page.locator(".review-item summary").first.click()
    audit.check("result, incorrect items, one open")
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.raw_score == len(KINDS)

    page.goto(f"{live_server.url}/attempts/")
    expect(page.locator(".data-table tbody tr")).to_have_count(1)
    audit.check("history with an attempt")

    # Past the deadline, inside the grace: the page that waits for the result.
    late = start(learner, make_exam(questions=5, minutes=30, title="Late mock"))
    Attempt.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    page.goto(f"{live_server.url}/attempts/{late.pk}/")
    expect(page.get_by_role("heading", name="Time is up")).to_be_visible()
    audit.check("time is up")
    audit.assert_clean()


def test_team_lead_pages_have_no_serious_accessibility_violations(
    page, live_server, learner, team_lead, audit
):
    load_bank_files([SHIPPED_BANK])
    attempt = finished_attempt(learner)
    cohort = team_lead.memberships.get().cohort
    log_in(page, live_server.url, team_lead.username)

    page.goto(f"{live_server.url}/cohorts/")
    expect(page.get_by_role("heading", name="Cohorts I lead")).to_be_visible()
    audit.check("cohort list")

    page.get_by_role("link", name=cohort.name).click()
    expect(page.get_by_role("heading", name="Mastery by objective and member")).to_be_visible()
    audit.check("cohort detail")

    page.get_by_role("row", name=re.compile(learner.username)).first.get_by_role(
        "link", name=learner.username
    ).click()
    expect(page.get_by_role("heading", name="Mock exam attempts")).to_be_visible()
    audit.check("cohort member")

    page.get_by_role("link", name=re.compile("^Review")).first.click()
    expect(page.get_by_text("Read-only review")).to_be_visible()
    assert f"/attempts/{attempt.pk}/" in page.url
    audit.check("cohort member's attempt")

    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/")
    page.locator(".objective-averages a").first.click()
    expect(
        page.get_by_role("heading", name="The questions this cohort misses most")
    ).to_be_visible()
    audit.check("cohort objective")

    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/members/manage/")
    expect(page.get_by_role("heading", name="Manage members")).to_be_visible()
    audit.check("cohort members")
    page.get_by_label("Usernames or emails").fill(f"{learner.username}\nghost\nnew@corp.example")
    page.get_by_role("button", name="Check the list").click()
    expect(page.get_by_text("Cannot add this list as it is")).to_be_visible()
    audit.check("cohort members, a list checked")
    audit.assert_clean()


def test_admin_question_pages_have_no_serious_accessibility_violations(
    page, live_server, instructor, audit
):
    load_bank_files([SHIPPED_BANK])
    admin_log_in(page, live_server.url, instructor.username)
    expect(page.get_by_role("link", name="Questions")).to_be_visible()

    page.goto(f"{live_server.url}/admin/exams/question/")
    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    audit.check("admin question list")

    for kind in ("single", "matching"):
        question = Question.objects.filter(kind=kind).order_by("external_id").first()
        page.goto(f"{live_server.url}/admin/exams/question/{question.pk}/change/")
        expect(page.locator("#id_stem")).to_be_visible()
        audit.check(f"admin question change ({kind})")
        page.get_by_role("link", name="Preview as a learner sees it, with the key").click()
        expect(page.get_by_role("heading", name="Key and feedback")).to_be_visible()
        audit.check(f"admin question preview ({kind})")
    audit.assert_clean()


# --- keyboard only -------------------------------------------------------------

FOCUSED = r"""() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  return {
    tag: e.tagName, id: e.id || "", name: e.getAttribute("name") || "",
    type: e.getAttribute("type") || "", value: e.value === undefined ? "" : String(e.value),
    text: (e.innerText || "").trim(),
    // A transparent outline (kept for forced-colours mode) is not a visible one.
    outline: style.outlineStyle === "none" || style.outlineWidth === "0px"
      || /^(transparent|rgba\(.*, 0\))$/.test(style.outlineColor) ? "none" : style.outlineStyle,
    shadow: style.boxShadow,
  };
}"""


class Keyboard:
    """Moves focus with Tab and Shift+Tab and acts with keys only."""

    def __init__(self, page):
        self.page = page
        self.focus_checks = 0

    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUSED)

    def tab_to(self, matches, *, back: bool = False, limit: int = 250) -> dict:
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            info = self.focused()
            if info and matches(info):
                self.assert_focus_visible(info)
                return info
        raise AssertionError("Tab never reached the element")

    def assert_focus_visible(self, info: dict) -> None:
        assert info["outline"] != "none" or info["shadow"] not in ("", "none"), (
            f"no visible focus indicator on {info}"
        )
        self.focus_checks += 1

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)


def option_values(page, selector: str) -> list[str]:
    return page.eval_on_selector(selector, "s => Array.from(s.options, o => o.value)")


def complete_wrong_answer(snapshot: dict) -> dict:
    """A wrong answer that still counts as answered (as many choices as the key has)."""
    if snapshot["kind"] == "multiple":
        key = list(snapshot["key"])
        other = next(o["id"] for o in snapshot["options"] if o["id"] not in key)
        return {"choice": [other, *key[1:]]}
    return wrong_answer(snapshot)


def answer_by_keyboard(kb: Keyboard, snapshot: dict, data: dict) -> None:
    """Give the answer in `data` (form data) with Tab, Space, arrows and typed keys."""
    page, kind = kb.page, snapshot["kind"]
    if kind == "single":
        target = data["choice"]
        values = page.eval_on_selector_all("input[name=choice]", "els => els.map(e => e.value)")
        # Tab lands on the group's first radio (none is checked yet).
        kb.tab_to(lambda f: f["name"] == "choice")
        index = values.index(target)
        if index == 0:
            kb.press("Space")
        for _ in range(index):
            kb.press("ArrowDown")  # moves and checks
        info = kb.focused()
        assert info["value"] == target
    elif kind == "multiple":
        chosen = set(data["choice"])
        values = page.eval_on_selector_all("input[name=choice]", "els => els.map(e => e.value)")
        # Tab on past the others: once as many as asked for are ticked, the
        # rest are disabled and Tab skips them.
        for value in (v for v in values if v in chosen):
            kb.tab_to(lambda f, v=value: f["name"] == "choice" and f["value"] == v)
            kb.press("Space")
        boxes = page.locator("input[name=choice]:not(:checked)")
        for index in range(boxes.count()):
            expect(boxes.nth(index)).to_be_disabled()
    elif kind == "ordering":
        # The rank's digit picks it (type-ahead on the closed select); arrowing
        # through other places would swap them with the other items on the way.
        for name in page.eval_on_selector_all(".rank-select", "els => els.map(e => e.name)"):
            kb.tab_to(lambda f, n=name: f["name"] == n)
            kb.press(data[name])
            assert kb.focused()["value"] == data[name]
    else:
        for name in page.eval_on_selector_all(".match-select", "els => els.map(e => e.name)"):
            kb.tab_to(lambda f, n=name: f["name"] == n)
            for _ in range(option_values(page, f"#{name}").index(data[name])):
                kb.press("ArrowDown")
            assert kb.focused()["value"] == data[name]
    expect(page.locator("#item-status")).to_contain_text("Saved")


def test_a_learner_takes_an_exam_with_the_keyboard_only(page, live_server, learner, csp_violations):
    load_bank_files([SHIPPED_BANK])
    exam = make_exam(questions=4, minutes=30, title="Keyboard mock")
    # Draw the four questions with a seed that gives one of each kind, so every
    # kind of control is answered by keyboard; the learner resumes it from home.
    for seed in range(200):
        attempt = start(learner, exam, seed=seed)
        if {i.snapshot["kind"] for i in attempt.items.all()} == set(KINDS):
            break
        attempt.delete()
    else:
        pytest.fail("no seed draws one question of each kind")
    log_in(page, live_server.url, learner.username)
    kb = Keyboard(page)

    first = kb.tab_to(lambda f: True)
    assert first["text"] == "Skip to content"
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    kb.tab_to(lambda f: f["tag"] == "BUTTON" and f["text"] == "Resume Keyboard mock")
    kb.press("Enter")
    expect(page.get_by_role("timer")).to_be_visible()
    items = list(attempt.items.order_by("position"))
    wrong_positions = {2}

    for item in items:
        expect(page.locator("#question-heading")).to_contain_text(f"Question {item.position}")
        # Moving to a question puts focus on its heading, not the top of the page.
        expect(page.locator("#question-heading")).to_be_focused()
        if item.position == 1:
            # A skip link reaches the options: back to it, and one Tab further.
            kb.tab_to(lambda f: f["text"] == "Skip to the answer options", back=True)
            kb.press("Enter")
            after_skip = kb.tab_to(lambda f: True)
            assert after_skip["tag"] in ("INPUT", "SELECT"), after_skip
            page.locator("#question-heading").focus()
        if item.position == 3:
            # Flag by keyboard: the button keeps focus through the swap.
            kb.tab_to(lambda f: f["id"] == "flag-button", back=True)
            kb.press("Enter")
            expect(page.locator("#flag-button")).to_have_attribute("aria-pressed", "true")
            expect(page.locator("#flag-button")).to_be_focused()
            expect(page.locator("#nav-cell-3")).to_have_class(re.compile("is-flagged"))
        answer = complete_wrong_answer if item.position in wrong_positions else right_answer
        answer_by_keyboard(kb, item.snapshot, answer(item.snapshot))
        expect(page.locator("#progress")).to_contain_text(f"Answered {item.position} of 4")
        if item.position < len(items):
            kb.tab_to(lambda f: f["tag"] == "BUTTON" and f["text"] == "Next →")
            kb.press("Enter")

    kb.tab_to(lambda f: f["tag"] == "BUTTON" and f["text"] == "Review and submit")
    kb.press("Enter")
    expect(page.get_by_role("heading", name="Review before you submit")).to_be_visible()
    expect(page.locator(".review-counts")).to_contain_text("Unanswered0")

    # Submit comes first on the review page: a couple of Tabs, not one per question.
    kb.tab_to(lambda f: f["tag"] == "BUTTON" and f["text"] == "Submit exam", limit=3)
    kb.press("Enter")
    dialog = page.get_by_role("dialog", name="Submit the exam now?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Keep working")).to_be_focused()
    kb.press("Escape")  # changed my mind: back to the page, focus on Submit
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Submit exam")).to_be_focused()
    kb.press("Enter")
    expect(dialog).to_be_visible()
    kb.tab_to(lambda f: f["text"] == "Submit now", back=True, limit=3)
    kb.press("Enter")

    expect(page.get_by_text("Approximate scaled score")).to_be_visible()
    attempt.refresh_from_db()
    expected = len(items) - len(wrong_positions)
    assert attempt.status == "submitted" and attempt.raw_score == expected
    assert attempt.items.get(position=3).flagged
    expect(page.locator(".band-facts")).to_contain_text(f"{expected} / 4")
    expect(page.locator(".review-item.is-wrong")).to_have_count(len(wrong_positions))
    assert kb.focus_checks > 0
    assert csp_violations == []
