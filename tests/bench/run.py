"""`make bench`: a mock-exam day under load on this machine, and the cost curves.

Bounded to five minutes, loopback only, stops by itself. It

1. builds a fresh PostgreSQL database with the bank, the demo exams and
   `seed_scale` data (2,000 learners × 10 attempts);
2. measures in-process (Django's test client, production settings) the cohort
   page for 50, 500 and 2,000 members and starting an attempt with a bank of
   100, 1,000 and 10,000 questions;
3. starts gunicorn with production settings (DEBUG off, 2 workers) and drives
   it with locust: a bare view as the ceiling, autosave flat out, then the exam
   day at 50, 100 and 200 learners (65-question simulation, think time,
   changed answers, flags, submits) with two team leads refreshing;
4. checks that every acknowledged answer is stored with its final value and
   every submitted attempt was finalized once — and fails loudly otherwise;
5. prints the tables and writes them into docs/performance.md.
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PORT = int(os.environ.get("BENCH_PORT", "8766"))
HOST = f"http://127.0.0.1:{PORT}"
PG_BASE = os.environ.get("TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/quizsite").rsplit(
    "/", 1
)[0]
DB = "quizsite_bench"
DB_URL = f"{PG_BASE}/{DB}"
SECRET = "bench-only-secret-key-" + "k" * 40  # shared by this process and gunicorn
WORK = Path(os.environ.get("BENCH_DIR", "/tmp/quizsite-bench"))
DOC = ROOT / "docs" / "performance.md"
LIMIT_SECONDS = 300
DAY_SECONDS = int(os.environ.get("BENCH_DAY_SECONDS", "42"))
WARMUP_SECONDS = 12  # learners arriving: their first page and start are left out
CHILDREN: list[subprocess.Popen] = []


def settings_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "quizsite.settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": DB_URL,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{PORT}",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra)
    return env


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def manage(*args: str, **extra: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=settings_env(**extra), check=True
    )


def stop_children(*_args) -> None:
    for child in CHILDREN:
        if child.poll() is None:
            child.terminate()
    for child in CHILDREN:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def timeout(*_args) -> None:
    stop_children()
    print("bench: over the five-minute bound, stopped", file=sys.stderr)
    os._exit(2)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


# --- database -----------------------------------------------------------------


def build_database() -> None:
    say("fresh database, bank, demo exams, seed_scale 2,000 learners × 10 attempts")
    subprocess.run(
        [
            "psql",
            "-q",
            f"{PG_BASE}/postgres",
            "-c",
            f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)",
            "-c",
            f"CREATE DATABASE {DB}",
        ],
        check=True,
    )
    manage("migrate", "--no-input", "-v0")
    # Production settings serve hashed static names: pages need the manifest.
    manage("collectstatic", "--no-input", "-v0")
    manage("load_bank", "exams/bank/aif-c01-task-3.3.yaml")
    manage("seed_demo", DEBUG="1")
    manage(
        "seed_scale", "--learners", "2000", "--attempts", "10", "--cohort-size", "2000", "--force"
    )


def setup_django() -> None:
    os.environ.update(settings_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- in-process curves ------------------------------------------------------------


def cohort_curve() -> list[dict]:
    from django.core.cache import cache
    from django.test import Client

    from accounts.models import Cohort, Membership, User

    full = Cohort.objects.get(name="Scale cohort 1")
    learners = list(
        Membership.objects.filter(cohort=full, role="learner")
        .order_by("user__username")
        .values_list("user_id", flat=True)
    )
    rows = []
    for size in (50, 500, 2000):
        if size == 2000:
            cohort = full
            lead = User.objects.get(memberships__cohort=full, memberships__role="lead")
        else:
            cohort = Cohort.objects.create(name=f"Bench cohort {size}")
            lead = User.objects.create(username=f"bench-lead-{size}")
            Membership.objects.create(user=lead, cohort=cohort, role="lead")
            Membership.objects.bulk_create(
                Membership(user_id=u, cohort=cohort, role="learner") for u in learners[:size]
            )
        client = Client()
        client.force_login(lead)
        url = f"/cohorts/{cohort.pk}/"
        for _ in range(2):
            assert client.get(url, secure=True).status_code == 200
        times = []
        for _ in range(20):
            cache.clear()  # the cost of computing the report, not of the cache
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        rows.append(summary(f"cohort page, {size} members", times))
    return rows


def start_curve() -> list[dict]:
    from django.test import Client

    from accounts.models import User
    from exams.models import (
        Attempt,
        Choice,
        Domain,
        Exam,
        ExamObjective,
        Objective,
        Question,
        TaskStatement,
    )

    domain = Domain.objects.create(code="B", title="Bench domain")
    task = TaskStatement.objects.create(domain=domain, code="B.1", title="Bench task")
    objectives = Objective.objects.bulk_create(
        Objective(task_statement=task, code=f"B.1.{n}", title=f"Bench objective {n}")
        for n in range(1, 15)
    )
    exam = Exam.objects.create(
        title="Bench start",
        slug="bench-start",
        question_count=65,
        time_limit_minutes=90,
        is_published=True,
    )
    ExamObjective.objects.bulk_create(ExamObjective(exam=exam, objective=o) for o in objectives)
    learner = User.objects.create(username="bench-starter")
    client = Client()
    client.force_login(learner)
    rows, have = [], 0
    for size in (100, 1000, 10000):
        new = Question.objects.bulk_create(
            (
                Question(
                    external_id=f"bench-{n}",
                    objective=objectives[n % len(objectives)],
                    kind="single",
                    status="published",
                    stem=f"Bench question {n}: which option is right?",
                    explanation="Because the bench says so.",
                    source="bench",
                )
                for n in range(have, size)
            ),
            batch_size=2000,
        )
        Choice.objects.bulk_create(
            (
                Choice(
                    question=q, position=p, text=f"Option {p}", is_correct=p == 2, feedback="Why."
                )
                for q in new
                for p in range(1, 5)
            ),
            batch_size=5000,
        )
        have = size
        times = []
        for round_ in range(22):
            Attempt.objects.filter(user=learner).delete()
            started = time.perf_counter()
            response = client.post(f"/exams/{exam.slug}/start/", secure=True)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 302, response.status_code
            if round_ >= 2:
                times.append(elapsed)
        rows.append(summary(f"start a 65-question attempt, bank of {size:,}", times))
    Question.objects.filter(objective__task_statement=task).update(status="retired")
    exam.delete() if not Attempt.objects.filter(exam=exam).exists() else None
    return rows


def summary(name: str, times: list[float]) -> dict:
    return {
        "name": name,
        "n": len(times),
        "p50": statistics.median(times),
        "p95": percentile(times, 95),
        "max": max(times),
    }


# --- load -------------------------------------------------------------------------


def write_sessions(learners: int) -> Path:
    """Log learners and leads in ahead of time (password hashing is slow by design)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Membership, User

    users = list(
        User.objects.filter(username__startswith="scale-learner-").order_by("username")[:learners]
    )
    users += list(User.objects.filter(username__startswith="scale-lead-"))
    sessions = {}
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions[user.username] = store.session_key
        if user.username.startswith("scale-lead-"):
            cohort = (
                Membership.objects.filter(user=user, role="lead")
                .values_list("cohort_id", flat=True)
                .first()
            )
            sessions["cohort-of-" + user.username] = cohort
    path = WORK / "sessions.json"
    path.write_text(json.dumps(sessions))
    return path


def start_gunicorn() -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "quizsite.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--no-control-socket",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            str(WORK / "gunicorn.log"),
        ],
        cwd=ROOT,
        env=settings_env(SECURE_COOKIES="0"),
    )
    CHILDREN.append(server)
    import urllib.request

    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{HOST}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def locust(
    mode: str, users: int, seconds: int, classes: list[str], sessions: Path
) -> dict[str, dict]:
    prefix = WORK / f"{mode}-{users}"
    ledger = WORK / f"{mode}-{users}-ledger.jsonl"
    timings = WORK / f"{mode}-{users}-timings.json"
    run = subprocess.Popen(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "tests" / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(users // 2, 1)),
            "-t",
            f"{seconds}s",
            "--host",
            HOST,
            "--csv",
            str(prefix),
            "--only-summary",
            "--reset-stats",
            "--stop-timeout",
            "5",
            "--loglevel",
            "ERROR",
            *classes,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "BENCH_MODE": mode,
            "BENCH_SESSIONS": str(sessions),
            "BENCH_LEDGER": str(ledger),
            "BENCH_TIMINGS": str(timings),
            "PYTHONPATH": str(ROOT),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    CHILDREN.append(run)
    _, errors = run.communicate(timeout=seconds + 60)
    stats = {}
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
    stats["_ledger"] = ledger
    if mode == "day":
        stats.update(steady_state(timings, seconds))
    if run.returncode not in (0, 1):
        print(errors, file=sys.stderr)
    return stats


def steady_state(path: Path, seconds: int) -> dict[str, dict]:
    """Latency per endpoint after the warm-up; errors over the whole run."""
    records = json.loads(path.read_text())
    if not records:
        return {}
    began = min(r[0] for r in records)
    out: dict[str, dict] = {}
    names = [*sorted({r[1] for r in records}), "Aggregated"]
    for name in names:
        rows = [r for r in records if name in ("Aggregated", r[1])]
        steady = [r[2] for r in rows if r[0] - began >= WARMUP_SECONDS]
        if not steady:
            continue
        out[name] = {
            "requests": len(steady),
            "failures": sum(1 for r in rows if not r[3]),
            "rps": len(steady) / max(seconds - WARMUP_SECONDS, 1),
            "p50": percentile(steady, 50),
            "p95": percentile(steady, 95),
            "p99": percentile(steady, 99),
        }
    return out


def verify(ledger_path: Path) -> dict:
    """Every acknowledged answer stored with its final value; every submit finalized once."""
    from django.db.models import Count

    from exams.models import Attempt, AttemptItem, ObjectiveResult

    entries, submitted = [], []
    for line in ledger_path.read_text().splitlines():
        record = json.loads(line)
        if "submitted" in record:
            submitted = record["submitted"]
        else:
            entries.append(record)
    stored = {
        (a, p): r
        for a, p, r in AttemptItem.objects.filter(
            attempt_id__in={e["attempt"] for e in entries}
        ).values_list("attempt_id", "position", "response")
    }
    lost, acknowledged = [], 0
    for entry in entries:
        sent = entry["sent"]
        acked = [i for i, (_, ok) in enumerate(sent) if ok]
        if not acked:
            continue
        acknowledged += 1
        allowed = [answer for answer, _ in sent[acked[-1] :]]
        if stored.get((entry["attempt"], entry["position"])) not in allowed:
            lost.append(entry)
    finalized = dict(Attempt.objects.filter(pk__in=submitted).values_list("pk", "status"))
    results = dict(
        ObjectiveResult.objects.filter(attempt_id__in=submitted)
        .values("attempt_id")
        .annotate(n=Count("id"))
        .values_list("attempt_id", "n")
    )
    objectives = dict(
        AttemptItem.objects.filter(attempt_id__in=submitted)
        .values("attempt_id")
        .annotate(n=Count("objective_id", distinct=True))
        .values_list("attempt_id", "n")
    )
    not_final = [a for a in submitted if finalized.get(a) != "submitted"]
    doubled = [a for a in submitted if results.get(a) != objectives.get(a)]
    return {
        "answers": len(entries),
        "lost": len(lost),
        "submitted": len(submitted),
        "not_finalized": len(not_final),
        "finalized_twice": len(doubled),
        "examples": lost[:3],
    }


# --- report ------------------------------------------------------------------------


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    postgres = subprocess.run(
        ["psql", f"{PG_BASE}/postgres", "-Atc", "show server_version"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(memory) // 1024 // 1024} GiB RAM; PostgreSQL {postgres} on the same "
        f"machine; Python {platform.python_version()}; gunicorn 2 workers × 4 threads, DEBUG off; the load "
        f"generator (locust) runs on the same cores."
    )


def report(bare, save, days, cohort_rows, start_rows, checks) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make bench` on: {machine()}",
        "",
    ]
    ceiling = bare["GET /healthz (bare view)"]["rps"]
    autosave = save["POST autosave"]["rps"]
    lines += [
        "### Throughput against the bare view",
        "",
        "| endpoint (flat out, 50 users, 15 s) | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for name, stats in (
        ("GET /healthz (bare view)", bare["GET /healthz (bare view)"]),
        ("POST autosave", save["POST autosave"]),
        ("GET take page", save.get("GET take page")),
    ):
        if stats:
            lines.append(
                f"| {name} | {stats['rps']:.0f} | {stats['p50']:.0f} | {stats['p95']:.0f} | {stats['p99']:.0f} | {stats['failures']} |"
            )
    lines += [
        "",
        f"Autosave throughput is **{100 * autosave / ceiling:.0f} %** of the bare view's.",
        "",
    ]
    lines += [
        "### The exam day",
        "",
        f"Each run lasts {DAY_SECONDS} s; latencies and rates are for the last {DAY_SECONDS - WARMUP_SECONDS} s, after the learners have arrived (errors count over the whole run). Learners are in the 65-question simulation, each at a different stage; they load a question, answer it after 3–8 s of thought (the real exam allows 83 s a question, so this is ten to twenty times busier), change 20 % of their answers, flag 10 %, submit at the end and start again. Two team leads refresh their 2,000-member cohort page every 2–4 s.",
        "",
    ]
    lines += [
        "| learners | endpoint | requests | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for users, stats in days.items():
        for name in (
            "POST start attempt",
            "GET take page",
            "POST autosave",
            "POST flag",
            "POST submit",
            "GET cohort page",
            "Aggregated",
        ):
            if name in stats:
                s = stats[name]
                lines.append(
                    f"| {users} | {name} | {s['requests']} | {s['rps']:.1f} | {s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} | {s['failures']} |"
                )
    lines += [
        "",
        "| learners | items with acknowledged answers | lost | attempts submitted | not finalized | finalized twice |",
        "|---|---|---|---|---|---|",
    ]
    for users, check in checks.items():
        lines.append(
            f"| {users} | {check['answers']} | {check['lost']} | {check['submitted']} | {check['not_finalized']} | {check['finalized_twice']} |"
        )
    lines += [
        "",
        "### Cost curves (server time in-process, production settings, 20 requests after 2 warm-ups)",
        "",
        "| measurement | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|",
    ]
    for row in cohort_rows + start_rows:
        lines.append(f"| {row['name']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['max']:.1f} |")
    return "\n".join(lines) + "\n"


def targets(bare, save, days, checks, cohort_rows, start_rows) -> list[tuple[str, bool, str]]:
    ratio = save["POST autosave"]["rps"] / bare["GET /healthz (bare view)"]["rps"]
    at200 = days.get(200, {}).get("Aggregated", {"failures": -1})
    return [
        ("zero errors at 200 learners", at200["failures"] == 0, f"{at200['failures']} errors"),
        (
            "zero lost answers at every load",
            all(c["lost"] == 0 for c in checks.values()),
            ", ".join(f"{u}: {c['lost']}" for u, c in checks.items()),
        ),
        ("autosave ≥ 40 % of the bare view", ratio >= 0.4, f"{100 * ratio:.0f} %"),
        (
            "autosave p95 < 150 ms at 100 learners",
            days[100]["POST autosave"]["p95"] < 150,
            f"{days[100]['POST autosave']['p95']:.0f} ms",
        ),
        (
            "cohort page (2,000 members) p95 < 300 ms",
            cohort_rows[-1]["p95"] < 300,
            f"{cohort_rows[-1]['p95']:.0f} ms",
        ),
        (
            "start with 10,000 questions < 100 ms",
            start_rows[-1]["p95"] < 100,
            f"p95 {start_rows[-1]['p95']:.0f} ms",
        ),
    ]


def write_doc(text: str) -> None:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    doc = DOC.read_text() if DOC.exists() else f"# Performance\n\n{start}\n{end}\n"
    head, rest = doc.split(start, 1)
    tail = rest.split(end, 1)[1]
    DOC.write_text(f"{head}{start}\n{text}{end}{tail}")


def main() -> int:
    signal.signal(signal.SIGALRM, timeout)
    signal.alarm(LIMIT_SECONDS)
    WORK.mkdir(parents=True, exist_ok=True)
    began = time.time()
    build_database()
    setup_django()
    say("cohort page at 50, 500 and 2,000 members")
    cohort_rows = importlib.import_module("tests.bench.cohort_curve").measure()
    say("starting an attempt with 100, 1,000 and 10,000 questions")
    start_rows = start_curve()
    from tests.bench.item_analysis import record  # its own section of docs/performance.md

    record()
    sessions = write_sessions(200)
    start_gunicorn()
    try:
        say("ceiling: bare view, 50 users flat out, 15 s")
        bare = locust("bare", 50, 15, ["BareView"], sessions)
        say("autosave flat out, 50 users, 15 s")
        save = locust("save", 50, 15, ["Learner"], sessions)
        checks = {"autosave flat out": verify(save.pop("_ledger"))}
        days = {}
        for users in (50, 100, 200):
            say(f"exam day: {users} learners + 2 team leads, {DAY_SECONDS} s")
            days[users] = locust("day", users + 2, DAY_SECONDS, ["Learner", "TeamLead"], sessions)
            checks[users] = verify(days[users].pop("_ledger"))
        bare.pop("_ledger")
    finally:
        stop_children()
    text = report(bare, save, days, cohort_rows, start_rows, checks)
    results = targets(bare, save, days, checks, cohort_rows, start_rows)
    text += "\n### Targets\n\n| target | met | measured |\n|---|---|---|\n" + "".join(
        f"| {name} | {'yes' if ok else '**no**'} | {value} |\n" for name, ok, value in results
    )
    write_doc(text)
    print(text)
    say(f"done in {time.time() - began:.0f} s; docs/performance.md updated")
    subprocess.run(
        ["psql", "-q", f"{PG_BASE}/postgres", "-c", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"],
        check=False,
    )
    broken = [c for c in checks.values() if c["lost"] or c["not_finalized"] or c["finalized_twice"]]
    if broken:
        print(
            f"BENCH FAILED: answers lost or attempts not finalized once: {broken}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
