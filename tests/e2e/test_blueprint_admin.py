"""An instructor edits a blueprint in the admin; a learner with extra time
takes an exam with unscored items — in a real browser."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.attempts import submit_attempt
from exams.bank.loader import load_bank_files
from exams.models import Accommodation, Domain, ExamArea, ExamObjective
from tests.conftest import SHIPPED_BANK, make_exam, right_answer, save
from tests.e2e.conftest import admin_log_in, log_in

# serialized_rollback restores rows made by data migrations (the Instructors group).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def fits_width(page, width: int, height: int) -> bool:
    """Does the page, laid out at `width`, not scroll sideways?"""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(f"window.innerWidth === {width}")
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_instructor_weights_a_domain_and_sees_the_plan(
    page, live_server, instructor, csp_violations, screenshot
):
    load_bank_files([SHIPPED_BANK])
    exam = make_exam(questions=20, title="Weekly mock")
    admin_log_in(page, live_server.url, instructor.username)
    page.goto(f"{live_server.url}/admin/exams/exam/")
    page.get_by_role("link", name="Weekly mock").click()
    expect(page.locator(".qs-plan")).to_contain_text("20 scored questions")

    # A pass mark of 100 is refused, with the reason, and nothing changes.
    page.fill("#id_pass_mark", "100")
    page.locator("input[name=_continue]").first.click()
    expect(page.get_by_text("The pass mark must be more than 100")).to_be_visible()
    exam.refresh_from_db()
    assert exam.pass_mark == 700

    # Replace the objective weights with one weight for Domain 3, and 5 unscored items.
    page.fill("#id_pass_mark", "720")
    page.fill("#id_question_count", "28")
    page.fill("#id_unscored_count", "5")
    for box in page.locator("input[name^='exam_objectives-'][name$='-DELETE']").all():
        box.check()
    page.locator("#exam_areas-group .add-row a").click()
    page.select_option("#id_exam_areas-0-domain", label=str(Domain.objects.get(code="3")))
    page.fill("#id_exam_areas-0-weight", "28")
    page.locator("input[name=_continue]").first.click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    plan = page.locator(".qs-plan")
    expect(plan).to_contain_text("23 scored questions and 5 unscored items")
    expect(plan.locator("tbody tr")).to_have_count(14)
    expect(plan.locator("tbody tr").first).to_contain_text("Domain 3")
    screenshot("admin-exam-blueprint")
    exam.refresh_from_db()
    assert (exam.question_count, exam.unscored_count, exam.pass_mark) == (28, 5, 720)
    assert not ExamObjective.objects.filter(exam=exam).exists()
    assert list(ExamArea.objects.filter(exam=exam).values_list("domain__code", "weight")) == [
        ("3", 28)
    ]
    assert csp_violations == []


def test_a_learner_with_extra_time_sees_it_and_the_unscored_items_after_submitting(
    page, live_server, learner, csp_violations, screenshot
):
    load_bank_files([SHIPPED_BANK])
    exam = make_exam(questions=8, unscored_count=3, minutes=30, title="Pretest mock")
    make_exam(questions=5, title="Next week", opens_at=timezone.now() + timezone.timedelta(days=7))
    Accommodation.objects.create(user=learner, extra_time_percent=50)
    log_in(page, live_server.url, learner.username)
    expect(page.get_by_text("This exam opens on")).to_be_visible()
    screenshot("home-availability")
    assert fits_width(page, 390, 844) and fits_width(page, 1280, 800)

    page.get_by_role("button", name="Start Pretest mock").click()
    expect(page.locator(".clock-note")).to_have_text("extended")
    attempt = exam.attempts.get()
    assert 44 * 60 < (attempt.deadline - attempt.started_at).total_seconds() <= 45 * 60
    for item in attempt.items.order_by("position"):
        save(attempt, item.position, right_answer(item.snapshot), now=timezone.now())
    submit_attempt(attempt=attempt, now=timezone.now())

    page.goto(f"{live_server.url}/attempts/{attempt.pk}/result/")
    expect(page.get_by_text("time limit 45 min (extended)")).to_be_visible()
    expect(page.get_by_role("heading", name="Unscored questions")).to_be_visible()
    expect(page.locator(".review-item.is-unscored")).to_have_count(3)
    screenshot("result-unscored")
    assert fits_width(page, 390, 844)
    assert csp_violations == []
