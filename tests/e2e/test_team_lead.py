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
        page.get_by_role("link", name="Members CSV").click()
    rows = list(csv.reader(io.StringIO(Path(members.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][0] == "username" and rows[1][0] == "lena" and rows[1][3] == "2"
    with page.expect_download() as mastery:
        page.get_by_role("link", name="Mastery CSV").click()
    grid = list(csv.reader(io.StringIO(Path(mastery.value.path()).read_text(encoding="utf-8"))))
    assert grid[0][2].startswith("3.3.1.1") and len(grid) == 2

    page.get_by_role("link", name="lena").first.click()
    expect(page.get_by_role("heading", name="Mock exam attempts")).to_be_visible()
    screenshot("cohort-member")
    page.get_by_role("link", name="Review").first.click()
    expect(page.get_by_text("read-only review")).to_be_visible()
    expect(page.locator(".review-item")).to_have_count(20)
    assert csp_violations == []
