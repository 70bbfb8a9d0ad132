"""Publishing a draft while another save of the question holds its row lock (PostgreSQL)."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.bank.history import bump_revisions
from exams.bank.loader import load_bank_files
from exams.models import Question, QuestionDraft
from tests.conftest import bank_text, make_user, single_question
from tests.exams.test_admin_concurrency import waiting_for_a_lock

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (SELECT ... FOR UPDATE) exist only on PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("step", ["publish", "restore"])
def test_a_publish_or_restore_that_waits_for_a_concurrent_save_is_refused_after_it(
    write_bank, step
):
    load_bank_files([write_bank(bank_text(single_question()))])
    question = Question.objects.get()
    ada, bob = make_user("ada"), make_user("bob", is_staff=True, is_superuser=True)
    content = question.versions.get().content
    QuestionDraft.objects.create(
        question=question, content={**content, "stem": "Bob's draft?"}, saved_at=timezone.now()
    )
    client = Client()
    client.force_login(bob)
    if step == "publish":
        url = reverse("admin:exams_question_draft", args=[question.pk])
        data = {"revision": question.revision, "_publish": "1"}
    else:
        url = reverse("admin:exams_question_versions", args=[question.pk])
        data = {"revision": question.revision, "restore": "1"}
    responses = []

    def bobs_step():
        from django.db import connection as thread_connection

        try:
            responses.append(client.post(url, data, follow=True))
        finally:
            thread_connection.close()

    with transaction.atomic():
        Question.objects.select_for_update().get(pk=question.pk)
        thread = threading.Thread(target=bobs_step)
        thread.start()
        while not waiting_for_a_lock():
            if not thread.is_alive():
                pytest.fail(f"Bob's step did not wait for Ada's lock: {responses}")
        Question.objects.filter(pk=question.pk).update(stem="Ada's stem?")
        bump_revisions([question.pk], user=ada, now=timezone.now())
    thread.join()

    assert "“q-single” was changed by ada at" in responses[0].content.decode()
    question.refresh_from_db()
    assert (question.stem, question.version, question.revision) == ("Ada's stem?", 1, 2)
