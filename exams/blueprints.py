"""Blueprints: which objectives an exam draws from, with what weights, and
whether the published pool can supply the form.

A weight is given to an objective (`ExamObjective`) or to a whole task
statement or domain (`ExamArea`), whose share the draw spreads over its
objectives. `Blueprint` is that, read once from the database or from an
admin form's rows; `plan` says per objective what the form asks for and what
the bank holds, and which problems refuse a save and which only warn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Q

from exams import grading
from exams.models import Domain, Exam, ExamArea, ExamObjective, Objective, Question, TaskStatement


@dataclass(frozen=True)
class Entry:
    """One weight of a blueprint: an objective, a task statement or a domain."""

    key: tuple[str, int]
    label: str
    weight: int
    objectives: tuple[Objective, ...]

    @property
    def per_objective(self) -> Fraction:
        """The weight spread evenly over the entry's objectives, as the draw
        spreads its share (grading.allocate_blueprint)."""
        return Fraction(self.weight, len(self.objectives)) if self.objectives else Fraction(0)


@dataclass(frozen=True)
class Blueprint:
    entries: tuple[Entry, ...]

    @property
    def weights(self) -> dict[tuple[str, int], int]:
        return {e.key: e.weight for e in self.entries}

    @property
    def members(self) -> dict[tuple[str, int], list[int]]:
        return {e.key: [o.pk for o in e.objectives] for e in self.entries}

    @property
    def objective_ids(self) -> list[int]:
        return [o.pk for e in self.entries for o in e.objectives]

    def objective_weights(self) -> dict[int, Fraction]:
        """Each objective's part of the weights (an area's spread over its objectives)."""
        weights: dict[int, Fraction] = {}
        for entry in self.entries:
            for objective in entry.objectives:
                weights[objective.pk] = weights.get(objective.pk, Fraction(0)) + entry.per_objective
        return weights


def _objectives_of(*, domains: set[int], tasks: set[int]) -> dict[tuple[str, int], list[Objective]]:
    """Every objective of the given domains and task statements (one query)."""
    found: dict[tuple[str, int], list[Objective]] = {}
    if not domains and not tasks:
        return found
    rows = Objective.objects.filter(
        Q(task_statement__domain_id__in=domains) | Q(task_statement_id__in=tasks)
    ).select_related("task_statement")
    for objective in rows:
        task = objective.task_statement
        if task.domain_id in domains:
            found.setdefault(("domain", task.domain_id), []).append(objective)
        if task.pk in tasks:
            found.setdefault(("task", task.pk), []).append(objective)
    return found


def build(
    objective_rows: list[tuple[Objective, int]],
    area_rows: list[tuple[Domain | TaskStatement, int]],
) -> Blueprint:
    """A blueprint from (objective, weight) and (domain or task statement, weight) rows."""
    domains = {a.pk for a, _ in area_rows if isinstance(a, Domain)}
    tasks = {a.pk for a, _ in area_rows if isinstance(a, TaskStatement)}
    spread = _objectives_of(domains=domains, tasks=tasks)
    entries = [
        Entry(("objective", o.pk), f"{o.code} {o.title}", w, (o,)) for o, w in objective_rows
    ]
    for area, weight in area_rows:
        if isinstance(area, Domain):
            key, label = ("domain", area.pk), f"Domain {area.code}"
        else:
            key, label = ("task", area.pk), f"Task statement {area.code}"
        entries.append(Entry(key, label, weight, tuple(spread.get(key, []))))
    return Blueprint(tuple(entries))


def blueprint_of(exam: Exam) -> Blueprint:
    """The saved blueprint of `exam` (two queries, three with area weights)."""
    objective_rows = [
        (row.objective, row.weight)
        for row in ExamObjective.objects.filter(exam=exam)
        .select_related("objective")
        .order_by("objective__code")
    ]
    area_rows = [
        (row.domain or row.task_statement, row.weight)
        for row in ExamArea.objects.filter(exam=exam)
        .select_related("domain", "task_statement")
        .order_by("domain__code", "task_statement__code")
    ]
    return build(objective_rows, area_rows)


@dataclass(frozen=True)
class Line:
    """One objective of a plan."""

    objective: Objective
    area: str  # the entry whose weight covers it
    share: Fraction  # of the scored questions
    asks: int  # scored questions the share asks for
    published: int
    pretest: int

    @property
    def percent(self) -> str:
        return f"{float(self.share) * 100:.1f} %"

    @property
    def short(self) -> bool:
        return self.published < self.asks


@dataclass(frozen=True)
class Plan:
    lines: list[Line]
    scored_count: int
    unscored_count: int
    published: int
    pretest: int
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _pool_counts(objective_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(published, pretest drafts) per objective (one query)."""
    rows = (
        Question.objects.filter(objective_id__in=objective_ids)
        .values("objective_id")
        .order_by()
        .annotate(
            published=Count("id", filter=Q(status=Question.Status.PUBLISHED)),
            pretest=Count("id", filter=Q(status=Question.Status.DRAFT, pretest=True)),
        )
    )
    return {r["objective_id"]: (r["published"], r["pretest"]) for r in rows}


def overlaps(blueprint: Blueprint) -> list[str]:
    """Objectives weighted twice (on their own and in an area, or in two areas)."""
    seen: dict[int, str] = {}
    problems = []
    for entry in blueprint.entries:
        for objective in entry.objectives:
            if objective.pk in seen:
                problems.append(
                    f"Objective {objective.code} is weighted twice ({seen[objective.pk]} and "
                    f"{entry.label}): give it one weight."
                )
            else:
                seen[objective.pk] = entry.label
    return problems


def plan(
    blueprint: Blueprint, *, question_count: int, unscored_count: int, is_published: bool
) -> Plan:
    """Per objective: its share, the scored questions it asks for, and what is
    published; with the problems that refuse the blueprint (`errors`) and those
    that only warn. A published exam must be drawable in full."""
    scored_count = max(0, question_count - unscored_count)
    errors = overlaps(blueprint)
    warnings: list[str] = []
    counts = _pool_counts(blueprint.objective_ids)
    total_weight = sum(e.weight for e in blueprint.entries)
    # What each objective would get with an unlimited pool (ties broken the same way each time).
    unlimited = {o: scored_count for o in blueprint.objective_ids}
    asks = grading.allocate_blueprint(
        blueprint.weights, blueprint.members, unlimited, scored_count, random.Random(0)
    )
    lines = []
    for entry in blueprint.entries:
        if not entry.objectives:
            warnings.append(f"{entry.label} has no objectives: its weight draws nothing.")
        for objective in entry.objectives:
            published, pretest = counts.get(objective.pk, (0, 0))
            share = entry.per_objective / total_weight
            lines.append(
                Line(objective, entry.label, share, asks.get(objective.pk, 0), published, pretest)
            )
    published = sum(line.published for line in lines)
    pretest = sum(line.pretest for line in lines)
    for line in lines:
        if line.short:
            warnings.append(
                f"{line.objective.code} asks for {line.asks} questions but {line.published} "
                f"{'is' if line.published == 1 else 'are'} published: the rest come from "
                "the other objectives."
            )
    unable = []
    if not blueprint.entries:
        unable.append(
            "The blueprint has no weights: give an objective, a task statement or a domain "
            "a weight."
        )
    elif scored_count > published:
        unable.append(
            f"The exam asks for {scored_count} scored questions but its objectives have "
            f"{published} published: lower the question count or publish more questions."
        )
    elif question_count > published + pretest:
        unable.append(
            f"The exam asks for {question_count} questions but its objectives have "
            f"{published} published and {pretest} pretest drafts."
        )
    if is_published:
        errors += unable
    else:
        warnings += [f"{problem} (It cannot be published so.)" for problem in unable]
    return Plan(lines, scored_count, unscored_count, published, pretest, errors, warnings)
