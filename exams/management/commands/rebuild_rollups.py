"""Recompute the rollups (per objective, per learner, per exam) from the answers and
attempts, and report drift."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from exams import rollups


class Command(BaseCommand):
    help = (
        "Compare every rollup row with a recomputation from the answers, report any "
        "drift, and rebuild the rows (--check: only report, exit 1 on drift)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Report drift only; change nothing."
        )

    def handle(self, *args, **options) -> None:
        found = rollups.drift()
        for user_id, row, what in found.rows[:50]:
            self.stdout.write(f"drift: user {user_id}, {row}: {what}")
        if len(found.rows) > 50:
            self.stdout.write(f"… and {len(found.rows) - 50} more")
        self.stdout.write(
            f"{found.checked} rollup rows checked against the answers: "
            f"{len(found.rows) or 'no'} drift{'' if len(found.rows) == 1 else 's'}."
        )
        if options["check"]:
            if found:
                raise SystemExit(1)
            return
        if found:
            rollups.rebuild()
            self.stdout.write("Rebuilt the rollups from the answers.")
