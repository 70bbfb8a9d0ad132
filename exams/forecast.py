"""The readiness forecast: what a learner would score on a readiness exam now.

Pure functions, no database (the data come from exams.rollups). For each
objective of the blueprint, the chance p of answering one of its items right
is a Beta distribution updated with the learner's recency-weighted answers
(rollups: an answer's weight halves every 30 days): Beta(a₀ + right, b₀ + wrong).

The prior comes from the cohort: its members' pooled share right on the
objective, shifted by the learner's general level — the one logit offset δ
that best fits all of the learner's answers against the cohort's shares (with
a normal prior of sd LEVEL_SD on δ) — and worth PRIOR_STRENGTH answers. So an
objective a strong learner has barely touched is expected to go as their
others do, not as the cohort's average; δ's own uncertainty is shared by every
objective and is added to the variance as such.

The exam draws about N × weight / Σ weights items of each objective, so the
number right on it is Beta-binomial per objective; their sum is read as a
normal distribution with the summed means and variances. That gives the
predicted approximate scaled score, its 80 % interval and the probability of
reaching the pass mark. docs/reports.md records how well this does on
generated learners with known abilities (exams.forecast_backtest).

Below MIN_ANSWERS answers on the blueprint's objectives, or when the answered
objectives carry less than MIN_COVERAGE of its weight, the forecast is "not
enough data" (None).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from exams.rollups import Evidence

PRIOR_STRENGTH = 6.0  # the prior counts as this many answers
LEVEL_SD = 1.0  # the spread of learners' general levels around the cohort's, in logits
MIN_ANSWERS = 20
MIN_COVERAGE = 0.5
Z80 = 1.2815515655446004  # the normal quantile of 0.9: 80 % lies within ±Z80 σ


@dataclass(frozen=True)
class Blueprint:
    """What a forecast predicts: an exam's objective weights, its scored items and pass mark."""

    weights: Mapping[int, float]
    question_count: int
    pass_mark: int
    title: str = ""


@dataclass(frozen=True)
class Forecast:
    score: int
    low: int
    high: int
    p_pass: float
    answers: int

    @property
    def label(self) -> str:
        return f"P(pass) {self.p_pass:.2f}, {self.low}–{self.high}"


def prior(right: float, total: float) -> tuple[float, float]:
    """The Beta prior for an objective from the cohort's pooled decayed sums."""
    share = (right + 1.0) / (total + 2.0)
    return PRIOR_STRENGTH * share, PRIOR_STRENGTH * (1.0 - share)


NEUTRAL = prior(0.0, 0.0)


def _scaled(raw: float, n: int) -> float:
    return 100 + 900 * raw / n


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def needed_raw(blueprint: Blueprint) -> int:
    """The fewest items right that reach the pass mark (grading.scaled_score rounds)."""
    n = blueprint.question_count
    return next(k for k in range(n + 1) if round(_scaled(k, n)) >= blueprint.pass_mark or k == n)


def _logit(p: float) -> float:
    p = min(1 - 1e-6, max(1e-6, p))
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _level(evidence: Mapping[int, Evidence], base: Mapping[int, float]) -> tuple[float, float]:
    """The learner's general level against the cohort, on the logit scale, and its
    variance: the offset δ that makes the cohort's shares, shifted by δ, match
    the learner's right answers (a normal prior of sd LEVEL_SD on δ, Newton steps)."""
    delta = 0.0
    information = 1.0 / LEVEL_SD**2
    for _ in range(8):
        gradient, information = -delta / LEVEL_SD**2, 1.0 / LEVEL_SD**2
        for objective_id, logit in base.items():
            seen = evidence.get(objective_id)
            if seen is None or seen.total <= 0:
                continue
            p = _sigmoid(logit + delta)
            gradient += seen.right - seen.total * p
            information += seen.total * p * (1 - p)
        step = gradient / information
        delta += step
        if abs(step) < 1e-6:
            break
    return delta, 1.0 / information


def forecast(
    evidence: Mapping[int, Evidence],
    blueprint: Blueprint,
    priors: Mapping[int, tuple[float, float]],
) -> Forecast | None:
    """The learner's forecast on `blueprint`, or None when there is not enough data."""
    weights = blueprint.weights
    total_weight = sum(weights.values())
    n = blueprint.question_count
    if not total_weight or not n:
        return None
    answers = sum(evidence[o].answers for o in weights if o in evidence)
    covered = sum(w for o, w in weights.items() if o in evidence and evidence[o].answers)
    if answers < MIN_ANSWERS or covered < MIN_COVERAGE * total_weight:
        return None
    base = {}
    for objective_id in weights:
        a, b = priors.get(objective_id, NEUTRAL)
        base[objective_id] = _logit(a / (a + b))
    delta, delta_variance = _level(evidence, base)
    mean = variance = slope = 0.0
    for objective_id, weight in weights.items():
        centre = _sigmoid(base[objective_id] + delta)
        a, b = PRIOR_STRENGTH * centre, PRIOR_STRENGTH * (1 - centre)
        seen = evidence.get(objective_id)
        if seen is not None:
            a += seen.right
            b += max(0.0, seen.total - seen.right)
        items = n * weight / total_weight
        p = a / (a + b)
        mean += items * p
        variance += items * p * (1 - p) * (a + b + items) / (a + b + 1)
        # How the expected count moves with the learner's level, through the
        # prior's centre (as far as the prior weighs in the posterior): the
        # level is shared by every objective, so its uncertainty adds up across them.
        slope += items * centre * (1 - centre) * PRIOR_STRENGTH / (a + b)
    variance += slope**2 * delta_variance
    sd = math.sqrt(variance) or 1e-9
    low = max(100, min(1000, round(_scaled(mean - Z80 * sd, n))))
    high = max(100, min(1000, round(_scaled(mean + Z80 * sd, n))))
    p_pass = 1.0 - _normal_cdf((needed_raw(blueprint) - 0.5 - mean) / sd)
    return Forecast(
        score=round(_scaled(mean, n)), low=low, high=high, p_pass=p_pass, answers=answers
    )
