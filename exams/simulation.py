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
