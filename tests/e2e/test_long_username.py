"""A 150-character username fits the header and the account page on a phone."""

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_long_username_does_not_widen_the_page(page, live_server, screenshot):
    name = "w" * 150
    make_user(name)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, name)
    for path in ("/", "/accounts/profile/"):
        page.goto(f"{live_server.url}{path}")
        user_link = page.locator(".nav-user")
        expect(user_link).to_have_attribute("title", f"{name}: my account and cohorts")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        assert user_link.bounding_box()["width"] < 390
    screenshot("long-username")
