"""A simple item-response model for generated data (`seed_scale`) and back-tests.

Each learner has an ability θ on the logit scale that grows over the data's
window; each question has a difficulty b and a discrimination a. The chance of
a right answer is the two-parameter logistic model:

    P(right | θ) = 1 / (1 + exp(-a · (θ - b)))

Parameters are drawn from seeded streams named after the learner or question,
so one learner's or question's values never depend on how many others there are.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# The bank's difficulty (1 easy, 2 medium, 3 hard) shifts a question's b.
DIFFICULTY_SHIFT = {1: -0.8, 2: 0.0, 3: 0.8}


@dataclass(frozen=True)
class SimLearner:
    """Ability `theta` at the start of the window and `theta + growth` at its end."""

    theta: float
    growth: float

    def ability(self, fraction: float) -> float:
        """The ability at `fraction` (0 … 1) of the way through the window."""
        return self.theta + self.growth * min(1.0, max(0.0, fraction))


@dataclass(frozen=True)
class SimQuestion:
    difficulty: float
    discrimination: float

    def p_right(self, theta: float) -> float:
        return 1.0 / (1.0 + math.exp(-self.discrimination * (theta - self.difficulty)))


def learner(seed: object, name: str) -> SimLearner:
    """The generated learner `name`: θ ~ N(0.3, 1), growth ~ U(0, 0.8) logits."""
    rng = random.Random(f"{seed}:learner:{name}")
    return SimLearner(theta=rng.gauss(0.3, 1.0), growth=rng.uniform(0.0, 0.8))


def question(seed: object, question_id: int, bank_difficulty: int = 2) -> SimQuestion:
    """The question's parameters: b ~ N(shift, 0.7), a ~ lognormal(0, 0.35) clipped to 0.3 … 2.5.

    About one question in twenty gets a near-zero discrimination (a poorly
    written item), so item analysis on generated data has something to find.
    """
    rng = random.Random(f"{seed}:question:{question_id}")
    b = rng.gauss(DIFFICULTY_SHIFT.get(bank_difficulty, 0.0), 0.7)
    a = min(2.5, max(0.3, rng.lognormvariate(0.0, 0.35)))
    if rng.random() < 0.05:
        a = rng.uniform(-0.2, 0.1)
    return SimQuestion(difficulty=b, discrimination=a)


# --- responses --------------------------------------------------------------------


def distractor_pull(seed: object, question_id: int, texts: list[str]) -> dict[str, float]:
    """How strongly each wrong option draws a learner who gets the question wrong.

    Weights ~ lognormal(0, 1.2): unequal, as in real data — one distractor
    usually takes most wrong answers and some are almost never chosen (dead
    distractors, which item analysis flags).
    """
    rng = random.Random(f"{seed}:distractors:{question_id}")
    return {text: rng.lognormvariate(0.0, 1.2) for text in texts}


def _weighted_pick(items: list[str], pull: dict[str, float], rng: random.Random) -> str:
    return rng.choices(items, weights=[pull.get(i, 1.0) for i in items])[0]


def response(
    snapshot: dict, *, right: bool, pull: dict[str, float], rng: random.Random, blank: float = 0.03
) -> dict | None:
    """A response to the frozen item `snapshot` (exams/snapshots.py), right or wrong.

    `pull` weighs the wrong options by their text (`distractor_pull`). A wrong
    answer is left blank with chance `blank`; otherwise single choice picks a
    distractor, multiple response swaps one of the key's options for a
    distractor, ordering swaps two neighbours, matching swaps two partners.
    """
    kind, key = snapshot["kind"], snapshot["key"]
    options = snapshot["options"]
    if right:
        if kind == "single":
            return {"choice": key}
        if kind == "multiple":
            return {"choices": sorted(key)}
        if kind == "ordering":
            return {"ranks": {oid: place for place, oid in enumerate(key, start=1)}}
        return {"matches": dict(key)}
    if rng.random() < blank:
        return None
    text = {o["id"]: o["text"] for o in options}
    if kind in ("single", "multiple"):
        keyed = {key} if kind == "single" else set(key)
        wrong = [o["id"] for o in options if o["id"] not in keyed]
        pull_by_id = {oid: pull.get(text[oid], 1.0) for oid in wrong}
        distractor = _weighted_pick(wrong, pull_by_id, rng)
        if kind == "single":
            return {"choice": distractor}
        kept = rng.sample(sorted(keyed), len(keyed) - 1)
        return {"choices": sorted([*kept, distractor])}
    if kind == "ordering":
        order = list(key)
        n = rng.randrange(len(order) - 1)
        order[n], order[n + 1] = order[n + 1], order[n]
        return {"ranks": {oid: place for place, oid in enumerate(order, start=1)}}
    prompts = list(key)
    a, b = rng.sample(prompts, 2)
    matches = dict(key)
    matches[a], matches[b] = matches[b], matches[a]
    return {"matches": matches}
