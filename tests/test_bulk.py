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


# --- read_rows -------------------------------------------------------------------

READ = (
    "SELECT id, external_id, title, created_at, 1.5 AS ratio, NULL AS empty "
    "FROM exams_case WHERE external_id LIKE %s ORDER BY external_id"
)


def test_read_rows_gives_what_the_cursor_gives_and_is_counted(bank, django_assert_num_queries):
    insert_rows(Case, [{"external_id": f"read-{n}", "title": f"T{n}"} for n in range(3)])
    with connection.cursor() as cursor:
        cursor.execute(READ, ["read-%"])
        expected = cursor.fetchall()
    with django_assert_num_queries(1) as queries:
        rows = bulk.read_rows(READ, ["read-%"])
    assert rows == expected and len(rows) == 3
    assert queries.captured_queries[0]["sql"].startswith("SELECT id, external_id")
    assert rows[0][3].tzinfo is not None or connection.vendor == "sqlite"


def test_read_rows_raises_djangos_errors(db):
    from django.db import DatabaseError

    with pytest.raises(DatabaseError) as caught:  # Django's, not the driver's
        bulk.read_rows("SELECT no_such_column FROM exams_case")
    assert caught.type.__module__ == "django.db.utils"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's cursor classes")
def test_read_rows_reads_text_through_client_side_binding(bank):
    import psycopg

    insert_rows(Case, [{"external_id": "read-client", "title": "C"}])
    expected = bulk.read_rows(READ, ["read-client"])
    connection.ensure_connection()
    raw = connection.connection
    factory = raw.cursor_factory
    raw.cursor_factory = psycopg.ClientCursor  # as DB_SERVER_SIDE_BINDING=0 makes it
    try:
        assert bulk.read_rows(READ, ["read-client"]) == expected
    finally:
        raw.cursor_factory = factory
