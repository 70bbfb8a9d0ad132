"""CSV downloads that are safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) is read as a
formula by Excel, LibreOffice and Google Sheets; such text gets a leading
apostrophe, which the spreadsheet shows as plain text. Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from io import StringIO

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


BOM = "\ufeff"


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], *, bom: bool = False
) -> HttpResponse:
    """A CSV download; with `bom`, a UTF-8 byte order mark first, which tells
    Excel the file is UTF-8 (without it Excel reads accented names as Latin-1)."""
    buffer = StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
