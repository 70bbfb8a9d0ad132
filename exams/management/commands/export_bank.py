from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exams.bank.export import ExportError, export_bank


class Command(BaseCommand):
    help = "Write the question bank in the bank file format, to stdout or a file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--task", help='only this task statement, e.g. "3.3"')
        parser.add_argument("--domain", help="the domain to export when there are several")
        parser.add_argument("-o", "--output", help="write to this file instead of stdout")

    def handle(self, *args, task: str | None, domain: str | None, output: str | None, **options):
        try:
            text = export_bank(domain=domain, task=task)
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(self.style.SUCCESS(f"Wrote {output}."))
        else:
            self.stdout.write(text, ending="")
