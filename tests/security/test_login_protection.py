"""Login protection: lockout, uniform errors, session rotation, logout, reset, logs."""

import logging

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_an_unknown_user_and_a_wrong_password_get_the_same_message(client, learner):
    unknown = attempt(client, "nobody-here", "whatever-1").content.decode()
    wrong = attempt(client, learner.username, "whatever-1").content.decode()
    message = "Please enter a correct username and password."
    assert message in unknown and message in wrong


def test_repeated_failures_lock_the_account_from_that_address(client, learner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, learner.username, "wrong-password")
    locked = attempt(client, learner.username, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked out.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert (
        other.post(LOGIN, {"username": learner.username, "password": PASSWORD}).status_code == 302
    )


def test_logging_in_gives_a_new_session_key(client, learner):
    session = client.session
    session["probe"] = 1
    session.save()
    client.cookies["sessionid"] = before = session.session_key
    attempt(client, learner.username, PASSWORD)
    after = client.cookies["sessionid"].value
    assert after and after != before
    assert client.session["probe"] == 1  # same data, new key


def test_logging_out_kills_the_session(client, learner):
    attempt(client, learner.username, PASSWORD)
    stolen = client.cookies["sessionid"].value
    client.post(reverse("accounts:logout"))
    thief = Client()
    thief.cookies["sessionid"] = stolen
    assert thief.get(reverse("exams:history")).status_code == 302  # sent to log in


def test_password_reset_by_email(client, learner):
    client.post(reverse("accounts:password_reset"), {"email": learner.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-phrase", "new_password2": "a-brand-new-phrase"},
        follow=True,
    )
    assert "Your new password is set" in response.content.decode()
    learner.refresh_from_db()
    assert learner.check_password("a-brand-new-phrase")


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, db):
    response = client.post(
        reverse("accounts:password_reset"), {"email": "nobody@example.com"}, follow=True
    )
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_failed_logins_and_denied_access_are_logged(client, learner, other_learner, caplog, bank):
    from tests.conftest import make_exam, start

    with caplog.at_level(logging.INFO):
        attempt(client, "lena", "wrong-password")
        attempt_ = start(learner, make_exam())
        client.force_login(other_learner)
        client.get(reverse("exams:attempt_take", args=[attempt_.pk]))
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert ("quizsite.security", "failed login for 'lena' from 127.0.0.1") in messages
    assert any(name == "django.request" and "Not Found" in text for name, text in messages)


@pytest.mark.django_db
def test_healthz_reports_the_database(client, monkeypatch):
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")

    def broken(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("down")

    monkeypatch.setattr(connection, "cursor", broken)
    assert client.get("/healthz").status_code == 503
