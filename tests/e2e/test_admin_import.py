"""An instructor imports a Moodle GIFT file through the admin, in a real browser."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from exams.bank.loader import load_bank_files
from exams.models import Question
from tests.e2e.conftest import VIEWPORTS, admin_log_in
from tests.e2e.test_accessibility import Audit

FIXTURES = Path(__file__).resolve().parents[1] / "exams" / "moodle"

# serialized_rollback restores rows made by data migrations (the Instructors group).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def fits_a_phone(page) -> bool:
    page.set_viewport_size(VIEWPORTS["phone"])
    fits = page.evaluate(NO_SIDEWAYS_SCROLL)
    page.set_viewport_size(VIEWPORTS["laptop"])
    return fits


def test_an_instructor_previews_and_imports_a_moodle_file(
    page, live_server, instructor, csp_violations, screenshot
):
    load_bank_files([FIXTURES / "blueprint.yaml"])
    audit = Audit(page, csp_violations)
    admin_log_in(page, live_server.url, instructor.username)
    page.goto(f"{live_server.url}/admin/exams/question/")

    page.get_by_role("link", name="Import questions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import questions")
    audit.check("import upload")
    assert fits_a_phone(page)
    page.get_by_label("Bank file").set_input_files(str(FIXTURES / "aif-c01.gift"))
    page.get_by_role("button", name="Upload and preview").click()

    # Nothing mapped yet: the preview says what is missing and offers no import.
    expect(page.get_by_text("has no objective")).to_have_count(2)
    expect(page.get_by_role("button", name="Import:", exact=False)).to_have_count(0)
    audit.check("import problems")
    screenshot("admin-import-problems")
    page.get_by_label("AIF-C01/Pre-training — 4 question(s)").select_option("3.3.1.1")
    page.get_by_label("AIF-C01/Fine-tuning — 8 question(s)").select_option("3.3.2.1")
    page.get_by_label("Skip questions of unsupported types", exact=False).check()
    page.get_by_role("button", name="Update preview").click()

    expect(page.get_by_text("8 created, 0 updated to a new version")).to_be_visible()
    expect(page.get_by_role("heading", name="Skipped (4)")).to_be_visible()
    assert Question.objects.count() == 0
    audit.check("import preview")
    assert fits_a_phone(page)
    screenshot("admin-import-preview")
    page.get_by_role("button", name="Import: 8 new, 0 changed").click()

    expect(page.locator(".messagelist")).to_contain_text("Imported aif-c01.gift: 8 created")
    assert Question.objects.filter(objective__code="3.3.2.1").count() == 4
    expect(page.get_by_role("link", name="fine-tuning-methods-and-goals")).to_be_visible()
    audit.assert_clean()
