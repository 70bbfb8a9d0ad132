"""Two admin saves of one question at the same moment, on PostgreSQL's row locks."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.bank.history import bump_revisions
from exams.bank.loader import load_bank_files
from exams.models import Question
from tests.conftest import bank_text, make_user, single_question
from tests.exams.test_admin import form_data

# serialized_rollback restores rows made by data migrations (the Instructors group).
pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (SELECT ... FOR UPDATE) exist only on PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # Statistics are a snapshot per transaction, and the caller is in one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_a_save_that_waits_for_a_concurrent_one_is_refused_after_it(write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    question = Question.objects.get()
    first, second = make_user("ada", is_staff=True, is_superuser=True), make_user("bob")
    second.is_staff = second.is_superuser = True
    second.save()
    client = Client()
    client.force_login(second)
    url = reverse("admin:exams_question_change", args=[question.pk])
    data = form_data(client.get(url).content.decode())
    data["stem"] = "Bob's stem, from the form he opened before Ada saved."
    responses = []

    def bobs_save():
        from django.db import connection as thread_connection

        try:
            responses.append(client.post(url, data))
        finally:
            thread_connection.close()

    # Ada's save is in progress: it holds the row lock while Bob posts.
    with transaction.atomic():
        Question.objects.select_for_update().get(pk=question.pk)
        thread = threading.Thread(target=bobs_save)
        thread.start()
        while not waiting_for_a_lock():
            if not thread.is_alive():
                pytest.fail(f"Bob's save did not wait for Ada's lock: {responses}")
        Question.objects.filter(pk=question.pk).update(stem="Ada's stem.")
        bump_revisions([question.pk], user=first, now=timezone.now())
    thread.join()

    page = responses[0].content.decode()
    assert responses[0].status_code == 200
    assert "“q-single” was changed by ada at" in page
    question.refresh_from_db()
    assert (question.stem, question.revision) == ("Ada's stem.", 2)
