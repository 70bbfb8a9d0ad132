"""`make bench`: a mock-exam day and a class day under load on this machine,
the faults a class day brings, and the cost curves.

Bounded to ten minutes, loopback only, stops by itself. It

1. starts a throwaway PostgreSQL cluster of its own (initdb and pg_ctl, data
   under /tmp, port BENCH_PG_PORT, never the shared server) and builds a
   database with the bank, the demo exams and `seed_scale` data (2,000
   learners × 10 attempts);
2. measures in-process (Django's test client, production settings) the cohort
   page for 50, 500 and 2,000 members and starting an attempt with a bank of
   100, 1,000 and 10,000 questions;
3. starts gunicorn with production settings (DEBUG off, 2 workers) and drives
   it with locust: a bare view as the ceiling, autosave flat out, then the exam
   day at 50, 100 and 200 learners (65-question simulation, think time,
   changed answers, flags, submits) with two team leads refreshing;
4. runs the class day: 250, 500 and 1,000 learners, logged in beforehand,
   open the home page and start the 65-question simulation within 30 s, then
   think 20–60 s per question; latency per endpoint for the start wave and
   the steady state apart, and the CPU of gunicorn, PostgreSQL and locust;
5. runs the faults: a gunicorn worker killed (kill -9), PostgreSQL restarted,
   and a slow database (latency added to every statement by a proxy);
6. checks after every run that every acknowledged answer is stored with its
   final value and every submitted attempt was finalized once — and fails
   loudly otherwise;
7. prints the tables and writes them into docs/performance.md.

`make bench SCENARIO=NAME` runs one part alone and rewrites only its section:
`exam-day`, `classday` (all three), `classday-N` (any N, e.g. classday-1000),
`faults`, `fault-worker-kill`, `fault-pg-restart`, `fault-slow-db`, and
`workers` (sync, gthread and gevent workers flat out; not part of the
default run, which must stay within ten minutes).

More in-process measurements hook in with one line: append a function to
IN_PROCESS (rows for the cost-curve table, or a Markdown section of its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import importlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PORT = int(os.environ.get("BENCH_PORT", "8766"))
HOST = f"http://127.0.0.1:{PORT}"
# The bench's own PostgreSQL cluster: restarted by a fault run, so never the shared one.
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5544"))
PROXY_PORT = PG_PORT + 1  # the slow-database proxy in front of it
WORK = Path(os.environ.get("BENCH_DIR", f"/tmp/quizsite-bench-{PORT}"))
PG_DATA = WORK / "pgdata"
PG_BASE = f"postgres://postgres@127.0.0.1:{PG_PORT}"
DB = "quizsite_bench"
DB_URL = f"{PG_BASE}/{DB}"
SECRET = "bench-only-secret-key-" + "k" * 40  # shared by this process and gunicorn
DOC = ROOT / "docs" / "performance.md"
LIMIT_SECONDS = 570
DAY_SECONDS = int(os.environ.get("BENCH_DAY_SECONDS", "30"))
WARMUP_SECONDS = 12  # learners arriving: their first page and start are left out
CLASS_SIZES = tuple(int(n) for n in os.environ.get("BENCH_CLASS_SIZES", "250,500,1000").split(","))
WAVE_SECONDS = int(os.environ.get("BENCH_WAVE_SECONDS", "30"))  # every learner starts within
STEADY_SECONDS = int(os.environ.get("BENCH_STEADY_SECONDS", "30"))
# Keep the last run's cluster and data (migrated): for trying a change again
# quickly; the figures written are then of a database that earlier runs used.
REUSE_DB = os.environ.get("BENCH_REUSE_DB") == "1"
FAULT_LEARNERS = int(os.environ.get("BENCH_FAULT_LEARNERS", "150"))
FAULT_SECONDS = 30
FAULT_AT = 10  # seconds into a fault run
DAY_SIZES = (100, 200)
# gunicorn as production runs it (quizsite/gunicorn.conf.py), or as BENCH_* say.
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "")
WORKERS = os.environ.get("BENCH_WORKERS", "")
THREADS = os.environ.get("BENCH_THREADS", "")
CHILDREN: list[subprocess.Popen] = []
LEARNER_ENDPOINTS = (
    "GET home",
    "POST start attempt",
    "GET take page",
    "POST autosave",
    "POST flag",
    "POST submit",
)


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
    CHILDREN.clear()


def timeout(*_args) -> None:
    stop_children()
    cluster_stop()
    print("bench: stopped (over the ten-minute bound, or terminated)", file=sys.stderr)
    os._exit(2)


# --- the bench's own PostgreSQL cluster ------------------------------------------


def as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, **kwargs)


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"bench: {name} not found (PostgreSQL's server binaries are needed)")
    return str(candidates[-1])


def cluster_start() -> None:
    """A fresh cluster on PG_PORT with its data under WORK, for this run only
    (with BENCH_REUSE_DB=1, the last run's cluster if there is one)."""
    cluster_stop()
    if REUSE_DB and (PG_DATA / "PG_VERSION").exists():
        cluster_ctl("start")
        return
    if PG_DATA.exists():
        shutil.rmtree(PG_DATA)
    WORK.mkdir(parents=True, exist_ok=True)
    PG_DATA.mkdir()
    if os.geteuid() == 0:
        shutil.chown(WORK, "postgres")
        shutil.chown(PG_DATA, "postgres")
    as_postgres(
        pg_bin("initdb"),
        "-D",
        str(PG_DATA),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
        stdout=subprocess.DEVNULL,
    )
    cluster_ctl("start")


def cluster_ctl(action: str) -> None:
    options = f"-p {PG_PORT} -c listen_addresses=127.0.0.1 -k {PG_DATA} -c max_connections=200"
    args = ["-o", options] if action in ("start", "restart") else []
    extra = ["-m", "fast"] if action in ("stop", "restart") else []
    as_postgres(
        pg_bin("pg_ctl"),
        "-D",
        str(PG_DATA),
        "-l",
        str(PG_DATA / "server.log"),
        "-w",
        *extra,
        *args,
        action,
        stdout=subprocess.DEVNULL,
    )


def cluster_stop() -> None:
    if (PG_DATA / "postmaster.pid").exists():
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster_ctl("stop")


def postmaster_pid() -> int | None:
    try:
        return int((PG_DATA / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# --- CPU ------------------------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / TICK


def tree_cpu(root: int | None) -> float:
    """CPU seconds used by `root` and every process under it (reaped ones included)."""
    if root is None:
        return 0.0
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            stats[int(entry.name)] = stat
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo += children.get(pid, [])
    return total


class CpuMeter:
    """Samples the CPU of named process trees every half second."""

    def __init__(self, roots: dict[str, Callable[[], int | None]]) -> None:
        self.roots = roots
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(
                (time.time(), {name: tree_cpu(root()) for name, root in self.roots.items()})
            )
            self._stop.wait(0.5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def percent(self, name: str, start: float, end: float) -> float:
        """Average CPU of `name` between two moments, in % of one core."""
        # From the first sample that found the process (locust starts a moment later).
        inside = [(t, v[name]) for t, v in self.samples if start <= t <= end and v[name] > 0]
        if len(inside) < 2:
            return 0.0
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return max(0.0, 100 * (c1 - c0) / max(t1 - t0, 1e-6))


NONE = {"requests": 0, "failures": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


# --- database -----------------------------------------------------------------


def database_exists() -> bool:
    found = subprocess.run(
        [
            "psql",
            "-tAq",
            f"{PG_BASE}/postgres",
            "-c",
            f"SELECT 1 FROM pg_database WHERE datname = '{DB}'",
        ],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() == "1"


def build_database() -> None:
    say(f"own PostgreSQL cluster on port {PG_PORT} ({PG_DATA})")
    cluster_start()
    if REUSE_DB and database_exists():
        # For trying a change again quickly: the data of the last run, migrated.
        say("BENCH_REUSE_DB=1: the database of the last run, migrated")
        manage("migrate", "--no-input", "-v0")
        manage("collectstatic", "--no-input", "-v0")
        return
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
    # Production settings serve hashed static names: pages need the manifest
    # (compressing every file is slow: done again only when a file changed).
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    sources = [f for f in (ROOT / "static").rglob("*") if f.is_file()]
    if not manifest.exists() or any(f.stat().st_mtime > manifest.stat().st_mtime for f in sources):
        manage("collectstatic", "--no-input", "-v0")
    manage("load_bank", "exams/bank/aif-c01-task-3.3.yaml")
    manage("seed_demo", DEBUG="1")
    learners = os.environ.get("BENCH_SEED_LEARNERS", "2000")  # fewer only to try the bench out
    manage(
        "seed_scale",
        "--learners",
        learners,
        "--attempts",
        "10",
        "--cohort-size",
        learners,
        "--force",
    )


def setup_django() -> None:
    os.environ.update(settings_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- in-process curves ------------------------------------------------------------


def cohort_curve() -> list[dict]:
    """The cohort page computed fresh at 50, 500 and 2,000 members (tests/bench/cohort_curve.py)."""
    return importlib.import_module("tests.bench.cohort_curve").measure()


def item_analysis() -> list[dict]:
    """The question changelist with item analysis; writes its own section of the doc."""
    importlib.import_module("tests.bench.item_analysis").record()
    return []


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
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

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


def gunicorn_args() -> list[str]:
    """The production command line (quizsite/gunicorn.conf.py), or BENCH_* overrides."""
    args = ["--config", str(ROOT / "quizsite" / "gunicorn.conf.py")]
    if WORKER_CLASS:
        args += ["--worker-class", WORKER_CLASS]
    if WORKERS:
        args += ["--workers", WORKERS]
    if THREADS:
        args += ["--threads", THREADS]
    return args


def start_gunicorn(database_url: str = DB_URL, args: list[str] | None = None) -> subprocess.Popen:
    log = open(WORK / "gunicorn.log", "a")  # noqa: SIM115 (the server's lifetime)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "quizsite.wsgi:application",
            *(gunicorn_args() if args is None else args),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--no-control-socket",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            str(WORK / "gunicorn.log"),
        ],
        cwd=ROOT,
        env=settings_env(SECURE_COOKIES="0", DATABASE_URL=database_url),
        stdout=log,
        stderr=log,  # the site's own log lines too: outages are expected in fault runs
    )
    CHILDREN.append(server)
    import urllib.request

    for _ in range(150):
        try:
            with urllib.request.urlopen(f"{HOST}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        raise RuntimeError("gunicorn did not start")
    # One worker answered; the others may still be importing Django. Wait until
    # the workers' CPU settles so a measurement does not pay for their boot.
    used = tree_cpu(server.pid)
    for _ in range(40):
        time.sleep(0.5)
        now = tree_cpu(server.pid)
        if now - used < 0.05:
            break
        used = now
    if (WORK / "sessions.json").exists():  # written by write_sessions() before
        warm_up(WORK / "sessions.json")
    return server


def warm_up(sessions: Path) -> None:
    """Every worker thread opens its database connection and compiles the
    templates once, as a server that has been up for a while has: a few
    rounds of the home page, signed in, from many threads at once."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    key = next(v for k, v in json.loads(sessions.read_text()).items() if "learner" in k)

    def fetch(_: int) -> None:
        request = urllib.request.Request(
            f"{HOST}/",
            headers={"Cookie": f"sessionid={key}", "X-Forwarded-Proto": "https"},
        )
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=30).read()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(fetch, range(64)))


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    CHILDREN.remove(server)


def gunicorn_description() -> str:
    """What gunicorn ran as, read from the settings it was given."""
    out = subprocess.run(
        [str(BIN / "python"), "-c", GUNICORN_PROBE, *gunicorn_args()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=settings_env(),
    ).stdout.strip()
    return out or "gunicorn"


GUNICORN_PROBE = """
import sys
from gunicorn.app.wsgiapp import WSGIApplication
sys.argv = ["gunicorn", *sys.argv[1:], "quizsite.wsgi:application"]
c = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg
kind = c.worker_class_str
threads = f" × {c.threads} threads" if kind == "gthread" else ""
print(f"gunicorn {c.workers} {kind} workers{threads}")
"""


def locust(
    mode: str,
    users: int,
    seconds: int,
    classes: list[str],
    sessions: Path,
    *,
    spawn_seconds: float = 2,
    think: str = "",
    label: str = "",
    during: Callable[[float], None] | None = None,
) -> dict[str, dict]:
    """One locust run; `during(t0)` runs in a thread alongside (the fault)."""
    label = label or f"{mode}-{users}"
    prefix = WORK / label
    ledger = WORK / f"{label}-ledger.jsonl"
    timings = WORK / f"{label}-timings.json"
    began = time.time()
    run = subprocess.Popen(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "tests" / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            f"{max(users / spawn_seconds, 1):.2f}",
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
            **({"BENCH_THINK": think} if think else {}),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    CHILDREN.append(run)
    helper = None
    if during is not None:
        helper = threading.Thread(target=during, args=(began,), daemon=True)
        helper.start()
    _, errors = run.communicate(timeout=seconds + 60)
    CHILDREN.remove(run)
    if helper is not None:
        helper.join(timeout=60)
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
    stats["_timings"] = timings
    stats["_pid"] = run.pid
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
    from django.db import connection
    from django.db.models import Count

    from exams.models import Attempt, AttemptItem, ObjectiveResult

    connection.close()  # the server may have restarted under this connection
    entries, submitted, retries = [], [], {}
    for line in ledger_path.read_text().splitlines():
        record = json.loads(line)
        if "submitted" in record:
            submitted = record["submitted"]
        elif "retries" in record:
            retries = record["retries"]
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
        "retries": retries,
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
        f"machine (the bench's own cluster, default settings); Python {platform.python_version()}; "
        f"{gunicorn_description()}, DEBUG off; the load generator (locust) runs on the same cores."
    )


def report(bare, save, days, curves, checks) -> str:
    lines = []
    ceiling = bare["GET /healthz (bare view)"]["rps"]
    autosave = save.get("POST autosave", NONE)["rps"]
    lines += [
        "### Throughput against the bare view",
        "",
        "| endpoint (flat out, 50 users, 15 s) | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for name, stats in (
        ("GET /healthz (bare view)", bare["GET /healthz (bare view)"]),
        ("POST autosave", save.get("POST autosave")),
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
    for row in curves:
        lines.append(f"| {row['name']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['max']:.1f} |")
    return "\n".join(lines) + "\n"


def stamp() -> str:
    return f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make bench`."


def targets(bare, save, days, checks, curves) -> list[tuple[str, bool, str]]:
    ratio = save.get("POST autosave", NONE)["rps"] / bare["GET /healthz (bare view)"]["rps"]
    curve = {row["name"]: row for row in curves}
    found = []
    for name, label, limit in (
        ("cohort page, 2000 members", "cohort page (2,000 members) p95 < 300 ms", 300),
        (
            "start a 65-question attempt, bank of 10,000",
            "start with 10,000 questions < 100 ms",
            100,
        ),
    ):
        if name in curve:
            found.append((label, curve[name]["p95"] < limit, f"p95 {curve[name]['p95']:.0f} ms"))
    at200 = days.get(200, {}).get("Aggregated", {"failures": -1})
    return [
        ("zero errors at 200 learners", at200["failures"] == 0, f"{at200['failures']} errors"),
        (
            "zero lost answers at every load",
            all(c["lost"] == 0 for c in checks.values()),
            ", ".join(f"{u}: {c['lost']}" for u, c in checks.items()),
        ),
        ("autosave ≥ 50 % of the bare view", ratio >= 0.5, f"{100 * ratio:.0f} %"),
        (
            "autosave p95 < 150 ms at 100 learners",
            days[100].get("POST autosave", NONE)["p95"] < 150,
            f"{days[100].get('POST autosave', NONE)['p95']:.0f} ms",
        ),
        *found,
    ]


# --- the class day ----------------------------------------------------------------


def fresh_class() -> None:
    """No learner has the simulation in progress: every one of them starts it anew."""
    from django.db import connection

    from exams.models import Attempt

    connection.close()
    Attempt.objects.filter(exam__slug="full-length-simulation", status="in_progress").delete()


def phases(path: Path, wave_seconds: float) -> dict[str, dict[str, dict]]:
    """Per endpoint: the start wave (home and start, and everything sent in the
    first `wave_seconds`), the steady state (the rest) and the whole run."""
    records = json.loads(path.read_text())
    out: dict[str, dict[str, dict]] = {"start wave": {}, "steady state": {}, "whole run": {}}
    if not records:
        return out
    began = min(r[0] - r[2] / 1000 for r in records)
    wave_only = {"GET home", "POST start attempt"}

    def phase_of(record) -> str:
        sent = record[0] - record[2] / 1000 - began
        return "start wave" if record[1] in wave_only or sent < wave_seconds else "steady state"

    grouped: dict[tuple[str, str], list] = {}
    for record in records:
        for phase in (phase_of(record), "whole run"):
            grouped.setdefault((phase, record[1]), []).append(record)
    for (phase, name), rows in grouped.items():
        times = [r[2] for r in rows]
        end = max(r[0] for r in records) - began
        span = {"start wave": wave_seconds, "steady state": end - wave_seconds}.get(phase, end)
        out[phase][name] = {
            "requests": len(rows),
            "failures": sum(1 for r in rows if not r[3]),
            "rps": len(rows) / max(span, 1),
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
            "p99": percentile(times, 99),
        }
    return out


def class_day(learners: int, sessions: Path, server: subprocess.Popen) -> dict:
    fresh_class()
    meter = CpuMeter(
        {
            "gunicorn": lambda: server.pid,
            "PostgreSQL": postmaster_pid,
            "locust": lambda: LOCUST_PID[0],
        }
    )
    seconds = WAVE_SECONDS + STEADY_SECONDS
    say(f"class day: {learners:,} learners start within {WAVE_SECONDS} s, then {STEADY_SECONDS} s")

    def track(t0: float) -> None:
        # The locust process is the newest child: find it for the CPU meter.
        for _ in range(50):
            if CHILDREN and CHILDREN[-1] is not server:
                LOCUST_PID[0] = CHILDREN[-1].pid
                return
            time.sleep(0.1)

    began = time.time()
    stats = locust(
        "classday",
        learners,
        seconds,
        ["Learner"],
        sessions,
        spawn_seconds=WAVE_SECONDS,
        label=f"classday-{learners}",
        during=track,
    )
    meter.stop()
    wave_end = began + WAVE_SECONDS
    cpu = {
        phase: {name: meter.percent(name, start, end) for name in meter.roots}
        for phase, start, end in (
            ("start wave", began, wave_end),
            ("steady state", wave_end, time.time()),
        )
    }
    return {
        "learners": learners,
        "phases": phases(stats["_timings"], WAVE_SECONDS),
        "cpu": cpu,
        "check": verify(stats["_ledger"]),
    }


LOCUST_PID: list[int | None] = [None]


def class_day_section(run: dict) -> str:
    learners = run["learners"]
    lines = [
        f"#### {learners:,} learners",
        "",
        "| learners | phase | endpoint | requests | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in ("start wave", "steady state", "whole run"):
        for name in LEARNER_ENDPOINTS:
            if s := run["phases"][phase].get(name):
                lines.append(
                    f"| {learners:,} | {phase} | {name} | {s['requests']} | {s['rps']:.1f} | "
                    f"{s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} | {s['failures']} |"
                )
    lines += [
        "",
        "| phase | gunicorn CPU | PostgreSQL CPU | locust CPU |",
        "|---|---|---|---|",
    ]
    for phase, cpu in run["cpu"].items():
        lines.append(
            f"| {phase} | {cpu['gunicorn']:.0f} % | {cpu['PostgreSQL']:.0f} % | {cpu['locust']:.0f} % |"
        )
    c = run["check"]
    lines += [
        "",
        f"Nothing lost: {c['answers']} items with acknowledged answers, **{c['lost']} lost**; "
        f"{c['submitted']} attempts submitted, {c['not_finalized']} not finalized, "
        f"{c['finalized_twice']} finalized twice.",
        "",
        *class_day_targets(run),
    ]
    return "\n".join(lines) + "\n"


def class_day_targets(run: dict) -> list[str]:
    whole, steady = run["phases"]["whole run"], run["phases"]["steady state"]
    errors = sum(s["failures"] for s in whole.values())
    slowest = max(
        ((s["p95"], name) for name, s in whole.items() if name in LEARNER_ENDPOINTS),
        default=(0, "-"),
    )
    save = steady.get("POST autosave", {"p95": float("nan")})
    wave = run["phases"]["start wave"]
    wave_slowest = max(
        ((s["p95"], name) for name, s in wave.items() if name in LEARNER_ENDPOINTS),
        default=(0, "-"),
    )
    checks = [
        ("zero errors", errors == 0, f"{errors}"),
        ("zero lost answers", run["check"]["lost"] == 0, f"{run['check']['lost']}"),
        (
            "p95 < 1 s for every learner endpoint, whole run",
            slowest[0] < 1000,
            f"slowest {slowest[1]}: {slowest[0]:.0f} ms (start wave: {wave_slowest[1]} {wave_slowest[0]:.0f} ms)",
        ),
        ("autosave p95 < 150 ms, steady state", save["p95"] < 150, f"{save['p95']:.0f} ms"),
    ]
    return [
        "| target | met | measured |",
        "|---|---|---|",
        *(f"| {name} | {'yes' if ok else '**no**'} | {value} |" for name, ok, value in checks),
    ]


# --- faults ---------------------------------------------------------------------------


class SlowProxy:
    """A TCP proxy to PostgreSQL that holds every message to the server for
    `delay` seconds: each statement (each round trip) becomes that much slower."""

    def __init__(self, listen: int, target: int) -> None:
        self.delay = 0.0
        self.listen, self.target = listen, target
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.listen)
        )
        ready.set()
        self.loop.run_forever()
        server.close()

    async def _pipe(self, reader, writer, slow: bool) -> None:
        try:
            while data := await reader.read(65536):
                if slow and self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _handle(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pipe(reader, up_writer, True), self._pipe(up_reader, writer, False)
        )

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


def worker_pids(server: subprocess.Popen) -> list[int]:
    return sorted(
        int(e.name)
        for e in Path("/proc").iterdir()
        if e.name.isdigit() and (st := _stat(int(e.name))) and st[0] == server.pid
    )


def fault_run(name: str, sessions: Path, server: subprocess.Popen, fault: Callable) -> dict:
    fresh_class()
    window: dict[str, float] = {}

    def during(t0: float) -> None:
        time.sleep(max(0.0, t0 + FAULT_AT - time.time()))
        window["start"] = time.time()
        window["note"] = fault()
        window["end"] = time.time()

    stats = locust(
        "day",
        FAULT_LEARNERS,
        FAULT_SECONDS,
        ["Learner"],
        sessions,
        spawn_seconds=5,
        label=name,
        during=during,
    )
    records = json.loads(stats["_timings"].read_text())
    failures = [r for r in records if not r[3]]
    # Failures of requests sent after the fault ended and its Retry-After
    # (5 s) passed are not the fault's: the site should have recovered.
    after = window.get("end", 0) + 5
    late = [r for r in failures if r[0] - r[2] / 1000 > after]
    by_endpoint: dict[str, int] = {}
    for r in failures:
        by_endpoint[r[1]] = by_endpoint.get(r[1], 0) + 1
    save = stats.get("POST autosave", {"p95": 0, "p99": 0, "requests": 0})
    return {
        "name": name,
        "fault": window.get("note", ""),
        "outage": window.get("end", 0) - window.get("start", 0),
        "requests": len(records),
        "errors": len(failures),
        "late_errors": len(late),
        "by_endpoint": by_endpoint,
        "autosave": save,
        "check": verify(stats["_ledger"]),
    }


def kill_a_worker(server: subprocess.Popen) -> Callable[[], str]:
    def fault() -> str:
        # The worker busiest over the last half second: the one most likely
        # to have requests in flight.
        pids = worker_pids(server)
        before = {pid: tree_cpu(pid) for pid in pids}
        time.sleep(0.5)
        victim = max(pids, key=lambda pid: tree_cpu(pid) - before[pid])
        os.kill(victim, signal.SIGKILL)
        return f"kill -9 of the busiest of {len(pids)} gunicorn workers"

    return fault


def restart_postgres() -> str:
    started = time.time()
    cluster_ctl("restart")
    return f"`pg_ctl restart -m fast` of the cluster, {time.time() - started:.1f} s"


def slow_database(proxy: SlowProxy, delay: float, seconds: float) -> Callable[[], str]:
    def fault() -> str:
        proxy.delay = delay
        time.sleep(seconds)
        proxy.delay = 0.0
        return f"{1000 * delay:.0f} ms added to every statement for {seconds:.0f} s"

    return fault


FAULT_EXPLAINED = {
    "fault-worker-kill": "Requests in flight on the killed worker get no reply (the connection "
    "closes); gunicorn starts a new worker at once. The learner's page says \"Not saved — "
    'retrying" and sends the answer again, which the surviving workers store.',
    "fault-pg-restart": "While PostgreSQL restarts, requests get 503 with `Retry-After: 5` "
    "(or, caught mid-query, the connection's error becomes the same 503); Django reconnects by "
    "itself (`CONN_HEALTH_CHECKS`), no gunicorn restart. Saves are retried after 5 s and stored.",
    "fault-slow-db": "Every round trip to PostgreSQL is held back through a proxy: requests queue "
    "behind the slow ones and take seconds; one that waits past the page's 20 s timeout is sent "
    "again (the table counts them) with the next write number, so a save that did land "
    "meanwhile is not applied twice.",
}


def faults_section(runs: list[dict]) -> str:
    lines = [
        f"Each fault run: {FAULT_LEARNERS} learners in the simulation (at every stage, 3–8 s of "
        f"thought, so submits happen too), {FAULT_SECONDS} s, the fault {FAULT_AT} s in. "
        "Errors are requests that got no reply or a 5xx; every learner then behaves as the exam "
        "page does (retry with the next write number after `Retry-After` or a back-off).",
        "",
        "| fault | what happened | requests | errors (by endpoint) | errors after it | saves retried | retries sent | lost | submitted | not finalized / twice |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        c, r = run["check"], run["check"]["retries"]
        by = ", ".join(f"{n}: {k}" for n, k in sorted(run["by_endpoint"].items())) or "none"
        lines.append(
            f"| {run['name']} | {run['fault']} | {run['requests']} | {run['errors']} ({by}) | "
            f"{run['late_errors']} | {r.get('saves retried', 0)} | {r.get('retries sent', 0)} | "
            f"**{c['lost']}** of {c['answers']} | {c['submitted']} | "
            f"{c['not_finalized']} / {c['finalized_twice']} |"
        )
    lines.append("")
    for run in runs:
        lines.append(f"- **{run['name']}**: {FAULT_EXPLAINED[run['name']]}")
    return "\n".join(lines) + "\n"


# --- gunicorn's worker class ----------------------------------------------------------

WORKER_CHOICES = (
    ("sync", ["--worker-class", "sync", "--workers", "5", "--threads", "1"]),
    ("gthread", ["--worker-class", "gthread", "--workers", "4", "--threads", "4"]),
    ("gevent", ["--worker-class", "gevent", "--workers", "4", "--worker-connections", "100"]),
)


def worker_classes(sessions: Path) -> str:
    """The same flat-out runs against each worker class gunicorn offers."""
    lines = [
        "Flat out, 50 users, 15 s each; the bare view, then autosave (with its take page).",
        "",
        "| worker class | processes × concurrency | bare view requests/s | autosave requests/s "
        "| autosave p50 ms | autosave p95 ms | take page p95 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    config = ["--config", str(ROOT / "quizsite" / "gunicorn.conf.py")]
    for name, args in WORKER_CHOICES:
        say(f"worker class {name}")
        server = start_gunicorn(args=[*config, *args])
        fresh_class()
        bare = locust("bare", 50, 15, ["BareView"], sessions, label=f"workers-{name}-bare")
        save = locust("save", 50, 15, ["Learner"], sessions, label=f"workers-{name}-save")
        check = verify(save["_ledger"])
        stop_gunicorn(server)
        b, a = bare["GET /healthz (bare view)"], save.get("POST autosave", NONE)
        take = save.get("GET take page", {"p95": 0, "failures": 0})
        shape = f"{args[3]} × {args[5]}"
        errors = b["failures"] + a["failures"] + take["failures"]
        lines.append(
            f"| {name} | {shape} | {b['rps']:.0f} | {a['rps']:.0f} | {a['p50']:.0f} | "
            f"{a['p95']:.0f} | {take['p95']:.0f} | {errors} (lost: {check['lost']}) |"
        )
    return "\n".join(lines) + "\n"


# --- the document ---------------------------------------------------------------------


def write_doc(sections: dict[str, str]) -> None:
    """Rewrite the named sections between their markers inside the bench block;
    a section not there yet is added at the end of the block."""
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    doc = DOC.read_text() if DOC.exists() else f"# Performance\n\n{start}\n{end}\n"
    head, rest = doc.split(start, 1)
    body, tail = rest.split(end, 1)
    for name, text in sections.items():
        open_, close = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
        block = f"{open_}\n{text}{close}\n"
        if open_ in body:
            before, after = body.split(open_, 1)
            after = after.split(close, 1)[1]
            body = before + block + (after[1:] if after.startswith("\n") else after)
        else:
            body = body.rstrip("\n") + "\n" + block
    DOC.write_text(f"{head}{start}{body}{end}{tail}")


# --- what runs ------------------------------------------------------------------------

# In-process measurements on the bench database, production settings. Each
# returns rows for the cost-curve table (dicts from summary()) or a Markdown
# section of its own (a str). Add one with one line here.
IN_PROCESS: list[Callable[[], list[dict] | str]] = [cohort_curve, start_curve, item_analysis]

SCENARIOS = ("exam-day", "classday", "faults")


def wanted(scenario: str) -> tuple[set[str], list[int], list[str]]:
    """(parts, class sizes, faults) that `scenario` asks for."""
    faults = ["fault-worker-kill", "fault-pg-restart", "fault-slow-db"]
    if scenario in ("", "all"):
        return {"exam-day", "classday", "faults"}, list(CLASS_SIZES), faults
    if scenario == "exam-day":
        return {"exam-day"}, [], []
    if scenario == "workers":
        return {"workers"}, [], []
    if scenario == "classday":
        return {"classday"}, list(CLASS_SIZES), []
    if scenario.startswith("classday-") and scenario[9:].isdigit():
        return {"classday"}, [int(scenario[9:])], []
    if scenario == "faults":
        return {"faults"}, [], faults
    if scenario in faults:
        return {"faults"}, [], [scenario]
    raise SystemExit(
        f"bench: unknown SCENARIO {scenario!r}: use exam-day, workers, classday, classday-N, faults, "
        + ", ".join(faults)
    )


def exam_day(sessions: Path, checks: dict) -> str:
    """In-process cost curves, the flat-out ceiling and autosave, the exam day."""
    curves, extra = [], []
    for measure in IN_PROCESS:
        say(f"in process: {measure.__name__}")
        result = measure()
        (extra.append if isinstance(result, str) else curves.extend)(result)
    server = start_gunicorn()
    say("ceiling: bare view, 50 users flat out, 15 s")
    bare = locust("bare", 50, 15, ["BareView"], sessions)
    fresh_class()
    say("autosave flat out, 50 users, 15 s")
    save = locust("save", 50, 15, ["Learner"], sessions)
    day_checks = {"autosave flat out": verify(save.pop("_ledger"))}
    days = {}
    for users in DAY_SIZES:
        fresh_class()
        say(f"exam day: {users} learners + 2 team leads, {DAY_SECONDS} s")
        days[users] = locust("day", users + 2, DAY_SECONDS, ["Learner", "TeamLead"], sessions)
        day_checks[users] = verify(days[users].pop("_ledger"))
    stop_gunicorn(server)
    checks.update(day_checks)
    text = report(bare, save, days, curves, day_checks)
    text += "".join(f"\n{section}" for section in extra)
    results = targets(bare, save, days, day_checks, curves)
    text += "\n#### Targets of the exam day\n\n| target | met | measured |\n|---|---|---|\n"
    text += "".join(
        f"| {name} | {'yes' if ok else '**no**'} | {value} |\n" for name, ok, value in results
    )
    return text


def run_faults(names: list[str], sessions: Path, checks: dict) -> str:
    fault_runs = []
    for name in names:
        say(f"{name}: {FAULT_LEARNERS} learners, {FAULT_SECONDS} s, the fault {FAULT_AT} s in")
        proxy = None
        if name == "fault-slow-db":
            proxy = SlowProxy(PROXY_PORT, PG_PORT)
            server = start_gunicorn(f"postgres://postgres@127.0.0.1:{PROXY_PORT}/{DB}")
            fault = slow_database(proxy, 0.5, 15)
        else:
            server = start_gunicorn()
            fault = kill_a_worker(server) if name == "fault-worker-kill" else restart_postgres
        fault_runs.append(fault_run(name, sessions, server, fault))
        stop_gunicorn(server)
        if proxy is not None:
            proxy.close()
        checks[name] = fault_runs[-1]["check"]
    return faults_section(fault_runs)


def main() -> int:
    scenario = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SCENARIO", "")
    parts, sizes, faults = wanted(scenario)
    signal.signal(signal.SIGALRM, timeout)
    signal.signal(signal.SIGTERM, timeout)  # `timeout` in the Makefile, or Ctrl-C's cousin
    signal.alarm(LIMIT_SECONDS)
    WORK.mkdir(parents=True, exist_ok=True)
    began = time.time()
    checks: dict = {}

    def done(name: str, text: str) -> None:
        # Written at once: a run stopped at its time bound keeps what it measured.
        text = f"{stamp()}\n\n{text}"
        print(text, flush=True)
        write_doc({name: text})

    try:
        build_database()
        setup_django()
        write_doc({"machine": f"{stamp()} On: {machine()}\n"})
        sessions = write_sessions(max([200, *sizes, FAULT_LEARNERS if faults else 0]))
        # The class day first: it is what this bench is for.
        if sizes:
            server = start_gunicorn()
            for learners in sizes:
                run = class_day(learners, sessions, server)
                checks[f"class day {learners:,}"] = run["check"]
                done(f"classday-{learners}", class_day_section(run))
            stop_gunicorn(server)
        if faults:
            done("faults", run_faults(faults, sessions, checks))
        if "exam-day" in parts:
            done("exam-day", exam_day(sessions, checks))
        if "workers" in parts:
            done("workers", worker_classes(sessions))
    finally:
        stop_children()
        cluster_stop()
    say(f"done in {time.time() - began:.0f} s; docs/performance.md updated")
    broken = {
        k: c for k, c in checks.items() if c["lost"] or c["not_finalized"] or c["finalized_twice"]
    }
    if broken:
        print(
            f"BENCH FAILED: answers lost or attempts not finalized once: {broken}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
