"""A team lead reads their cohort in Chromium and downloads both CSVs."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.attempts import submit_attempt
from exams.bank.loader import load_bank_files
from tests.conftest import SHIPPED_BANK, make_exam, start
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SIDEWAYS = "document.documentElement.scrollWidth"


def test_a_lead_reads_the_heatmap_drills_in_and_downloads_the_csvs(
    page, live_server, team_lead, learner, csp_violations, screenshot
):
    load_bank_files([SHIPPED_BANK])
    exam = make_exam(questions=20)
    for days in (9, 2):
        attempt = start(learner, exam, timezone.now() - timedelta(days=days), seed=days)
        submit_attempt(
            attempt=attempt, now=timezone.now() - timedelta(days=days) + timedelta(minutes=5)
        )

    log_in(page, live_server.url, team_lead.username)
    page.get_by_role("link", name="Cohorts").click()
    page.get_by_role("link", name="Cohort A").click()

    heatmap = page.get_by_role("table", name="Mastery percentage per member")
    expect(heatmap).to_be_visible()
    expect(heatmap.get_by_role("row")).to_have_count(2)  # header + lena
    expect(heatmap.get_by_role("rowheader", name="lena")).to_be_visible()
    expect(page.get_by_text("Mock exam attempts")).to_be_visible()
    screenshot("cohort")

    with page.expect_download() as members:
        page.get_by_role("link", name="Members CSV", exact=True).click()
    rows = list(csv.reader(io.StringIO(Path(members.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][0] == "username" and rows[1][0] == "lena" and rows[1][4] == "2"
    with page.expect_download() as mastery:
        page.get_by_role("link", name="Mastery CSV", exact=True).click()
    grid = list(csv.reader(io.StringIO(Path(mastery.value.path()).read_text(encoding="utf-8"))))
    assert grid[0][2].startswith("3.3.1.1") and len(grid) == 2

    page.get_by_role("link", name="lena").first.click()
    expect(page.get_by_role("heading", name="Mock exam attempts")).to_be_visible()
    screenshot("cohort-member")
    page.get_by_role("link", name="Review").first.click()
    expect(page.get_by_text("Read-only review")).to_be_visible()
    expect(page.locator(".review-item")).to_have_count(20)
    assert csp_violations == []


@pytest.mark.parametrize("width", [390, 1280])
def test_a_lead_drives_the_dashboard_of_a_large_cohort(
    page, live_server, team_lead, learner, csp_violations, screenshot, width
):
    from accounts.models import Cohort, Membership, User
    from exams import rollups

    load_bank_files([SHIPPED_BANK])
    exam = make_exam(questions=20, title="Full simulation")
    cohort = Cohort.objects.get(name="Cohort A")
    users = User.objects.bulk_create(
        User(username=f"member{n:02d}", first_name="Member", last_name=f"N{n:02d}")
        for n in range(60)
    )
    Membership.objects.bulk_create(Membership(user=u, cohort=cohort) for u in users)
    for days in (9, 2):
        when = timezone.now() - timedelta(days=days)
        for user in (learner, users[7]):
            attempt = start(user, exam, when, seed=days)
            submit_attempt(attempt=attempt, now=when + timedelta(minutes=5))
    rollups.rebuild()

    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
    log_in(page, live_server.url, team_lead.username)
    page.goto(f"{live_server.url}/cohorts/")
    expect(page.get_by_text("61", exact=True)).to_be_visible()  # learners, counted right
    page.get_by_role("link", name="Cohort A").click()
    assert page.evaluate(SIDEWAYS) <= width  # the page never scrolls sideways

    # Search by username, then clear; jump to page 3; sort by username, descending.
    page.get_by_label("Search").fill("member07")
    page.get_by_role("button", name="Apply").click()
    table = page.locator(".members-table")
    expect(page.locator(".members-table tbody tr")).to_have_count(1)
    expect(page.locator(".members-table tbody")).to_contain_text("member07")
    page.get_by_role("link", name="Clear").click()
    jump = page.get_by_role("navigation", name="Member pages").get_by_label("Page", exact=True)
    jump.fill("3")
    jump.press("Enter")
    expect(page.locator(".members-table tbody tr")).to_have_count(11)  # 61 = 25 + 25 + 11
    expect(page.locator(".page-current").first).to_have_text("3")
    page.get_by_role("link", name="Username").click()
    page.get_by_role("link", name="Username ▲").click()
    expect(page.locator(".members-table tbody tr").first).to_contain_text("member59")
    expect(table.get_by_role("columnheader", name="Username ▼")).to_have_attribute(
        "aria-sort", "descending"
    )
    # The heatmap follows the table's page.
    expect(page.locator(".heatmap tbody tr").first).to_contain_text("Member N59")
    assert page.evaluate(SIDEWAYS) <= width
    screenshot(f"cohort-dashboard-{width}")
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})

    # Inactive for 14 days: the learners who took the exams are not listed.
    page.get_by_label("Inactive for 14 days").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("59 shown by the search and filters")).to_be_visible()

    # What to teach next: the weakest objective links to its most-missed questions.
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/")
    page.locator(".objective-averages a").first.click()
    expect(
        page.get_by_role("heading", name="The questions this cohort misses most")
    ).to_be_visible()
    expect(page.get_by_role("region", name="Missed questions table")).to_be_visible()
    assert page.evaluate(SIDEWAYS) <= width
    assert csp_violations == []
