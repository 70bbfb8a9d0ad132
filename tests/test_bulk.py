"""insert_rows: the rows as bulk_create would store them, in one statement per batch."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from exams.models import Case, Choice, Question
from quizsite import bulk
from quizsite.bulk import insert_rows


def test_it_stores_the_values_and_fills_in_defaults_and_timestamps(bank, django_assert_num_queries):
    before = timezone.now()
    with django_assert_num_queries(1):  # one INSERT for both rows
        insert_rows(
            Case,
            [
                {"external_id": "bulk-a", "title": "A", "scenario": "First **scenario**"},
                {"external_id": "bulk-b", "title": "B", "scenario": "Second"},
            ],
        )
    rows = list(Case.objects.filter(external_id__startswith="bulk-").order_by("external_id"))
    assert [(c.external_id, c.title, c.scenario) for c in rows] == [
        ("bulk-a", "A", "First **scenario**"),
        ("bulk-b", "B", "Second"),
    ]
    assert all(c.created_at >= before and c.updated_at >= before for c in rows)


def test_a_field_left_out_gets_its_default(bank):
    question = Question.objects.first()
    insert_rows(Choice, [{"question_id": question.pk, "text": "Added"}])
    added = Choice.objects.get(question=question, text="Added")
    assert (added.position, added.is_correct, added.match, added.feedback) == (0, False, "", "")


def test_an_unknown_field_is_refused_and_nothing_is_written(bank):
    with pytest.raises(ValueError, match="Case has no field colour"):
        insert_rows(Case, [{"external_id": "bulk-c", "title": "C", "colour": "red"}])
    assert not Case.objects.filter(external_id="bulk-c").exists()


def test_many_rows_go_in_batches_within_the_parameter_limit(
    bank, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(bulk, "MAX_PARAMETERS", 12)  # Case has 5 columns: 2 rows a statement
    rows = [{"external_id": f"bulk-{n}", "title": f"T{n}", "scenario": ""} for n in range(5)]
    # INSERTs of rows 1–2, 3–4 and 5; PostgreSQL takes them all in one COPY.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        insert_rows(Case, rows)
    assert Case.objects.filter(external_id__startswith="bulk-").count() == 5


def test_nothing_to_insert_sends_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_rows(Case, [])


def test_a_refused_row_raises_djangos_integrity_error_and_the_batch_is_not_stored(bank):
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(
            Case,
            [
                {"external_id": "bulk-new", "title": "New", "scenario": ""},
                {"external_id": Case.objects.first().external_id, "title": "Twin", "scenario": ""},
            ],
        )
    assert not Case.objects.filter(external_id="bulk-new").exists()
