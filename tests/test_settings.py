"""Settings come from the environment and fail loudly; pages carry a strict CSP."""

import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.conftest import ROOT


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL")
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import quizsite.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_secret_key_is_required_when_debug_is_off():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_secret_key_is_required_when_debug_is_not_set_at_all():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_bare_pytest_starts_without_debug_or_a_secret_key_in_the_environment():
    # pytest-env supplies the development default before pytest-django reads the settings.
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/test_settings.py"],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SECRET_KEY must be set" not in result.stdout + result.stderr


def test_production_settings_load_with_a_secret_key_and_database_url():
    result = load_settings(
        DEBUG="false", SECRET_KEY="x" * 50, DATABASE_URL="postgres://u@127.0.0.1:5432/db"
    )
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"], result.stderr


@pytest.mark.parametrize(("flag", "expected"), [(None, "True"), ("0", "False"), ("1", "True")])
def test_postgresql_binds_parameters_on_the_server_unless_told_not_to_and_keeps_url_options(
    flag, expected
):
    env = {"DEBUG": "1", "DATABASE_URL": "postgres://u@127.0.0.1:5432/db?sslmode=require"}
    if flag is not None:
        env["DB_SERVER_SIDE_BINDING"] = flag
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import quizsite.settings as s; o = s.DATABASES['default']['OPTIONS'];"
            " print(o['server_side_binding'], o['sslmode'])",
        ],
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == [expected, "require"], result.stderr


def test_a_malformed_boolean_is_refused_by_name():
    result = load_settings(DEBUG="maybe")
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_sqlite_is_the_default_database():
    result = load_settings(DEBUG="1")
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"], result.stderr


@pytest.mark.django_db
def test_pages_carry_a_strict_csp_with_a_nonce_on_the_htmx_script(client):
    response = client.get(reverse("exams:home"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    page = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", page)
    assert any("htmx-2.min.js" in tag for tag in scripts)
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert '"allowEval": false' in page and '"allowScriptTags": false' in page
