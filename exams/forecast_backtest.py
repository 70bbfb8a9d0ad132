"""Back-testing the readiness forecast on generated learners with known abilities.

Learners and questions come from exams.simulation (a two-parameter item-response
model). Each learner practises and takes mock exams over a window, their
ability growing as they go; at the window's end the forecast is made from
those answers exactly as the site makes it (recency-weighted sums per
objective, a cohort prior, the blueprint's weights), and then the learner sits
one more full-length exam. `backtest` reports how often that score fell in the
80 % interval, and how well P(pass) matched who passed.

No database: the answers are folded into rollups.Evidence directly, with the
same weights the rollup rows use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from exams import grading, rollups, simulation
from exams.forecast import Blueprint, forecast, prior

WINDOW = timedelta(weeks=12)
END = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    low: int
    high: int
    score: int  # predicted
    p_pass: float
    actual: int
    passed: bool

    @property
    def inside(self) -> bool:
        return self.low <= self.actual <= self.high


@dataclass(frozen=True)
class Calibration:
    outcomes: list[Outcome]
    without_forecast: int

    @property
    def coverage(self) -> float:
        return sum(o.inside for o in self.outcomes) / len(self.outcomes)

    @property
    def brier(self) -> float:
        return sum((o.p_pass - o.passed) ** 2 for o in self.outcomes) / len(self.outcomes)

    @property
    def mean_error(self) -> float:
        """Mean predicted minus actual score: the forecast's bias."""
        return sum(o.score - o.actual for o in self.outcomes) / len(self.outcomes)

    def reliability(self, bins: int = 5) -> list[tuple[str, int, float, float]]:
        """(P(pass) range, learners, mean P(pass), share who passed) per bin."""
        rows = []
        for b in range(bins):
            low, high = b / bins, (b + 1) / bins
            inside = [
                o
                for o in self.outcomes
                if low <= o.p_pass < high or (b == bins - 1 and o.p_pass == 1)
            ]
            if inside:
                rows.append(
                    (
                        f"{low:.1f}–{high:.1f}",
                        len(inside),
                        sum(o.p_pass for o in inside) / len(inside),
                        sum(o.passed for o in inside) / len(inside),
                    )
                )
        return rows


def _draw(rng: random.Random, pool: dict[int, list[int]], blueprint: Blueprint) -> list[int]:
    allocation = grading.allocate(
        dict(blueprint.weights), {o: len(q) for o, q in pool.items()}, blueprint.question_count, rng
    )
    return [q for o, n in allocation.items() for q in rng.sample(pool[o], n)]


def backtest(
    seed: object = 1,
    *,
    learners: int = 400,
    objectives: int = 14,
    per_objective: int = 12,
    mock_items: int = 20,
    scored_items: int = 65,
) -> Calibration:
    """Forecast generated learners, then sit each one exam of `scored_items`
    scored items (the full-length simulation scores 50 of its 65; unscored
    items count in no score, so they change nothing here)."""
    rng = random.Random(f"{seed}:backtest")
    weights = {o: 1 + (o % 3 == 0) for o in range(1, objectives + 1)}
    blueprint = Blueprint(weights, scored_items, 700, "generated full-length exam")
    mock = Blueprint(weights, mock_items, 700)
    pool: dict[int, list[int]] = {}
    questions: dict[int, simulation.SimQuestion] = {}
    for o in weights:
        pool[o] = []
        for n in range(per_objective):
            qid = o * 1000 + n
            pool[o].append(qid)
            questions[qid] = simulation.question(seed, qid, 1 + n % 3)
    objective_of = {q: o for o, qs in pool.items() for q in qs}
    start = END - WINDOW
    scale = rollups.growth(END)

    people = []
    for number in range(learners):
        person = simulation.learner(seed, f"learner-{number}")
        sums: dict[int, list[float]] = {}

        def answer(qid: int, at: datetime, sums=sums, person=person) -> None:
            fraction = (at - start) / WINDOW
            right = rng.random() < questions[qid].p_right(person.ability(fraction))
            weight = rollups.growth(at) / scale
            acc = sums.setdefault(objective_of[qid], [0.0, 0.0, 0, 0])
            acc[0] += weight * right
            acc[1] += weight
            acc[2] += 1
            acc[3] += right

        for _ in range(rng.randint(0, 150)):  # practice, one objective at a time
            o = rng.choice(list(pool))
            answer(rng.choice(pool[o]), start + WINDOW * rng.random())
        for _ in range(rng.randint(0, 4)):  # mock exams
            at = start + WINDOW * rng.random()
            for qid in _draw(rng, pool, mock):
                answer(qid, at)
        people.append((person, sums))

    pooled: dict[int, list[float]] = {}
    for _, sums in people:
        for o, (right, total, _, _) in sums.items():
            acc = pooled.setdefault(o, [0.0, 0.0])
            acc[0] += right
            acc[1] += total
    priors = {o: prior(right, total) for o, (right, total) in pooled.items()}

    outcomes, without = [], 0
    for person, sums in people:
        seen = {o: rollups.Evidence(r, t, int(n), int(c)) for o, (r, t, n, c) in sums.items()}
        predicted = forecast(seen, blueprint, priors)
        if predicted is None:
            without += 1
            continue
        theta = person.ability(1.0)
        items = _draw(rng, pool, blueprint)
        raw = sum(rng.random() < questions[q].p_right(theta) for q in items)
        actual = grading.scaled_score(raw, len(items))
        outcomes.append(
            Outcome(
                predicted.low,
                predicted.high,
                predicted.score,
                predicted.p_pass,
                actual,
                actual >= blueprint.pass_mark,
            )
        )
    return Calibration(outcomes, without)
