from django.core.management.base import BaseCommand, CommandError

from exams.bank.lint import ERROR, lint_specs, summarize
from exams.bank.loader import read_bank_files


class Command(BaseCommand):
    help = (
        "Lint question bank files for cues a test-wise learner exploits "
        "(docs/bank-format.md, Linting). Exits 1 on any error."
    )
    # Files only: no database, so no system checks (they open a connection).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", help="YAML or JSON bank files, linted as one bank")
        parser.add_argument("--strict", action="store_true", help="warnings fail too")

    def handle(self, *args, files: list[str], strict: bool, **options) -> None:
        specs, problems = read_bank_files(files)
        for problem in problems:
            self.stderr.write(str(problem))
        findings = lint_specs(specs)
        for finding in findings:
            style = self.style.ERROR if finding.severity == ERROR else self.style.WARNING
            self.stdout.write(style(str(finding)))
        self.stdout.write(f"Lint: {summarize(findings)}.")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the files; fix them first.")
        if any(f.severity == ERROR for f in findings):
            raise CommandError("The bank has lint errors.")
        if strict and findings:
            raise CommandError("The bank has lint warnings (--strict).")
