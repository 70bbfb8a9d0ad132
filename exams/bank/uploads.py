"""The admin's "Import questions": upload, preview (a dry run), confirm.

The uploaded file is kept in a `BankUpload` row (not the session: the web tier
is stateless and its sessions may live in signed cookies, too small for a
bank), under a random UUID and its uploader, so that confirming needs no second
upload and nobody else can read or import it. The preview page carries a
fingerprint of what the dry run reported; confirming runs the load for real in
one transaction and keeps it only if it reports the same, so what is imported
is exactly what the instructor saw. If the bank changed in between (another
instructor edited a question), nothing is kept and the new preview is shown.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from exams.bank.importing import (
    FORMAT_LABELS,
    ImportOptions,
    category_label,
    detect_format,
    parse_bank_text,
    read_records,
)
from exams.bank.loader import BankInvalid, LoadReport, load_bank_specs
from exams.bank.moodle import MoodleFileError
from exams.bank.schema import BankError
from exams.models import BankUpload

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
KEEP_UPLOADS = timedelta(days=1)


class UploadRefused(ValueError):
    """The file cannot be imported at all; the message says why."""


class UploadGone(Exception):
    """The upload has been imported (or removed) since the page was shown."""


def store_upload(*, user, name: str, data: bytes, now: datetime) -> BankUpload:
    """Keep an uploaded file for its preview; refuse what is too big or not text."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB. Split the bank into several files."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRefused(
            "The file is not UTF-8 text. Upload a YAML, JSON, GIFT or Moodle XML file "
            "(Moodle writes UTF-8)."
        ) from None
    if not text.strip():
        raise UploadRefused("The file is empty.")
    with transaction.atomic():
        BankUpload.objects.filter(user=user, created_at__lt=now - KEEP_UPLOADS).delete()
        return BankUpload.objects.create(
            user=user,
            name=name[:200],
            content=text,
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=now,
        )


@dataclass
class Preview:
    """What importing an upload with some options would do."""

    format: str
    report: LoadReport | None = None
    errors: list[BankError] = field(default_factory=list)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS[self.format]

    @property
    def change_count(self) -> int:
        report = self.report
        return len(report.updated) + len(report.status_changed) if report else 0

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.report) if self.report else ""


def fingerprint(report: LoadReport) -> str:
    """A digest of everything a preview shows, to tell whether a run did the same."""
    shown = {
        "created": report.created,
        "updated": report.updated,
        "diffs": report.diffs,
        "status": report.status_changed,
        "unchanged": report.unchanged,
        "conflicts": [str(c) for c in report.conflicts],
        "unsupported": report.unsupported,
        "notes": report.notes,
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def describe_upload(upload: BankUpload) -> tuple[str, list[tuple[str, int]]]:
    """The upload's format, and for a Moodle file its categories with their
    question counts, in file order (empty when it cannot be read)."""
    counts: dict[str, int] = {}
    try:
        records = read_records(upload.content)
    except (ValueError, MoodleFileError):
        records = []
    for record in records:
        label = category_label(record.category)
        counts[label] = counts.get(label, 0) + 1
    return detect_format(upload.content), list(counts.items())


def _run(
    upload: BankUpload, options: ImportOptions, *, overwrite: bool, user, now, dry_run: bool
) -> tuple[LoadReport | None, list[BankError]]:
    spec, errors = parse_bank_text(upload.name, upload.content, options)
    try:
        report = load_bank_specs(
            [spec], errors, overwrite=overwrite, user=user, now=now, dry_run=dry_run
        )
    except BankInvalid as exc:
        return None, exc.errors
    return report, []


def preview_upload(
    upload: BankUpload, options: ImportOptions, *, overwrite: bool, user, now: datetime
) -> Preview:
    """A dry run: the report of what would change, or the problems; changes nothing."""
    preview = Preview(format=detect_format(upload.content))
    preview.report, preview.errors = _run(
        upload, options, overwrite=overwrite, user=user, now=now, dry_run=True
    )
    return preview


def apply_upload(
    upload: BankUpload,
    options: ImportOptions,
    *,
    overwrite: bool,
    expected: str,
    user,
    now: datetime,
) -> tuple[LoadReport | None, Preview | None]:
    """Import the upload in one transaction if it does what the preview showed.

    Returns (report, None) once imported (the upload is then deleted), or
    (None, the new preview) when the outcome differs from `expected`, the
    fingerprint the instructor confirmed; then nothing is changed. Raises
    UploadGone when the upload was imported meanwhile (a double click).
    """
    with transaction.atomic():
        # A second confirmation waits here for the first, then finds the row gone.
        if not BankUpload.objects.select_for_update().filter(pk=upload.pk).exists():
            raise UploadGone
        report, errors = _run(
            upload, options, overwrite=overwrite, user=user, now=now, dry_run=False
        )
        if report is not None and fingerprint(report) == expected:
            BankUpload.objects.filter(pk=upload.pk).delete()
            return report, None
        transaction.set_rollback(True)
    preview = Preview(format=detect_format(upload.content), report=report, errors=errors)
    # What the rolled-back run reported is what a dry run would report now.
    return None, preview
