"""A database outage answers 503 with Retry-After, never 500 (and the exam
page retries until it saves: static/js/exam.js honours Retry-After)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection
from django.urls import reverse

from exams.models import AttemptItem
from tests.conftest import make_exam, right_answer, start

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a real outage: the connection is pointed at a port nobody listens on",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@contextmanager
def database_down():
    """The database server stops answering: new connections are refused."""
    settings = connection.settings_dict
    port = settings["PORT"]
    connection.close()
    settings["PORT"] = "1"  # nothing listens there
    try:
        yield
    finally:
        connection.close()
        settings["PORT"] = port


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}])
def test_a_save_during_an_outage_answers_503_and_the_retry_saves(client, bank, learner, headers):
    attempt = start(learner, make_exam(questions=5))
    item = attempt.items.get(position=1)
    client.force_login(learner)
    url = reverse("exams:attempt_answer", args=[attempt.pk, 1])
    data = {"seq": "0", "writer": "tab", "write": "1", **right_answer(item.snapshot)}
    with database_down():
        during = client.post(url, data, headers=headers)
    assert during.status_code == 503 and during["Retry-After"] == "5"
    assert "not answering" in during.content.decode()
    assert AttemptItem.objects.get(pk=item.pk).seq == 0
    after = client.post(url, {**data, "write": "2"}, headers={"HX-Request": "true"})
    assert after.status_code == 200 and AttemptItem.objects.get(pk=item.pk).seq == 1


def test_pages_during_an_outage_answer_503_in_production_settings_too(client, learner, settings):
    settings.DEBUG = False
    client.force_login(learner)
    client.raise_request_exception = False
    with database_down():
        for path in ("/", "/attempts/", "/practice/"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response["Retry-After"] == "5"
