"""`item_analysis --exam SLUG`: how each question performed in one exam's attempts."""

from __future__ import annotations

import csv

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exams import analysis
from exams.models import Exam
from exams.spreadsheets import safe_cell


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = (
        "Item analysis of one exam's finalized attempts: responses, facility, "
        "discrimination (corrected item-rest correlation), the share of responses that "
        "chose each option (option_a, option_b, … in the question's order), practice "
        "answers separately, the warnings, and the exam's Cronbach's alpha and SEM. "
        "Figures below the minimum number of responses are left empty (not enough data). "
        "docs/instructors.md explains each figure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--exam", required=True, help="The exam's slug.")
        parser.add_argument(
            "--format", choices=["csv", "table"], default="table", help="Output (default table)."
        )
        parser.add_argument(
            "--min-responses",
            type=int,
            default=analysis.MIN_RESPONSES,
            help=f"Responses a figure needs (default {analysis.MIN_RESPONSES}).",
        )

    def handle(self, *args, exam: str, format: str, min_responses: int, **options) -> None:
        found = Exam.objects.filter(slug=exam).first()
        if found is None:
            slugs = ", ".join(Exam.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"There is no exam {exam!r}. Exams: {slugs or 'none'}.")
        if min_responses < 1:
            raise CommandError("--min-responses must be at least 1.")
        items = sorted(
            analysis.analyse_items(exam=found, min_responses=min_responses).values(),
            key=lambda item: item.question_id,
        )
        reliability = analysis.exam_reliability(exam=found, min_attempts=min_responses)
        if format == "csv":
            self._csv(items)
        else:
            self._table(found, items, reliability)

    def _csv(self, items: list[analysis.ItemAnalysis]) -> None:
        width = max((len(item.options) for item in items), default=0)
        letters = [analysis.option_label(n).lower() for n in range(width)]
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(
            [
                "question",
                "external_id",
                "kind",
                "responses",
                "facility",
                "discrimination",
                *(f"option_{letter}" for letter in letters),
                "practice_responses",
                "practice_facility",
                "warnings",
            ]
        )
        for item in items:
            shares = [_number(o.share) for o in item.options]
            writer.writerow(
                safe_cell(value)
                for value in [
                    item.question_id,
                    item.external_id,
                    item.kind,
                    item.responses,
                    _number(item.facility),
                    _number(item.discrimination),
                    *shares,
                    *[""] * (width - len(shares)),
                    item.practice_responses,
                    _number(item.practice_facility),
                    "; ".join(w.label for w in item.warnings),
                ]
            )

    def _table(self, exam: Exam, items: list[analysis.ItemAnalysis], reliability) -> None:
        self.stdout.write(f"Item analysis of {exam.title} ({exam.slug})")
        if reliability.alpha is None:
            self.stdout.write(
                f"{reliability.attempts} finalized attempt(s): not enough data for alpha."
            )
        else:
            self.stdout.write(
                f"{reliability.attempts} finalized attempts, {reliability.items:.1f} scored "
                f"items each: Cronbach's alpha {reliability.alpha:.2f}, SEM "
                f"{reliability.sem:.2f} items ({reliability.sem_scaled:.0f} scaled points)."
            )
        header = ["question", "id", "kind", "responses", "facility", "discr.", "options"]
        rows = [header]
        for item in items:
            few = item.responses and item.facility is None
            options = " ".join(
                f"{o.label}{'*' if o.correct else ''} {o.share * 100:.0f}%"
                for o in item.options
                if o.share is not None
            )
            rows.append(
                [
                    str(item.question_id),
                    item.external_id,
                    item.kind,
                    str(item.responses),
                    "not enough data" if few else _number(item.facility) or "–",
                    _number(item.discrimination) or "–",
                    options,
                ]
            )
        widths = [max(len(row[n]) for row in rows) for n in range(len(header))]
        for row in rows:
            self.stdout.write(
                "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
        warned = [item for item in items if item.warnings]
        if warned:
            self.stdout.write("\nWarnings (* marks the key above):")
            for item in warned:
                for warning in item.warnings:
                    self.stdout.write(f"  {item.external_id}: {warning.message}")
