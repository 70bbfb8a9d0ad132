"""A 150-character username fits the header and the account page, on a phone
and on a laptop, shortened with an ellipsis and given whole in a title."""

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.conftest import admin_log_in, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Where the name's text starts and ends, against the link's own box: text cut
# at the left, or cut at the right with no ellipsis drawn, looks broken.
NAME_BOXES = """link => {
    const range = document.createRange();
    range.selectNodeContents(link);
    const text = range.getBoundingClientRect(), box = link.getBoundingClientRect();
    const style = getComputedStyle(link);
    return {
        textLeft: text.left, boxLeft: box.left, overflows: link.scrollWidth > link.clientWidth,
        ellipsis: style.textOverflow === "ellipsis"
            && ["block", "inline-block"].includes(style.display),
    };
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_a_long_username_does_not_break_the_header(page, live_server, screenshot, width):
    name = "w" * 150  # the widest letter: 23 of them overflow the header's room
    make_user(name, is_staff=True)  # staff see one more link in the header
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, live_server.url, name)
    for path in ("/", "/accounts/profile/"):
        page.goto(f"{live_server.url}{path}")
        user_link = page.locator(".nav-user")
        expect(user_link).to_have_attribute("title", f"{name}: my account and cohorts")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        box = user_link.bounding_box()
        assert box["width"] < 390 and box["x"] + box["width"] <= width
        shown = user_link.evaluate(NAME_BOXES)
        assert shown["textLeft"] >= shown["boxLeft"] - 0.5, (path, shown)
        assert not shown["overflows"] or shown["ellipsis"], (path, shown)
    screenshot("long-username")


@pytest.mark.parametrize("width", [390, 1280])
def test_a_long_username_does_not_widen_the_admin(page, live_server, width):
    name = "w" * 150
    make_user(name, is_staff=True, is_superuser=True)
    page.set_viewport_size({"width": width, "height": 844})
    admin_log_in(page, live_server.url, name)
    for path in ("/admin/", "/admin/accounts/membership/"):
        page.goto(f"{live_server.url}{path}")
        shown = page.locator("#user-tools strong")
        expect(shown).to_have_attribute("title", name)
        expect(shown).to_have_text("w" * 23 + "…")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
