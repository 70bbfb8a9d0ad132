from django.core.management.base import BaseCommand, CommandError

from exams.bank.lint import lint_specs, summarize
from exams.bank.loader import BankInvalid, load_bank_files, read_bank_files


class Command(BaseCommand):
    help = (
        "Load question bank files (docs/bank-format.md). All files load in one "
        "transaction, or nothing does; every problem found is listed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", help="YAML or JSON bank files")
        parser.add_argument(
            "--only-new",
            action="store_true",
            help="add what is missing and leave existing rows as they are "
            "(keeps edits made in the admin)",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace questions changed in the admin since they were last loaded "
            "with the file's version (without it they are left as they are and listed)",
        )

    def handle(self, *args, files: list[str], only_new: bool, overwrite: bool, **options) -> None:
        try:
            report = load_bank_files(files, only_new=only_new, overwrite=overwrite)
        except BankInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} problem(s) found; nothing was loaded.") from None
        self.stdout.write(self.style.SUCCESS(f"Bank loaded: {report.summary()}."))
        # The linter advises; what loads is decided by the rules above alone.
        findings = lint_specs(read_bank_files(files)[0])
        for finding in findings:
            self.stderr.write(f"Lint warning: {finding}", style_func=self.style.WARNING)
        if findings:
            self.stderr.write(f"Lint: {summarize(findings)}.", style_func=self.style.WARNING)
        for conflict in report.conflicts:
            self.stderr.write(str(conflict))
        if report.conflicts:
            raise CommandError(
                f"{len(report.conflicts)} question(s) changed in the admin were left as they "
                "are; the rest loaded. Rerun with --overwrite to replace them."
            )
