"""An instructor (not a superuser) edits a question in the admin, in a real browser."""

import pytest
from playwright.sync_api import expect

from exams.bank.loader import load_bank_files
from exams.models import Question
from tests.conftest import SHIPPED_BANK
from tests.e2e.conftest import admin_log_in

# serialized_rollback restores rows made by data migrations (the Instructors group).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_instructor_edits_a_question_and_sees_its_history(
    page, live_server, instructor, csp_violations, screenshot
):
    load_bank_files([SHIPPED_BANK])
    # The first single-answer question of the list (ordered by objective, then id).
    question = Question.objects.filter(kind="single").first()
    admin_log_in(page, live_server.url, instructor.username)
    expect(page.get_by_role("link", name="Questions")).to_be_visible()
    expect(page.get_by_text("Users")).to_have_count(0)

    page.goto(f"{live_server.url}/admin/exams/question/?kind__exact=single&task=3.3")
    screenshot("admin-question-list")
    page.get_by_role("link", name=question.external_id).click()
    page.fill("#id_stem", "Reworded in the browser. Which statement is correct?")
    screenshot("admin-question-change")
    page.locator("input[name=_continue]").first.click()

    expect(page.locator(".messagelist")).to_contain_text("is now version 2")
    expect(page.locator("#versions-group")).to_contain_text("edited in the admin")
    question.refresh_from_db()
    assert question.version == 2

    page.get_by_role("link", name="Preview as a learner sees it, with the key").click()
    expect(page.get_by_text("Reworded in the browser.")).to_be_visible()
    expect(page.get_by_text("✓ Correct")).to_be_visible()
    screenshot("admin-question-preview")
    assert csp_violations == []


def test_an_invalid_save_is_refused_with_a_reason(page, live_server, instructor):
    load_bank_files([SHIPPED_BANK])
    question = Question.objects.filter(kind="single").order_by("external_id").first()
    admin_log_in(page, live_server.url, instructor.username)
    page.goto(f"{live_server.url}/admin/exams/question/{question.pk}/change/")

    boxes = page.locator("input[name^='choices-'][name$='-is_correct']:visible")
    for index in range(boxes.count()):
        boxes.nth(index).check()
    page.locator("input[name=_save]").first.click()

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.get_by_text("needs exactly one correct choice")).to_be_visible()
    assert question.choices.filter(is_correct=True).count() == 1


def test_the_home_page_renders_without_csp_violations(
    page, live_server, csp_violations, screenshot
):
    page.goto(live_server.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("AWS Certified AI Practitioner")
    screenshot("home")
    assert csp_violations == []
