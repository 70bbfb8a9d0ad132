"""Load for `make bench` (driven by tests/bench/run.py, not by pytest).

Learners are logged in before the measured phase (the driver writes their
session keys to BENCH_SESSIONS), because password hashing is deliberately slow.
Every acknowledged answer is written to BENCH_LEDGER so the driver can check
afterwards that the database holds each one with its final value.

BENCH_MODE: "bare"  — GET /healthz, no wait: the ceiling of this machine;
            "save"  — autosave as fast as possible (one item, changing answers);
            "day"   — the exam day: start the 65-question simulation, answer
                      with think time, change some answers, flag, submit;
                      team leads refresh their cohort page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from pathlib import Path

from locust import HttpUser, between, constant, events, task

MODE = os.environ.get("BENCH_MODE", "day")
SESSIONS = (
    json.loads(Path(os.environ["BENCH_SESSIONS"]).read_text())
    if "BENCH_SESSIONS" in os.environ
    else {}
)
LEDGER_PATH = os.environ.get("BENCH_LEDGER", "/tmp/bench-ledger.jsonl")
EXAM = os.environ.get("BENCH_EXAM", "full-length-simulation")
_learners = itertools.count()
_learner_slots = itertools.count()
_leads = itertools.count()
# Per item, every answer sent, in order, and whether the server acknowledged it:
# the database must hold the last acknowledged one or one sent after it (a
# request still on its way when the run stopped).
_ledger: dict[tuple[int, int], list] = {}
_submitted: list[int] = []
_lock = threading.Lock()

CHOICE = re.compile(r'name="choice" value="([0-9a-f]+)"')
RANK = re.compile(r'name="rank-([0-9a-f]+)"')
MATCH_SELECT = re.compile(r'name="match-([0-9a-f]+)"')
MATCH_VALUE = re.compile(r'<option value="([0-9a-f]{8})"')
SEQ = re.compile(r'name="seq" value="(\d+)"')
WRITER = re.compile(r'name="writer" value="([0-9a-f]+)"')
SELECT = re.compile(r"\(Select (TWO|THREE|FOUR)\.\)")
COUNT = re.compile(r"of (\d+)</span></h2>")
WORDS = {"TWO": 2, "THREE": 3, "FOUR": 4}


def answer_for(html: str, rng: random.Random) -> tuple[dict, dict]:
    """Form data answering the question on this page, and the response the
    server stores for it."""
    choices = CHOICE.findall(html)
    if choices:
        if 'type="checkbox"' in html:
            wanted = WORDS[SELECT.search(html).group(1)]
            picked = sorted(rng.sample(choices, wanted))
            return {"choice": picked}, {"choices": picked}
        picked = rng.choice(choices)
        return {"choice": picked}, {"choice": picked}
    ranks = RANK.findall(html)
    if ranks:
        order = ranks[:]
        rng.shuffle(order)
        stored = {oid: place for place, oid in enumerate(order, 1)}
        return {f"rank-{oid}": str(place) for oid, place in stored.items()}, {"ranks": stored}
    prompts = MATCH_SELECT.findall(html)
    first = html[html.index(f'name="match-{prompts[0]}"') :]
    options = MATCH_VALUE.findall(first[: first.index("</select>")])
    rng.shuffle(options)
    stored = dict(zip(prompts, options, strict=False))
    return {f"match-{p}": m for p, m in stored.items()}, {"matches": stored}


class Base(HttpUser):
    abstract = True

    def secure_headers(self, htmx: bool = False) -> dict:
        headers = {
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{self.host.split('://')[1]}/",
            "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
        }
        if htmx:
            headers["HX-Request"] = "true"
        return headers

    def log_in(self, username: str) -> None:
        self.client.cookies.set("sessionid", SESSIONS[username])
        self.client.get("/", headers=self.secure_headers(), name="GET home")


class BareView(HttpUser):
    """The ceiling: a Django view that touches the database and nothing else."""

    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/healthz", name="GET /healthz (bare view)")


class Learner(Base):
    # A real AIF-C01 gives 83 s per question; 3-8 s is ten to twenty times busier.
    wait_time = between(3, 8) if MODE == "day" else constant(0)

    def on_start(self) -> None:
        self.rng = random.Random(next(_learners))
        self.writes = 0  # the page's own count of its saves (the save protocol)
        # One learner each: a learner has one attempt in progress per exam.
        names = sorted(u for u in SESSIONS if u.startswith("scale-learner-"))
        self.username = names[next(_learner_slots) % len(names)]
        self.log_in(self.username)
        self.start_exam()

    def start_exam(self) -> None:
        response = self.client.post(
            f"/exams/{EXAM}/start/",
            headers=self.secure_headers(),
            name="POST start attempt",
            allow_redirects=False,
        )
        location = response.headers.get("Location", "")
        self.attempt = int(location.rstrip("/").split("/")[-1]) if location else None
        if self.attempt is None:
            self.wait()  # refused: do not hammer the server
        self.total = None
        self.position = 1
        if MODE == "day" and not getattr(self, "started_once", False):
            # An exam day is a snapshot: learners are at every stage of the
            # exam, and some are about to submit.
            self.started_once = True
            self.position = 65 - self.rng.randint(2, 40)

    def page(self, position: int) -> str:
        response = self.client.get(
            f"/attempts/{self.attempt}/?q={position}",
            headers=self.secure_headers(),
            name="GET take page",
        )
        if self.total is None and (match := COUNT.search(response.text)):
            self.total = int(match.group(1))
        return response.text

    def save(self, html: str, data: dict, stored: dict, writer: str | None = None) -> str:
        seq = SEQ.search(html).group(1)
        writer = writer or WRITER.search(html).group(1)
        with _lock:
            sent = _ledger.setdefault((self.attempt, self.position), [])
            sent.append([stored, False])
            entry = sent[-1]
        # Like the page: every save carries the page's next write number.
        self.writes += 1
        response = self.client.post(
            f"/attempts/{self.attempt}/items/{self.position}/",
            {**data, "seq": seq, "writer": writer, "write": str(self.writes)},
            headers=self.secure_headers(htmx=True),
            name="POST autosave",
        )
        if response.status_code == 200:
            entry[1] = True
        return response.text

    @task
    def work(self) -> None:
        if self.attempt is None:
            self.start_exam()
            return
        html = self.page(self.position)
        writer = WRITER.search(html).group(1)
        if MODE == "save":
            status = html
            for _ in range(20):  # keep changing the answer to this item, flat out
                data, stored = answer_for(html, self.rng)
                status = self.save(status, data, stored, writer)
            return
        data, stored = answer_for(html, self.rng)
        status = self.save(html, data, stored, writer)
        if self.rng.random() < 0.2:  # second thoughts: change the answer
            data, stored = answer_for(html, self.rng)
            self.save(status, data, stored, writer)
        if self.rng.random() < 0.1:
            self.client.post(
                f"/attempts/{self.attempt}/items/{self.position}/flag/",
                {"flagged": "1"},
                headers=self.secure_headers(htmx=True),
                name="POST flag",
            )
        self.position += 1
        if self.total and self.position > self.total:
            self.client.post(
                f"/attempts/{self.attempt}/submit/",
                headers=self.secure_headers(),
                name="POST submit",
                allow_redirects=False,
            )
            with _lock:
                _submitted.append(self.attempt)
            self.start_exam()


class TeamLead(Base):
    wait_time = between(2, 4)
    fixed_count = 2

    def on_start(self) -> None:
        leads = sorted(u for u in SESSIONS if u.startswith("scale-lead-"))
        self.username = leads[next(_leads) % len(leads)]
        self.cohort = SESSIONS["cohort-of-" + self.username]
        self.log_in(self.username)

    @task
    def dashboard(self) -> None:
        self.client.get(
            f"/cohorts/{self.cohort}/", headers=self.secure_headers(), name="GET cohort page"
        )


_timings: list[tuple[float, str, float, bool]] = []


@events.request.add_listener
def record(request_type, name, response_time, response_length, exception=None, **kwargs) -> None:
    # Every request with its time, so the driver can leave out the warm-up.
    _timings.append((time.time(), name, response_time, exception is None))


@events.quitting.add_listener
def write_ledger(environment, **kwargs) -> None:
    Path(os.environ.get("BENCH_TIMINGS", "/tmp/bench-timings.json")).write_text(
        json.dumps(_timings)
    )
    with open(LEDGER_PATH, "w") as out:
        for (attempt, position), stored in _ledger.items():
            out.write(json.dumps({"attempt": attempt, "position": position, "sent": stored}) + "\n")
        out.write(json.dumps({"submitted": _submitted}) + "\n")
