"""Shared fixtures: the personas of design.md and small builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from accounts.models import Cohort, Membership, User
from exams.bank.loader import load_bank_files

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_BANK = ROOT / "exams" / "bank" / "aif-c01-task-3.3.yaml"
PASSWORD = "correct-horse-battery"

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def _static_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("staticfiles")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Cached reports must not leak from one test's database into the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_tests(settings, _static_root):
    settings.STATIC_ROOT = _static_root
    # The production hasher is deliberately slow; tests do not need that.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Hashed static names need `collectstatic`; tests serve plain names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def make_user(username: str, **fields) -> User:
    user = User(username=username, **{"email": f"{username}@example.com", **fields})
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def learner(db) -> User:
    return make_user("lena")


@pytest.fixture
def other_learner(db) -> User:
    return make_user("otto")


@pytest.fixture
def instructor(db) -> User:
    user = make_user("ines", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructors"))
    return user


@pytest.fixture
def team_lead(db, learner) -> User:
    user = make_user("theo")
    cohort = Cohort.objects.create(name="Cohort A")
    Membership.objects.create(user=user, cohort=cohort, role=Membership.Role.LEAD)
    Membership.objects.create(user=learner, cohort=cohort, role=Membership.Role.LEARNER)
    return user


@pytest.fixture
def cohort(team_lead) -> Cohort:
    """The team lead's cohort (lena is its learner)."""
    return Cohort.objects.get(memberships__user=team_lead, memberships__role=Membership.Role.LEAD)


@pytest.fixture
def lead_client(client, team_lead):
    client.force_login(team_lead)
    return client


@pytest.fixture
def outsider(db) -> User:
    return make_user("oscar")


@pytest.fixture
def superuser(db) -> User:
    return make_user("sam", is_staff=True, is_superuser=True)


_loaded_bank: dict = {}


@pytest.fixture
def bank(db):
    """The shipped Task 3.3 bank, loaded.

    The first test of a worker loads it with the loader; later tests get the
    same rows, copied in with their ids (loading 190 questions with their
    versions costs about two seconds a test, copying a tenth of that).
    """
    from copy import copy

    from django.core.management.color import no_style
    from django.db import connection

    from exams.models import (
        Case,
        Choice,
        Domain,
        Objective,
        Question,
        QuestionVersion,
        TaskStatement,
    )

    models = [Domain, TaskStatement, Objective, Case, Question, Choice, QuestionVersion]
    if not _loaded_bank:
        report = load_bank_files([SHIPPED_BANK])
        _loaded_bank["report"] = report
        _loaded_bank["rows"] = [(m, list(m.objects.order_by("pk"))) for m in models]
        return report
    for model, rows in _loaded_bank["rows"]:
        model.objects.bulk_create([copy(row) for row in rows])
    with connection.cursor() as cursor:
        # PostgreSQL's sequences do not see ids given explicitly.
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    return _loaded_bank["report"]


BANK_HEADER = """\
format: quizsite-bank/1
domain:
  code: "9"
  title: Test domain
task_statements:
  - code: "9.1"
    title: Test task
    objectives:
      - code: "9.1.1"
        title: First objective
      - code: "9.1.2"
        title: Second objective
questions:
"""

SINGLE_QUESTION = """\
  - id: {id}
    objective: "9.1.1"
    kind: single
    difficulty: 2
    stem: {stem}
    choices:
      - text: Alpha
        feedback: Alpha is wrong.
      - text: Bravo
        correct: true
        feedback: Bravo is right.
      - text: Charlie
        feedback: Charlie is wrong.
    explanation: Because bravo.
    source: seed 1.1
"""


def bank_text(*questions: str) -> str:
    return BANK_HEADER + "".join(questions)


def single_question(id: str = "q-single", stem: str = "Which one?") -> str:
    return SINGLE_QUESTION.format(id=id, stem=stem)


@pytest.fixture
def write_bank(tmp_path):
    """Write bank text to a file and return its path."""

    def write(text: str, name: str = "bank.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def make_exam(*, questions: int = 5, minutes: int | None = 30, **fields):
    """A published exam over every Task 3.3 objective, equal weights (needs `bank`)."""
    from exams.models import Exam, ExamObjective, Objective

    slug = fields.pop("slug", f"exam-{questions}-{Exam.objects.count() + 1}")
    exam = Exam.objects.create(
        title=fields.pop("title", f"Exam of {questions}"),
        slug=slug,
        question_count=questions,
        time_limit_minutes=minutes,
        is_published=True,
        **fields,
    )
    ExamObjective.objects.bulk_create(
        ExamObjective(exam=exam, objective=o, weight=1)
        for o in Objective.objects.filter(task_statement__code="3.3")
    )
    return exam


def start(user, exam, now=None, seed: int = 7):
    """Start an attempt with a fixed random seed."""
    import random

    from django.utils import timezone

    from exams.attempts import start_attempt

    return start_attempt(user=user, exam=exam, now=now or timezone.now(), rng=random.Random(seed))


def item_of_kind(attempt, kind: str):
    return next(i for i in attempt.items.order_by("position") if i.snapshot["kind"] == kind)


def right_answer(snapshot: dict) -> dict:
    """Form data that answers an item correctly."""
    kind, key = snapshot["kind"], snapshot["key"]
    if kind == "single":
        return {"choice": key}
    if kind == "multiple":
        return {"choice": list(key)}
    if kind == "ordering":
        return {f"rank-{oid}": str(place) for place, oid in enumerate(key, 1)}
    return {f"match-{pid}": mid for pid, mid in key.items()}


def wrong_answer(snapshot: dict) -> dict:
    kind, key = snapshot["kind"], snapshot["key"]
    ids = [o["id"] for o in snapshot["options"]]
    if kind == "single":
        return {"choice": next(i for i in ids if i != key)}
    if kind == "multiple":
        return {"choice": [i for i in ids if i not in key][:1] + list(key)[:1]}
    if kind == "ordering":
        return {f"rank-{oid}": str(len(key) - place + 1) for place, oid in enumerate(key, 1)}
    prompts = list(key)
    matches = [key[p] for p in prompts]
    return {f"match-{p}": matches[(i + 1) % len(matches)] for i, p in enumerate(prompts)}


def as_query(data: dict):
    """Form data as a QueryDict, as a page would post it (lists are repeated fields)."""
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def parsed_answer(item, data: dict):
    """The response the item's snapshot makes of form `data` (what a save stores)."""
    from exams.snapshots import ItemSnapshot

    return ItemSnapshot.from_json(item.snapshot).parse_response(as_query(data))


def save(attempt, position: int, data: dict, *, now, seq=None, writer: str = "", number: int = 0):
    """Save form `data` as the answer to one item, through exams.attempts.save_answer.

    Without `seq`, the write is based on the item's current version (a page
    that saw the newest answer).
    """
    from exams.attempts import Write, save_answer
    from exams.models import AttemptItem

    if seq is None:
        seq = AttemptItem.objects.get(attempt=attempt, position=position).seq
    return save_answer(
        user=attempt.user,
        attempt_id=attempt.pk,
        position=position,
        data=as_query(data),
        write=Write(seq=seq, writer=writer, number=number),
        now=now,
    )
