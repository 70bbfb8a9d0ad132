"""Input validation: the save protocol's fields and the cohort page's filters.
(An answer itself is parsed by its snapshot: exams.snapshots.)"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.http import QueryDict

from exams.attempts import Write
from exams.snapshots import AnswerInvalid

MAX_NUMBER = 2**31 - 1  # the columns' range on every database


def _number(data: QueryDict, name: str) -> int:
    try:
        value = int(data.get(name, ""))
    except ValueError:
        raise AnswerInvalid("The page is out of date: reload it and answer again.") from None
    if not 0 <= value <= MAX_NUMBER:
        raise AnswerInvalid("The page is out of date: reload it and answer again.")
    return value


def parse_write(data: QueryDict) -> Write:
    """The save protocol's fields of an answer post (docs/exams.md).

    A page without JavaScript sends no write number: each of its pages writes
    once, as write 0.
    """
    return Write(
        seq=_number(data, "seq"),
        writer=data.get("writer", "")[:16],
        number=_number(data, "write") if data.get("write") else 0,
    )


SORTS = {
    "name": lambda m: m.name.lower(),
    "username": lambda m: m.username.lower(),
    "last_active": lambda m: (m.last_active is not None, m.last_active),
    "attempts": lambda m: m.attempts,
    "best": lambda m: (m.best is not None, m.best or 0),
    "latest": lambda m: (m.latest is not None, m.latest or 0),
    "mastery": lambda m: (m.mastery is not None, m.mastery or 0),
    "forecast": lambda m: (m.forecast is not None, m.forecast.p_pass if m.forecast else 0),
    "ready": lambda m: (m.ready, m.readiness_attempts),
}


class CohortFilterForm(forms.Form):
    """The cohort page's filters: an exam, a date range, a search, inactive members."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        help_text="Name, username or email",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    inactive = forms.BooleanField(required=False, label="Inactive for 14 days")
    exam = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All exams", to_field_name="slug"
    )
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        required=False, choices=[(k, k) for key in SORTS for k in (key, f"-{key}")]
    )

    def __init__(self, *args, exams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["exam"].queryset = exams

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The start date must come before the end date.")
        return data

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The range as UTC datetimes; the end date counts whole."""
        data = self.cleaned_data if self.is_valid() else {}
        start = data.get("start")
        end = data.get("end")
        return (
            datetime.combine(start, time.min, tzinfo=UTC) if start else None,
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC) if end else None,
        )
