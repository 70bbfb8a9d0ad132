"""A team lead adds members to their cohort in bulk, in Chromium."""

import pytest
from playwright.sync_api import expect

from accounts.models import Membership, User
from tests.conftest import make_user
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_lead_checks_a_list_adds_it_and_removes_one(
    page, live_server, team_lead, learner, csp_violations, screenshot
):
    for name in ("ada", "bob", "cy"):
        make_user(name)
    log_in(page, live_server.url, team_lead.username)
    page.get_by_role("link", name="Cohorts").click()
    page.get_by_role("link", name="Cohort A").click()
    page.get_by_role("link", name="Manage members").click()
    expect(page.get_by_role("heading", name="Manage members")).to_be_visible()

    page.get_by_label("Usernames or emails").fill("ada, bob\ncy@example.com\nlena\nghost")
    page.get_by_role("button", name="Check the list").click()
    report = page.get_by_role("region", name="Unknown usernames")
    expect(report.get_by_role("cell", name="ghost")).to_be_visible()
    expect(page.get_by_text("Cannot add this list as it is")).to_be_visible()
    screenshot("cohort-manage-report")
    assert not User.objects.get(username="ada").memberships.exists()

    page.get_by_label("Usernames or emails").fill("ada, bob\ncy@example.com\nlena")
    page.get_by_role("button", name="Check the list").click()
    expect(page.get_by_text("The list is ready")).to_be_visible()
    page.get_by_role("button", name="Add 3 and invite 0").click()
    expect(page.get_by_text("Added 3 members; 1 already in the cohort.")).to_be_visible()
    learners = page.get_by_role("region", name="Learners")
    expect(learners.get_by_role("row")).to_have_count(5)  # header, ada, bob, cy, lena

    learners.get_by_label("Select bob").check()
    page.get_by_role("button", name="Remove selected from Cohort A").click()
    expect(page.get_by_text("Removed 1 member.")).to_be_visible()
    screenshot("cohort-manage")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert sorted(
        Membership.objects.filter(cohort__name="Cohort A", role="learner").values_list(
            "user__username", flat=True
        )
    ) == ["ada", "cy", "lena"]
    assert csp_violations == []
