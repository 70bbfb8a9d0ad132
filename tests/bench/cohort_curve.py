"""The cohort page's cost curve: 50, 500 and 2,000 members, computed fresh.

`measure()` runs inside a bench process whose database holds `seed_scale`'s
2,000-learner cohort ("Scale cohort 1", 10 attempts each): it adds cohorts of
the first 50 and 500 of its members, then times the page (Django's test client,
the settings of the process, no cache: the page has none) and counts its
queries. `make bench` calls it (tests/bench/run.py).

On its own it builds that database itself, measures, and writes the figures
into docs/performance.md under "Cohort page cost curve":

    CURVE_DB_URL=postgres://postgres@127.0.0.1:5432/quizsite_curve \\
        .venv/bin/python -m tests.bench.cohort_curve
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "performance.md"
SIZES = (50, 500, 2000)
WARM_UPS, RUNS = 3, 30
START, END = "<!-- cohort-curve:start -->", "<!-- cohort-curve:end -->"


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def measure(runs: int = RUNS) -> list[dict]:
    """[{"name", "n", "p50", "p95", "max", "queries"}] for each size."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from accounts.models import Cohort, Membership, User

    full = Cohort.objects.get(name="Scale cohort 1")
    learners = list(
        Membership.objects.filter(cohort=full, role="learner")
        .order_by("user__username")
        .values_list("user_id", flat=True)
    )
    rows = []
    for size in SIZES:
        if size >= len(learners):
            cohort = full
            lead = User.objects.filter(memberships__cohort=full, memberships__role="lead").first()
        else:
            cohort, _ = Cohort.objects.get_or_create(name=f"Curve cohort {size}")
            lead, _ = User.objects.get_or_create(username=f"curve-lead-{size}")
            Membership.objects.get_or_create(user=lead, cohort=cohort, role="lead")
            Membership.objects.bulk_create(
                (Membership(user_id=u, cohort=cohort, role="learner") for u in learners[:size]),
                ignore_conflicts=True,
            )
        client = Client()
        client.force_login(lead)
        url = f"/cohorts/{cohort.pk}/"
        for _ in range(WARM_UPS):
            assert client.get(url, secure=True).status_code == 200
        executed: list[str] = []

        def count(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            assert client.get(url, secure=True).status_code == 200
        times = []
        for _ in range(runs):
            cache.clear()  # nothing of the page is cached; make sure of it
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        members = len(response.context["report"].members) if response.context else size
        rows.append(
            {
                "name": f"cohort page, {members} members (fresh)",
                "n": len(times),
                "p50": statistics.median(times),
                "p95": _percentile(times, 95),
                "max": max(times),
                "queries": len(executed),
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| members | p50 ms | p95 ms | max ms | queries |", "|---|---|---|---|---|"]
    for row in rows:
        members = row["name"].split(", ")[1].split(" ")[0]
        lines.append(
            f"| {members} | {row['p50']:.1f} | {row['p95']:.1f} | {row['max']:.1f} "
            f"| {row['queries']} |"
        )
    return "\n".join(lines) + "\n"


def _write_doc(text: str) -> None:
    doc = DOC.read_text()
    if START in doc:
        head, rest = doc.split(START, 1)
        doc = f"{head}{START}\n{text}{END}{rest.split(END, 1)[1]}"
    else:
        doc += f"\n## Cohort page cost curve\n\n{START}\n{text}{END}\n"
    DOC.write_text(doc)


def main() -> int:
    url = os.environ.get("CURVE_DB_URL", "postgres://postgres@127.0.0.1:5432/quizsite_curve")
    base, name = url.rsplit("/", 1)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "quizsite.settings",
        "DEBUG": "0",
        "SECRET_KEY": "curve-only-secret-key-" + "k" * 40,
        "DATABASE_URL": url,
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    python = str(ROOT / ".venv" / "bin" / "python")

    def manage(*args: str, **extra: str) -> None:
        subprocess.run([python, "manage.py", *args], cwd=ROOT, env={**env, **extra}, check=True)

    def psql(*commands: str) -> None:
        args = [a for c in commands for a in ("-c", c)]
        subprocess.run(["psql", "-q", f"{base}/postgres", *args], check=True)

    if not os.environ.get("CURVE_REUSE"):  # CURVE_REUSE=1: the database a run left (CURVE_KEEP)
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
        manage("migrate", "--no-input", "-v0")
        manage("collectstatic", "--no-input", "-v0")
        manage("load_bank", "exams/bank/aif-c01-task-3.3.yaml")
        manage("seed_demo", DEBUG="1")
        manage(
            "seed_scale",
            "--learners",
            "2000",
            "--attempts",
            "10",
            "--cohort-size",
            "2000",
            "--force",
        )
    manage("rebuild_rollups", "--check")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from exams.models import Exam

    # seed_scale's attempts are at the Task 3.3 mock: make it the readiness
    # exam, so that the readiness rule reads real attempts.
    Exam.objects.filter(slug="task-3-3-mock").update(is_readiness=True)
    rows = measure()
    text = (
        f"Measured by `python -m tests.bench.cohort_curve` on {time.strftime('%Y-%m-%d')}: "
        f"PostgreSQL, production settings, in-process (Django's test client), {RUNS} "
        f"requests after {WARM_UPS} warm-ups, seed_scale's data (10 mock exams of 20 "
        "questions and some practice per learner; the mock is the readiness exam), "
        "no cache. Queries: one request's, every query counted.\n\n" + table(rows)
    )
    _write_doc(text)
    print(text)
    if not os.environ.get("CURVE_KEEP"):
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
