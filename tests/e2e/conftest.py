"""Browser tests: Playwright driving Debian's Chromium against live_server."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
VIEWPORTS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Assertions wait for their condition up to this long (Playwright's default is
# 5 s; actions wait 30 s): a machine busy with other work slows a test down
# rather than failing it.
expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def csp_violations(page):
    """Every Content-Security-Policy violation the page reports."""
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


@pytest.fixture
def screenshot(page):
    """Save the current page at laptop and phone widths (git-ignored folder)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str) -> list[Path]:
        paths = []
        for label, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            path = SCREENSHOTS / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            paths.append(path)
        page.set_viewport_size(VIEWPORTS["laptop"])
        return paths

    return take


def log_in(page, base: str, username: str) -> None:
    """Log in through the site's form and land on the dashboard."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def admin_log_in(page, base: str, username: str) -> None:
    """Log in through the admin's form."""
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def choose(page, data: dict) -> None:
    """Answer with the mouse: tick the choices and pick the selects in `data`
    (form data as tests.conftest.right_answer gives it)."""
    for name, value in data.items():
        if name == "choice":
            for oid in value if isinstance(value, list) else [value]:
                page.check(f"input[value='{oid}']")
        else:
            page.select_option(f"#{name}", value)


def outside_pages() -> list[tuple[str, str]]:
    """Pages reached from outside the site's menus: password reset, an
    invitation link (valid and expired), a page that does not exist."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.membership import invitation_token
    from accounts.models import Cohort, Invitation

    cohort = Cohort.objects.create(name="Invited cohort")
    now = timezone.now()
    valid, expired = (
        Invitation.objects.create(
            cohort=cohort, email=f"{n}@example.com", created_at=now, expires_at=now + days
        )
        for n, days in (("new", timedelta(days=7)), ("late", timedelta(days=-1)))
    )
    return [
        ("password reset", "/accounts/password/reset/"),
        ("password reset sent", "/accounts/password/reset/sent/"),
        ("invitation", f"/accounts/invitations/{invitation_token(valid)}/"),
        ("invitation expired", f"/accounts/invitations/{invitation_token(expired)}/"),
        ("invitation malformed", "/accounts/invitations/not-a-token/"),
        ("page not found", "/no-such-page/"),
    ]
