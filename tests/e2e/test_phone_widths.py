"""Every page at phone width (390 px): nothing scrolls sideways, every control
is a 44 px target; each page is also saved at 1280×800 and 390×844 for a look
(screenshots/, git-ignored)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.bank.loader import load_bank_files
from exams.models import Attempt, PracticeSession
from tests.conftest import SHIPPED_BANK, make_exam, right_answer, start, wrong_answer
from tests.e2e.conftest import VIEWPORTS, choose, log_in, outside_pages
from tests.e2e.test_accessibility import finished_attempt

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = VIEWPORTS["phone"]

# Controls a finger must hit, standalone links among them (breadcrumbs, a
# download, a heading's link, a list of links). A link inside running text —
# its block holds other words — is exempt (WCAG 2.5.8); a checkbox or radio
# counts by its label, which takes the tap.
SMALL_TARGETS = r"""() => {
  const small = [];
  const selector = "button, a.button, select, input:not([type=hidden]), a.nav-cell, "
    + "summary, .site-nav a, .filter-link, .leave-exam, .table-wrap a, .objective-averages a";
  function hasOtherWords(block) {
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (parent.closest("a, button, .visually-hidden")) continue;  // the controls' own words
      if (!parent.getClientRects().length) continue;  // not shown
      if (/[\p{L}\p{N}]/u.test(node.textContent)) return true;
    }
    return false;
  }
  const controls = [...document.querySelectorAll(selector)];
  for (const link of document.querySelectorAll("a[href]")) {
    if (link.matches(selector)) continue;
    let block = link.parentElement;
    while (block.parentElement && /^(inline|contents)/.test(getComputedStyle(block).display)) {
      block = block.parentElement;
    }
    if (!hasOtherWords(block)) controls.push(link);
  }
  for (const el of controls) {
    let target = el;
    if (el.matches("input[type=checkbox], input[type=radio]")) target = el.closest("label") || el;
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (!box.width || !box.height || style.visibility === "hidden") continue;  // not shown
    if (el.closest("dialog:not([open]), [hidden], .visually-hidden") || box.right <= 0) continue;
    if (box.width < 44 || box.height < 44) {
      small.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${
        (el.innerText || el.value || el.name || "").trim().slice(0, 30)}" ${
        Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""

SIDEWAYS = r"""() => {
  const width = window.innerWidth;
  const wide = [];
  if (document.documentElement.scrollWidth > width) {
    for (const el of document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      const inBox = el.closest(".table-wrap, .visually-hidden, .skip-link");
      if (box.right > width + 1 && !inBox) {
        wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


# Short labels that must stay on one line: a word broken across lines
# ("CASE STUD / Y") reads as a fault.
WRAPPED_LABELS = r"""() => {
  const wrapped = [];
  const selector = ".case-label, .pill, .count, .mark-key, .mark-wrong";
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    const line = parseFloat(style.lineHeight) || 1.5 * parseFloat(style.fontSize);
    if (box.height && el.getClientRects().length === 1 && box.height > 1.5 * line) {
      const text = el.textContent.trim().slice(0, 30);
      wrapped.push(`${el.className} "${text}" ${Math.round(box.height)}px high`);
    }
  }
  return wrapped;
}"""


class PhoneCheck:
    def __init__(self, page, screenshot):
        self.page = page
        self.screenshot = screenshot
        self.problems: list[str] = []
        self.pages: list[str] = []

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        page.set_viewport_size(PHONE)
        fit = page.evaluate(SIDEWAYS)
        if fit["scrollWidth"] > fit["width"]:
            self.problems.append(
                f"[{name}] scrolls sideways: {fit['scrollWidth']} > {fit['width']} {fit['wide']}"
            )
        for label in page.evaluate(WRAPPED_LABELS):
            self.problems.append(f"[{name}] label wraps: {label}")
        for target in page.evaluate(SMALL_TARGETS):
            self.problems.append(f"[{name}] tap target under 44 px: {target}")
        self.screenshot(name.replace(" ", "-").replace(",", "").replace("(", "").replace(")", ""))
        self.pages.append(name)

    def assert_clean(self, at_least: int) -> None:
        assert len(self.pages) >= at_least, self.pages
        assert not self.problems, f"{len(self.problems)} problem(s):\n" + "\n".join(self.problems)


@pytest.fixture
def phone(page, screenshot) -> PhoneCheck:
    return PhoneCheck(page, screenshot)


def test_public_pages_fit_a_phone(page, live_server, phone):
    load_bank_files([SHIPPED_BANK])
    make_exam(questions=20, title="Task 3.3 mock exam")
    for name, path in (("home anonymous", "/"), ("log in", "/accounts/login/")):
        page.goto(live_server.url + path)
        phone.check(name)
    page.goto(f"{live_server.url}/accounts/signup/")
    page.click("button[type=submit]")
    expect(page.locator(".errorlist").first).to_be_visible()
    phone.check("sign up with errors")
    for name, path in outside_pages():
        page.goto(live_server.url + path)
        phone.check(name)
    phone.assert_clean(9)


def test_learner_pages_fit_a_phone(page, live_server, learner, other_learner, phone):
    load_bank_files([SHIPPED_BANK])
    make_exam(questions=20, title="Task 3.3 mock exam")
    log_in(page, live_server.url, other_learner.username)
    phone.check("home first run")
    page.goto(f"{live_server.url}/attempts/")
    phone.check("history empty")
    page.context.clear_cookies()

    attempt = finished_attempt(learner, questions=20, wrong=frozenset({1, 2, 3, 8, 13}))
    for again in range(2):
        finished_attempt(learner, questions=10, wrong=frozenset({again + 1}))
    log_in(page, live_server.url, learner.username)
    phone.check("home dashboard")
    page.goto(f"{live_server.url}/attempts/")
    phone.check("history")
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/result/")
    phone.check("result")
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/result/?show=incorrect")
    for summary in page.locator(".review-item summary").all():
        summary.click()
    phone.check("result incorrect open")
    page.goto(f"{live_server.url}/accounts/profile/")
    phone.check("profile")
    page.goto(f"{live_server.url}/accounts/password/")
    phone.check("change password")

    page.goto(f"{live_server.url}/practice/")
    phone.check("practice home")
    page.get_by_role("button", name="Practise everything").click()
    expect(page.get_by_role("button", name="Check answer")).to_be_visible()
    phone.check("practice question")
    session = PracticeSession.objects.get(user=learner, ended_at__isnull=True)
    choose(page, wrong_answer(session.current_snapshot))
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator(".result-banner")).to_be_visible()
    phone.check("practice feedback")
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", name="How your mastery moved")).to_be_visible()
    phone.check("practice summary")
    phone.assert_clean(12)


def test_exam_pages_of_every_kind_fit_a_phone(page, live_server, learner, phone, settings):
    settings.QUIZSITE_DEADLINE_GRACE_SECONDS = 300  # the time-up page does not reload meanwhile
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=98, minutes=90, title="Whole bank"))
    longest = {}
    for item in attempt.items.order_by("position"):
        kind = item.snapshot["kind"]
        size = len(str(item.snapshot))
        if kind not in longest or size > longest[kind][0]:
            longest[kind] = (size, item)
    assert set(longest) == {"single", "multiple", "ordering", "matching"}
    case_item = next(i for i in attempt.items.order_by("position") if i.snapshot.get("case"))
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q={case_item.position}")
    phone.check("exam case study")
    for kind, (_, item) in sorted(longest.items()):
        page.goto(f"{live_server.url}/attempts/{attempt.pk}/?q={item.position}")
        phone.check(f"exam {kind}")
        page.set_viewport_size(VIEWPORTS["laptop"])
        choose(page, right_answer(item.snapshot))
        expect(page.locator("#item-status")).to_contain_text("Saved")
        page.get_by_role("button", name="Flag for review").click()
        expect(page.get_by_role("button", name="Flagged for review")).to_be_visible()
        phone.check(f"exam {kind} answered")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Questions", exact=True).click()
    expect(page.locator("#navigator")).to_be_visible()
    phone.check("exam navigator drawer")
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/review/")
    phone.check("review")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Submit exam").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    phone.check("review dialog")

    # The deadline has passed, inside the grace: the page that waits for the result.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    expect(page.get_by_role("heading", name="Time is up")).to_be_visible()
    phone.check("exam time up")
    phone.assert_clean(13)


def test_team_lead_pages_fit_a_phone(page, live_server, learner, team_lead, phone):
    load_bank_files([SHIPPED_BANK])
    attempt = finished_attempt(learner, questions=20)
    cohort = team_lead.memberships.get().cohort
    objective = attempt.objective_results.order_by("objective__code").first().objective
    log_in(page, live_server.url, team_lead.username)
    base = live_server.url
    for name, path in (
        ("cohort list", "/cohorts/"),
        ("cohort detail", f"/cohorts/{cohort.pk}/"),
        ("cohort member", f"/cohorts/{cohort.pk}/members/{learner.pk}/"),
        (
            "cohort member attempt",
            f"/cohorts/{cohort.pk}/members/{learner.pk}/attempts/{attempt.pk}/",
        ),
        ("cohort objective", f"/cohorts/{cohort.pk}/objectives/{objective.pk}/"),
        ("cohort members manage", f"/cohorts/{cohort.pk}/members/manage/"),
    ):
        page.goto(base + path)
        phone.check(name)
    page.set_viewport_size(VIEWPORTS["laptop"])
    page.get_by_label("Usernames or emails").fill(f"{learner.username}\nghost\nnew@corp.example")
    page.get_by_role("button", name="Check the list").click()
    expect(page.get_by_text("Cannot add this list as it is")).to_be_visible()
    phone.check("cohort members manage a list checked")
    phone.assert_clean(7)


# Each row of a table on a phone: its cells inside the box the reader sees,
# and its heading (a long objective title) on at most two lines.
ROWS_READ_WELL = r"""selector => {
  const problems = [];
  const wrap = document.querySelector(selector);
  const edge = wrap.getBoundingClientRect().right;
  for (const row of wrap.querySelectorAll("tbody tr")) {
    const title = row.querySelector("th");
    const style = getComputedStyle(title);
    const line = parseFloat(style.lineHeight) || 1.5 * parseFloat(style.fontSize);
    const lines = Math.round((title.getBoundingClientRect().height
      - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom)) / line);
    if (lines > 2) problems.push(`"${title.innerText.trim()}" on ${lines} lines`);
    for (const cell of row.children) {
      const right = cell.getBoundingClientRect().right;
      const text = cell.innerText.trim();
      if (right > edge + 1) problems.push(`"${text}" cut off at ${Math.round(right)} > ${edge}`);
    }
  }
  return problems;
}"""


def test_the_practice_summary_reads_as_cards_on_a_phone(page, live_server, learner, screenshot):
    load_bank_files([SHIPPED_BANK])
    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/practice/")
    rlhf = "Reinforcement learning from human feedback (RLHF)"
    page.get_by_role("button", name=f"Practise {rlhf}").click()
    session = PracticeSession.objects.get(user=learner, ended_at__isnull=True)
    choose(page, wrong_answer(session.current_snapshot))
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator(".result-banner")).to_be_visible()
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("rowheader", name=rlhf)).to_be_visible()
    page.set_viewport_size(PHONE)
    assert page.evaluate(ROWS_READ_WELL, "#moved-heading + .table-wrap") == []
    # Each value keeps its column's name beside it once the header row is gone.
    expect(page.locator("#moved-heading + .table-wrap td").first).to_have_attribute(
        "data-label", "Correct"
    )
    page.set_viewport_size(VIEWPORTS["laptop"])
    expect(page.get_by_role("columnheader", name="Now")).to_be_visible()
    assert page.evaluate(ROWS_READ_WELL, "#moved-heading + .table-wrap") == []
    screenshot("practice-summary-rlhf")
