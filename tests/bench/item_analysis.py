"""The question changelist with item analysis, on `seed_scale` data (2,000 learners ×
10 attempts × 20 items: 400,000 responses), in-process with production settings.

Measures the changelist as instructors see it (figures fresh), the question's
page, and recomputing every question's figures (what the first page after ten
minutes pays). `tests/bench/run.py` calls `record()`; to measure alone against
a database that already has the data:

    DATABASE_URL=postgres://…/yours .venv/bin/python tests/bench/item_analysis.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- item-analysis:start -->", "<!-- item-analysis:end -->"
TARGET_MS = 300


def _timed(call, rounds: int = 20, warmups: int = 2) -> dict:
    for _ in range(warmups):
        call()
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    ordered = sorted(times)
    return {
        "p50": statistics.median(times),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)],
        "max": max(times),
    }


def measure() -> list[tuple[str, dict]]:
    """(name, p50/p95/max ms) for each measurement; needs Django set up."""
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from exams import analysis
    from exams.models import AttemptItem, Question

    responses = AttemptItem.objects.filter(attempt__status__in=["submitted", "expired"]).count()
    instructor, _ = User.objects.get_or_create(
        username="bench-instructor", defaults={"is_staff": True}
    )
    instructor.groups.add(Group.objects.get(name="Instructors"))
    client = Client()
    client.force_login(instructor)
    question = Question.objects.published().order_by("id").first()

    def get(url: str):
        def call():
            response = client.get(url, secure=True)
            assert response.status_code == 200, response.status_code

        return call

    changelist = "/admin/exams/question/"
    rows = [
        (
            "recompute every question's figures and the exams' reliability",
            _timed(lambda: analysis.refresh_statistics(now=timezone.now()), rounds=5, warmups=1),
        ),
        ("question changelist, 50 a page", _timed(get(changelist))),
        ("question changelist sorted by discrimination", _timed(get(changelist + "?o=11"))),
        ("question changelist, has a warning", _timed(get(changelist + "?analysis=warning"))),
        ("a question's page", _timed(get(f"/admin/exams/question/{question.pk}/change/"))),
    ]
    return [(f"{name} ({responses:,} responses)", figures) for name, figures in rows]


def section(rows: list[tuple[str, dict]]) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    changelist = [figures for name, figures in rows if name.startswith("question changelist")]
    worst = max(f["p95"] for f in changelist)
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on {os.cpu_count()} "
        f"cores (load average {os.getloadavg()[0]:.1f} when measured); {version}; "
        "in-process, production settings; 20 "
        "requests after 2 warm-ups (the recompute: 5 after 1).",
        "",
        "| measurement | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|",
        *(f"| {name} | {f['p50']:.1f} | {f['p95']:.1f} | {f['max']:.1f} |" for name, f in rows),
        "",
        f"Target: the question changelist under {TARGET_MS} ms — "
        f"{'met' if worst < TARGET_MS else '**not met**'} (worst p95 {worst:.0f} ms).",
    ]
    return "\n".join(lines) + "\n"


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    if START not in doc:
        doc += f"\n## Item analysis in the admin\n\n{START}\n{END}\n"
    head, rest = doc.split(START, 1)
    DOC.write_text(f"{head}{START}\n{text}{END}{rest.split(END, 1)[1]}")


def record() -> str:
    """Measure and write the section of docs/performance.md; returns its text."""
    text = section(measure())
    write_doc(text)
    print(text)
    return text


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from tests.bench import run

    os.environ.update(run.settings_env(DATABASE_URL=os.environ.get("DATABASE_URL", run.DB_URL)))
    import django

    django.setup()
    record()
