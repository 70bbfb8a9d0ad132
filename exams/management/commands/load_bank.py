from django.core.management.base import BaseCommand, CommandError

from exams.bank.importing import ImportOptions, parse_mapping
from exams.bank.lint import lint_specs, summarize
from exams.bank.loader import BankInvalid, LoadReport, load_bank_specs, read_bank_files


class Command(BaseCommand):
    help = (
        "Load question bank files (docs/bank-format.md): YAML or JSON, or Moodle GIFT "
        "or Moodle XML, told apart by their content. All files load in one "
        "transaction, or nothing does; every problem found is listed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "files", nargs="+", help="bank files: YAML, JSON, Moodle GIFT (.gift, .txt), Moodle XML"
        )
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
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be added, changed and skipped, and change nothing",
        )
        moodle = parser.add_argument_group("Moodle files (GIFT, Moodle XML)")
        moodle.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="CATEGORY=OBJECTIVE",
            help="put the questions of a Moodle category (its path, or its last part) "
            "under an objective code; repeat for each category",
        )
        moodle.add_argument(
            "--objective",
            default="",
            metavar="CODE",
            help="objective for questions whose category has no --map",
        )
        moodle.add_argument(
            "--skip-unsupported",
            action="store_true",
            help="import the rest when some questions are of a type the bank cannot hold "
            "(essay, numerical, short answer, cloze…), listing each one skipped",
        )

    def handle(
        self,
        *args,
        files: list[str],
        only_new: bool,
        overwrite: bool,
        dry_run: bool,
        map: list[str],
        objective: str,
        skip_unsupported: bool,
        **options,
    ) -> None:
        try:
            mapping = parse_mapping(map)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        import_options = ImportOptions(mapping, objective, skip_unsupported)
        # Read once: the load and the linter take the same parsed files.
        specs, errors = read_bank_files(files, import_options)
        try:
            report = load_bank_specs(
                specs, errors, only_new=only_new, overwrite=overwrite, dry_run=dry_run
            )
        except BankInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} problem(s) found; nothing was loaded.") from None
        if dry_run:
            self._write_dry_run(report)
        else:
            self.stdout.write(self.style.SUCCESS(f"Bank loaded: {report.summary()}."))
            for line in report.unsupported:
                self.stdout.write(f"Skipped {line}")
            for note in report.notes:
                self.stdout.write(f"Note: {note}")
        # The linter advises; what loads is decided by the rules above alone.
        findings = lint_specs(specs)
        for finding in findings:
            self.stderr.write(f"Lint warning: {finding}", style_func=self.style.WARNING)
        if findings:
            self.stderr.write(f"Lint: {summarize(findings)}.", style_func=self.style.WARNING)
        for conflict in report.conflicts:
            self.stderr.write(str(conflict))
        if report.conflicts:
            raise CommandError(
                f"{len(report.conflicts)} question(s) changed in the admin were left as they "
                f"are; {'the rest would load' if dry_run else 'the rest loaded'}. Rerun with "
                "--overwrite to replace them."
            )

    def _write_dry_run(self, report: LoadReport) -> None:
        out = self.stdout.write
        out(f"Dry run, nothing was changed. Loading would give: {report.summary()}.")
        for external_id in report.created:
            out(f"Would add {external_id}")
        for external_id in report.updated:
            out(f"Would change {external_id}:")
            out(report.diffs[external_id].rstrip("\n"))
        for external_id in report.status_changed:
            out(f"Would change the status of {external_id}")
        for external_id in report.unchanged:
            out(f"Unchanged {external_id}")
        for external_id in report.skipped:
            out(f"Would leave {external_id} as it is (already present)")
        for line in report.unsupported:
            out(f"Would skip {line}")
        for note in report.notes:
            out(f"Note: {note}")
