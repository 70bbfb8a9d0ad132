"""Load for `make bench` (driven by tests/bench/run.py, not by pytest).

Learners are logged in before the measured phase (the driver writes their
session keys to BENCH_SESSIONS), because password hashing is deliberately slow.
Every acknowledged answer is written to BENCH_LEDGER so the driver can check
afterwards that the database holds each one with its final value.

BENCH_MODE: "bare"  — GET /healthz, no wait: the ceiling of this machine;
            "save"  — autosave as fast as possible (one item, changing answers);
            "day"   — the exam day: start the 65-question simulation, answer
                      with think time, change some answers, flag, submit;
                      team leads refresh their cohort page;
            "classday" — a class starting together: every learner opens the
                      home page and starts the simulation within the spawn
                      period (-r), then thinks 20–60 s per question
                      (BENCH_THINK="20,60" by default).

Every learner behaves like the exam page when a request fails: a save that
gets no reply (20 s, htmx's timeout), a 5xx or a proxy's page is sent again,
with the page's next write number, after the server's Retry-After or a
back-off of 1 s doubling to 15 s, until it is acknowledged or the run ends
("Not saved — retrying" on the page). The driver counts those retries.
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
_retries = {"saves retried": 0, "retries sent": 0, "pages reloaded": 0, "given up at the end": 0}
_lock = threading.Lock()
TIMEOUT = 20  # seconds, as the page's htmx config says
THINK = tuple(float(x) for x in os.environ.get("BENCH_THINK", "20,60").split(","))
_stopping = threading.Event()

CHOICE = re.compile(r'name="choice" value="([0-9a-f]+)"')
RANK = re.compile(r'name="rank-([0-9a-f]+)"')
MATCH_SELECT = re.compile(r'name="match-([0-9a-f]+)"')
MATCH_VALUE = re.compile(r'<option value="([0-9a-f]{8})"')
SEQ = re.compile(r'name="seq" value="(\d+)"')
WRITER = re.compile(r'name="writer" value="([0-9a-f]+)"')
SELECT = re.compile(r"\(Select (TWO|THREE|FOUR)\.\)")
COUNT = re.compile(r'<progress max="(\d+)"')  # the progress bar: answered of all items
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
        self.client.get("/", headers=self.secure_headers(), name="GET home", timeout=TIMEOUT)


class BareView(HttpUser):
    """The ceiling: a Django view that touches the database and nothing else."""

    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/healthz", name="GET /healthz (bare view)")


def failed(response) -> bool:
    """What the page treats as "not saved": no reply, a 5xx, or a reply
    without the item's status (a proxy's page)."""
    return response.status_code == 0 or response.status_code >= 500


class Learner(Base):
    # A real AIF-C01 gives 83 s per question; 3-8 s is ten to twenty times busier.
    if MODE == "classday":
        wait_time = between(*THINK)
    elif MODE == "day":
        wait_time = between(3, 8)
    else:
        wait_time = constant(0)

    def on_start(self) -> None:
        self.rng = random.Random(next(_learners))
        self.writes = 0  # the page's own count of its saves (the save protocol)
        # One learner each: a learner has one attempt in progress per exam.
        names = sorted(u for u in SESSIONS if u.startswith("scale-learner-"))
        self.username = names[next(_learner_slots) % len(names)]
        self.log_in(self.username)
        self.start_exam()
        self.html = None
        if MODE == "classday" and self.attempt is not None:
            self.html = self.page(self.position)
            self.wait()  # reading the first question

    def start_exam(self) -> None:
        if not self.client.cookies.get("csrftoken"):
            # The home page failed (the server was down): load it again, as a person would.
            self.client.get("/", headers=self.secure_headers(), name="GET home", timeout=TIMEOUT)
        response = self.client.post(
            f"/exams/{EXAM}/start/",
            headers=self.secure_headers(),
            name="POST start attempt",
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        location = response.headers.get("Location", "") if response.status_code == 302 else ""
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

    def page(self, position: int) -> str | None:
        """The take page, reloaded after a pause while the server fails."""
        delay = 1.0
        while not _stopping.is_set():
            response = self.client.get(
                f"/attempts/{self.attempt}/?q={position}",
                headers=self.secure_headers(),
                name="GET take page",
                timeout=TIMEOUT,
            )
            if response.status_code == 200 and SEQ.search(response.text):
                if self.total is None and (match := COUNT.search(response.text)):
                    self.total = int(match.group(1))
                return response.text
            with _lock:
                _retries["pages reloaded"] += 1
            time.sleep(delay)
            delay = min(delay * 2, 15)
        return None

    def save(self, html: str, data: dict, stored: dict, writer: str | None = None) -> str:
        seq = SEQ.search(html).group(1)
        writer = writer or WRITER.search(html).group(1)
        with _lock:
            sent = _ledger.setdefault((self.attempt, self.position), [])
            sent.append([stored, False])
            entry = sent[-1]
        delay, tries = 1.0, 0
        while True:
            # Like the page: every save (a retry too) carries its next write number.
            self.writes += 1
            response = self.client.post(
                f"/attempts/{self.attempt}/items/{self.position}/",
                {**data, "seq": seq, "writer": writer, "write": str(self.writes)},
                headers=self.secure_headers(htmx=True),
                name="POST autosave",
                timeout=TIMEOUT,
            )
            if response.status_code == 200:
                entry[1] = True
                return response.text
            if not failed(response):
                return html  # refused with a reason (409, 400): nothing to retry
            with _lock:
                _retries["retries sent"] += 1
                _retries["saves retried"] += tries == 0
            tries += 1
            after = response.headers.get("Retry-After", "")
            wait = min(float(after), 30) if after.isdigit() and int(after) > 0 else delay
            delay = min(delay * 2, 15)
            if _stopping.wait(wait):
                with _lock:
                    _retries["given up at the end"] += 1
                return html

    @task
    def work(self) -> None:
        if self.attempt is None:
            self.start_exam()
            return
        if MODE == "classday":
            self.answer_and_move_on()
            return
        html = self.page(self.position)
        if html is None:
            return
        writer = WRITER.search(html).group(1)
        if MODE == "save":
            status = html
            for _ in range(20):  # keep changing the answer to this item, flat out
                data, stored = answer_for(html, self.rng)
                status = self.save(status, data, stored, writer)
            return
        self.answer_item(html, writer)
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

    def answer_item(self, html: str, writer: str) -> None:
        """Answer the question on screen; change the answer 20 % of the time, flag 10 %."""
        data, stored = answer_for(html, self.rng)
        status = self.save(html, data, stored, writer)
        if self.rng.random() < 0.2:  # second thoughts: change the answer
            data, stored = answer_for(html, self.rng)
            self.save(status if SEQ.search(status) else html, data, stored, writer)
        if self.rng.random() < 0.1:
            self.client.post(
                f"/attempts/{self.attempt}/items/{self.position}/flag/",
                {"flagged": "1"},
                headers=self.secure_headers(htmx=True),
                name="POST flag",
                timeout=TIMEOUT,
            )

    def answer_and_move_on(self) -> None:
        """The question on screen was read during the think time: answer it
        (sometimes twice, sometimes flag it) and open the next one."""
        html = self.html or self.page(self.position)
        if html is None:
            return
        self.answer_item(html, WRITER.search(html).group(1))
        if self.total and self.position >= self.total:
            self.position = 1  # a whole exam is longer than the measured window
        else:
            self.position += 1
        self.html = self.page(self.position)


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


@events.test_stopping.add_listener
def stopping(**kwargs) -> None:
    _stopping.set()  # saves still retrying give up: the run is over


@events.quitting.add_listener
def write_ledger(environment, **kwargs) -> None:
    Path(os.environ.get("BENCH_TIMINGS", "/tmp/bench-timings.json")).write_text(
        json.dumps(_timings)
    )
    with open(LEDGER_PATH, "w") as out:
        for (attempt, position), stored in _ledger.items():
            out.write(json.dumps({"attempt": attempt, "position": position, "sent": stored}) + "\n")
        out.write(json.dumps({"submitted": _submitted}) + "\n")
        out.write(json.dumps({"retries": _retries}) + "\n")
