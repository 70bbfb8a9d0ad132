"""Grading: pure functions over plain data (no database).

A response is a dict whose shape depends on the item's kind:

- single:   {"choice": option_id}
- multiple: {"choices": [option_id, ...]}
- ordering: {"ranks": {option_id: rank, ...}}   (1 = first)
- matching: {"matches": {prompt_id: match_id, ...}}

Multiple-response, ordering and matching items are all-or-nothing, as on the
real exam.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

SINGLE, MULTIPLE, ORDERING, MATCHING = "single", "multiple", "ordering", "matching"


def is_complete(snapshot: dict[str, Any], response: dict[str, Any] | None) -> bool:
    """Has the learner given a whole answer (not necessarily a right one)?

    Multiple response counts as answered when exactly as many choices as the
    stem asks for are picked.
    """
    if not response:
        return False
    kind, count = snapshot["kind"], len(snapshot["options"])
    if kind == SINGLE:
        return bool(response.get("choice"))
    if kind == MULTIPLE:
        return len(response.get("choices", [])) == snapshot.get("select", 0)
    if kind == ORDERING:
        return len(response.get("ranks", {})) == count
    if kind == MATCHING:
        return len(response.get("matches", {})) == count
    return False


def grade(kind: str, key: Any, response: dict[str, Any] | None) -> bool:
    """Is `response` fully correct against `key` (the snapshot's key)?"""
    if not response:
        return False
    if kind == SINGLE:
        return response.get("choice") == key
    if kind == MULTIPLE:
        return sorted(response.get("choices", [])) == sorted(key)
    if kind == ORDERING:
        ranks = response.get("ranks", {})
        return all(ranks.get(option_id) == place for place, option_id in enumerate(key, 1))
    if kind == MATCHING:
        return response.get("matches", {}) == key
    raise ValueError(f"unknown kind {kind!r}")


def scaled_score(raw: int, total: int) -> int:
    """Approximate scaled score: 100 + 900 * raw / total (AWS's own scaling is not public)."""
    if total <= 0:
        return 100
    return round(100 + 900 * raw / total)


def correct_needed_to_pass(raw: int, total: int, pass_mark: int) -> int | None:
    """How many more fully correct items would have reached the pass mark:
    0 for a pass, None when even a perfect score would not."""
    for more in range(0, max(total - raw, 0) + 1):
        if scaled_score(raw + more, total) >= pass_mark:
            return more
    return None


@dataclass(frozen=True)
class ObjectiveTally:
    objective_id: int
    correct: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


def roll_up(results: Iterable[tuple[int, bool]]) -> list[ObjectiveTally]:
    """(objective id, correct?) per item → one tally per objective, in first-seen order."""
    correct: dict[int, int] = {}
    total: dict[int, int] = {}
    for objective_id, ok in results:
        total[objective_id] = total.get(objective_id, 0) + 1
        correct[objective_id] = correct.get(objective_id, 0) + int(ok)
    return [ObjectiveTally(o, correct[o], total[o]) for o in total]


def allocate(
    quotas: dict[int, int],
    available: dict[int, int],
    count: int,
    rng: random.Random | None = None,
) -> dict[int, int]:
    """How many questions to draw per objective.

    `quotas` are the blueprint's weights. Each objective gets its share of
    `count` by weight (largest remainders round up, ties broken by `rng`), never
    more than it has available; what one objective cannot supply goes to the
    others by weight.
    """
    rng = rng or random.Random()
    tie = {o: rng.random() for o in quotas}
    allocation = dict.fromkeys(quotas, 0)
    remaining = min(count, sum(available.get(o, 0) for o in quotas))
    while remaining > 0:
        open_objectives = {o: w for o, w in quotas.items() if available.get(o, 0) > allocation[o]}
        weight = sum(open_objectives.values())
        if not weight:
            break
        shares = {o: remaining * w / weight for o, w in open_objectives.items()}
        granted = 0
        for objective, share in shares.items():
            room = available[objective] - allocation[objective]
            take = min(int(share), room)
            allocation[objective] += take
            granted += take
        remaining -= granted
        if remaining > 0 and granted == 0:
            # Hand out the last few one at a time, largest share first.
            for objective in sorted(shares, key=lambda o: (-(shares[o] % 1), -quotas[o], tie[o])):
                if remaining == 0:
                    break
                if available[objective] > allocation[objective]:
                    allocation[objective] += 1
                    remaining -= 1
    return allocation


def draw(
    pool: dict[int, list[int]],
    allocation: dict[int, int],
    groups: dict[int, list[tuple[int, int]]],
    rng: random.Random,
) -> list[list[int]]:
    """Pick questions per objective, keeping case studies whole.

    `pool` lists each objective's question ids, `allocation` how many to draw
    from each (see `allocate`), and `groups` maps a question id that belongs
    to a case study to every (question id, objective id) of that case. A case
    is drawn whole, each of its questions counted against its own objective,
    and only when it fits the allocation; what cases leave unfilled is filled
    with stand-alone questions of any objective of the blueprint. Returns
    units in the order drawn: a stand-alone question is a unit of one, a case
    a unit of its questions.
    """
    remaining = dict(allocation)
    taken: set[int] = set()
    units: list[list[int]] = []
    candidates = {o: rng.sample(ids, len(ids)) for o, ids in pool.items()}

    def fits(members: list[tuple[int, int]]) -> bool:
        need: dict[int, int] = {}
        for _, objective in members:
            need[objective] = need.get(objective, 0) + 1
        return all(remaining.get(o, 0) >= n for o, n in need.items())

    def take(members: list[tuple[int, int]]) -> None:
        units.append([q for q, _ in members])
        for question, objective in members:
            taken.add(question)
            remaining[objective] -= 1

    for objective in sorted(candidates):
        for question in candidates[objective]:
            if remaining[objective] <= 0:
                break
            if question in taken:
                continue
            members = groups.get(question, [(question, objective)])
            if fits(members):
                take(members)
    short = sum(allocation.values()) - sum(len(u) for u in units)
    if short > 0:
        spare = [
            q
            for o in sorted(candidates)
            for q in candidates[o]
            if q not in taken and q not in groups
        ]
        units += [[question] for question in rng.sample(spare, min(short, len(spare)))]
    return units


def allocate_blueprint(
    entries: dict[Hashable, int],
    members: dict[Hashable, list[int]],
    available: dict[int, int],
    count: int,
    rng: random.Random,
) -> dict[int, int]:
    """How many questions to draw per objective, when a weight may cover an area.

    `entries` are the blueprint's weights, each for an objective or for a task
    statement or domain; `members` lists each entry's objectives. The count is
    shared out between the entries by weight (`allocate`, what an entry cannot
    supply going to the others), then an area's share evenly over its
    objectives (what one objective cannot supply going to the rest of the area).
    """
    supply = {k: sum(available.get(o, 0) for o in members[k]) for k in entries}
    shares = allocate(entries, supply, count, rng)
    allocation: dict[int, int] = {}
    for key in entries:
        objectives = members[key]
        if len(objectives) == 1:
            inner = {objectives[0]: shares[key]}
        else:
            inner = allocate(dict.fromkeys(objectives, 1), available, shares[key], rng)
        for objective, n in inner.items():
            allocation[objective] = allocation.get(objective, 0) + n
    return allocation


@dataclass(frozen=True)
class Unit:
    """Questions shown together (a case study, or one question), and whether they count."""

    questions: tuple[int, ...]
    scored: bool


def draw_form(
    *,
    entries: dict[Hashable, int],
    members: dict[Hashable, list[int]],
    published: dict[int, list[int]],
    pretest: dict[int, list[int]],
    groups: dict[int, list[tuple[int, int]]],
    scored_count: int,
    unscored_count: int,
    rng: random.Random,
) -> list[Unit]:
    """One exam form: `scored_count` published questions by the blueprint's
    weights, then `unscored_count` unscored items, drawn by the same weights
    from the pretest drafts first and the published questions left over after.

    `published` and `pretest` list each objective's question ids; `groups` maps
    a question of a case study to every (question, objective) of its case in
    the same pool. Units come back in the order drawn (scored first).
    """

    def draw_from(pool: dict[int, list[int]], count: int) -> list[list[int]]:
        if count <= 0:
            return []
        sizes = {o: len(ids) for o, ids in pool.items()}
        allocation = allocate_blueprint(entries, members, sizes, count, rng)
        in_pool = {q for ids in pool.values() for q in ids}
        pool_groups = {
            q: members_
            for q, members_ in groups.items()
            if q in in_pool and all(m in in_pool for m, _ in members_)
        }
        return draw(pool, allocation, pool_groups, rng)

    scored = draw_from(published, scored_count)
    trial = draw_from(pretest, unscored_count)
    taken = {q for unit in scored for q in unit}
    left = {o: [q for q in ids if q not in taken] for o, ids in published.items()}
    filler = draw_from(left, unscored_count - sum(len(u) for u in trial))
    return [Unit(tuple(u), True) for u in scored] + [Unit(tuple(u), False) for u in trial + filler]


@dataclass(frozen=True)
class Score:
    """A finalized attempt's score: only scored items count."""

    raw: int
    total: int
    scaled: int
    objectives: list[ObjectiveTally]


def score(items: Iterable[tuple[int, bool, bool]]) -> Score:
    """(objective id, correct?, scored?) per item → the attempt's score.

    The one place that decides what counts: unscored (pretest) items are left
    out of the raw and scaled score and of every objective's tally.
    """
    counted = [(objective, ok) for objective, ok, scored in items if scored]
    raw = sum(int(ok) for _, ok in counted)
    return Score(
        raw=raw,
        total=len(counted),
        scaled=scaled_score(raw, len(counted)),
        objectives=roll_up(counted),
    )
