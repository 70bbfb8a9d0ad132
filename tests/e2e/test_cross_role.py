"""Flows that cross roles: joining a cohort at sign-up, and an instructor's
edit that must not change a learner's past review."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Cohort, Membership
from exams.attempts import submit_attempt
from exams.bank.loader import load_bank_files
from exams.models import Attempt, Question
from tests.conftest import SHIPPED_BANK, make_exam, start
from tests.e2e.conftest import admin_log_in, log_in
from tests.e2e.test_mock_exam import answer_in_page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_learner_signs_up_with_a_join_code_and_takes_the_mock(
    page, live_server, team_lead, screenshot
):
    load_bank_files([SHIPPED_BANK])
    exam = make_exam(questions=20, minutes=30, title="Task 3.3 mock exam", slug="task-3-3-mock")
    cohort = Cohort.objects.get(memberships__user=team_lead)

    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_username", "newcomer")
    page.fill("#id_password1", "a-long-pass-phrase")
    page.fill("#id_password2", "a-long-pass-phrase")
    page.fill("#id_join_code", cohort.join_code.lower())
    screenshot("signup")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text(f"Welcome! You have joined {cohort.name}.")).to_be_visible()
    assert Membership.objects.filter(
        user__username="newcomer", cohort=cohort, role="learner"
    ).exists()

    page.get_by_role("button", name="Start Task 3.3 mock exam").click()
    attempt = Attempt.objects.get(user__username="newcomer", exam=exam)
    kinds = set()
    for item in attempt.items.order_by("position"):
        kinds.add(item.snapshot["kind"])
        answer_in_page(page, item.snapshot, right=item.position % 4 != 0)
        if item.position < 20:
            page.get_by_role("button", name="Next →").click()
    page.get_by_role("button", name="Review and submit").click()
    page.get_by_role("button", name="Submit exam").click()
    page.get_by_role("dialog").get_by_role("button", name="Submit now").click()
    expect(page.get_by_text("Approximate scaled score")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.raw_score == 15 and kinds >= {"single", "multiple"}
    for result in attempt.objective_results.select_related("objective"):
        header = page.get_by_role("rowheader", name=result.objective.title, exact=True)
        row = page.locator(".objective-table tbody tr", has=header)
        expect(row).to_contain_text(f"{result.correct}/{result.total}")

    # The lead now sees the newcomer in the cohort.
    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server.url, team_lead.username)
    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/")
    expect(page.get_by_role("rowheader", name="newcomer").first).to_be_visible()


def test_an_instructor_edit_leaves_the_learners_earlier_review_unchanged(
    page, live_server, learner, instructor
):
    load_bank_files([SHIPPED_BANK])
    attempt = start(learner, make_exam(questions=5), timezone.now())
    attempt = submit_attempt(attempt=attempt, now=timezone.now())
    item = attempt.items.order_by("position").first()
    question = Question.objects.get(pk=item.question_id)
    old_stem = question.stem

    admin_log_in(page, live_server.url, instructor.username)
    page.goto(f"{live_server.url}/admin/exams/question/{question.pk}/change/")
    page.fill("#id_stem", "A completely new scenario written by the instructor.")
    page.locator("input[name=_save]").first.click()
    expect(page.locator(".messagelist")).to_contain_text("is now version 2")
    page.context.clear_cookies()  # the instructor leaves

    log_in(page, live_server.url, learner.username)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/result/")
    first = page.locator(".review-item").first
    expect(first).to_contain_text(re.sub(r"\s+", " ", old_stem.split("\n")[0])[:60])
    expect(page.get_by_text("A completely new scenario written by the instructor.")).to_have_count(
        0
    )
