"""An instructor edits a published question safely, in a real browser: draft,
preview, publish, then the versions page's diff and restore."""

import pytest
from playwright.sync_api import expect

from exams.bank.loader import load_bank_files
from exams.models import Question
from tests.conftest import SHIPPED_BANK
from tests.e2e.conftest import admin_log_in
from tests.e2e.test_accessibility import audit  # noqa: F401 - the axe-core fixture

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_instructor_drafts_previews_publishes_and_restores(
    page, live_server, instructor, csp_violations, screenshot
):
    load_bank_files([SHIPPED_BANK])
    question = Question.objects.filter(kind="single", status="published").first()
    old_stem = question.stem
    admin_log_in(page, live_server.url, instructor.username)
    page.goto(f"{live_server.url}/admin/exams/question/{question.pk}/change/")
    screenshot("admin-editing-change-single")

    page.fill("#id_stem", "Drafted in the browser. Which statement is correct?")
    page.locator("input[name=_save_draft]").first.click()

    expect(page.locator(".messagelist")).to_contain_text("Learners still see version 1")
    expect(page.get_by_role("heading", name="What publishing changes")).to_be_visible()
    expect(page.locator(".qs-diff tbody ins").first).to_contain_text("Drafted")
    expect(page.get_by_text("✓ Correct")).to_be_visible()
    screenshot("admin-editing-draft-preview")
    question.refresh_from_db()
    assert question.stem == old_stem  # learners still see the published version

    page.get_by_role("link", name="Edit the draft").click()
    expect(page.get_by_text("You are editing the draft")).to_be_visible()
    expect(page.locator("#id_stem")).to_have_value(
        "Drafted in the browser. Which statement is correct?"
    )
    page.fill("#id_explanation", "An explanation rewritten in the draft.")
    page.locator("input[name=_save_draft]").first.click()
    page.get_by_role("button", name="Publish this draft").click()

    expect(page.locator(".messagelist")).to_contain_text("is now version 2")
    question.refresh_from_db()
    assert (question.version, question.explanation) == (
        2,
        "An explanation rewritten in the draft.",
    )

    page.get_by_role("link", name="Versions").click()
    expect(page.get_by_role("heading", name="Version 2 (current)")).to_be_visible()
    expect(page.locator(".qs-diff").first).to_contain_text("Explanation")
    screenshot("admin-editing-versions")
    page.get_by_role("button", name="Restore version 1 as a new version").click()

    expect(page.locator(".messagelist")).to_contain_text("restored as version 3")
    question.refresh_from_db()
    assert (question.version, question.stem) == (3, old_stem)

    page.get_by_role("link", name=question.external_id).click()
    page.get_by_role("link", name="Where used").click()
    expect(page.get_by_text("attempts and 0 practice answers")).to_be_visible()
    screenshot("admin-editing-usage")
    page.go_back()
    page.get_by_role("link", name="Duplicate").click()
    screenshot("admin-editing-duplicate")
    page.get_by_role("button", name="Create the draft copy").click()
    expect(page.locator(".messagelist .success")).to_contain_text("is a new draft copy")
    assert Question.objects.filter(external_id=f"{question.external_id}-copy").exists()
    assert csp_violations == []


def test_the_choice_rows_fit_each_kind(page, live_server, instructor, screenshot):
    load_bank_files([SHIPPED_BANK])
    admin_log_in(page, live_server.url, instructor.username)
    for kind in ("ordering", "matching"):
        question = Question.objects.filter(kind=kind).first()
        page.goto(f"{live_server.url}/admin/exams/question/{question.pk}/change/")
        expect(page.locator("input[name$='-is_correct']")).to_have_count(0)
        screenshot(f"admin-editing-change-{kind}")
    data_row = page.locator("#choices-2 textarea[name$='-match']")
    data_row.fill("")
    page.locator("input[name=_save]").first.click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#choices-2 .field-match")).to_contain_text("Every pair needs a match.")
    screenshot("admin-editing-row-error")


def test_the_editing_pages_have_no_serious_accessibility_violations(
    page,
    live_server,
    instructor,
    audit,  # noqa: F811
):
    load_bank_files([SHIPPED_BANK])
    question = Question.objects.filter(kind="matching", status="published").first()
    admin_log_in(page, live_server.url, instructor.username)
    base = f"{live_server.url}/admin/exams/question/{question.pk}"
    page.goto(f"{base}/change/")
    page.fill("#id_stem", "A drafted matching stem: match each technique to its output.")
    page.locator("input[name=_save_draft]").first.click()
    expect(page.get_by_role("heading", name="What publishing changes")).to_be_visible()
    audit.check("admin question draft preview")
    page.get_by_role("link", name="Edit the draft").click()
    expect(page.get_by_text("You are editing the draft")).to_be_visible()
    audit.check("admin question change (draft)")
    for name, path in (
        ("versions", "versions"),
        ("where used", "usage"),
        ("duplicate", "duplicate"),
    ):
        page.goto(f"{base}/{path}/")
        expect(page.locator("#content-main, .qs-preview").first).to_be_visible()
        audit.check(f"admin question {name}")
    audit.assert_clean()
