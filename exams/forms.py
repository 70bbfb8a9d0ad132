"""Input validation for answers: form data → a response dict, checked against
the item's snapshot. Anything that does not fit is refused with a message."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.http import QueryDict

from exams.grading import MATCHING, MULTIPLE, ORDERING, SINGLE


class AnswerInvalid(ValueError):
    """The posted answer cannot be stored; the message says why (HTTP 400)."""


def parse_seq(data: QueryDict) -> int:
    try:
        seq = int(data.get("seq", ""))
    except ValueError:
        raise AnswerInvalid("The page is out of date: reload it and answer again.") from None
    if seq < 0:
        raise AnswerInvalid("The page is out of date: reload it and answer again.")
    return seq


def parse_answer(snapshot: dict[str, Any], data: QueryDict) -> dict[str, Any] | None:
    """The response in `data` for this item, or None when it is cleared."""
    kind = snapshot["kind"]
    option_ids = [o["id"] for o in snapshot["options"]]
    if kind in (SINGLE, MULTIPLE):
        return _parse_choices(kind, snapshot, option_ids, data)
    if kind == ORDERING:
        return _parse_ranks(option_ids, data)
    if kind == MATCHING:
        return _parse_matches(option_ids, [m["id"] for m in snapshot["matches"]], data)
    raise AnswerInvalid("This question cannot be answered.")


def _unexpected_fields(data: QueryDict, prefix: str, allowed: list[str]) -> None:
    expected = {f"{prefix}{oid}" for oid in allowed}
    for name in data:
        if name.startswith(prefix) and name not in expected:
            raise AnswerInvalid(
                "That answer refers to an option that is not part of this question."
            )


def _parse_choices(kind: str, snapshot: dict, option_ids: list[str], data: QueryDict):
    chosen = data.getlist("choice")
    if any(c not in option_ids for c in chosen):
        raise AnswerInvalid("That choice is not part of this question.")
    if kind == SINGLE:
        if len(chosen) > 1:
            raise AnswerInvalid("This question has one answer: choose only one.")
        return {"choice": chosen[0]} if chosen else None
    unique = sorted(set(chosen))
    if len(unique) != len(chosen):
        raise AnswerInvalid("Each choice can be picked once.")
    wanted = snapshot.get("select", len(option_ids))
    if len(unique) > wanted:
        raise AnswerInvalid(f"This question asks for {wanted} answers: untick one first.")
    return {"choices": unique} if unique else None


def _parse_ranks(option_ids: list[str], data: QueryDict):
    _unexpected_fields(data, "rank-", option_ids)
    count = len(option_ids)
    ranks: dict[str, int] = {}
    for oid in option_ids:
        values = data.getlist(f"rank-{oid}")
        if len(values) > 1:
            raise AnswerInvalid("Give each item one rank.")
        raw = values[0].strip() if values else ""
        if not raw:
            continue
        try:
            rank = int(raw)
        except ValueError:
            raise AnswerInvalid(f"Ranks are numbers from 1 to {count}.") from None
        if not 1 <= rank <= count:
            raise AnswerInvalid(f"Ranks are numbers from 1 to {count}.")
        ranks[oid] = rank
    if len(set(ranks.values())) != len(ranks):
        raise AnswerInvalid("Each rank can be used once: give every item its own place.")
    return {"ranks": ranks} if ranks else None


def _parse_matches(prompt_ids: list[str], match_ids: list[str], data: QueryDict):
    _unexpected_fields(data, "match-", prompt_ids)
    matches: dict[str, str] = {}
    for pid in prompt_ids:
        values = data.getlist(f"match-{pid}")
        if len(values) > 1:
            raise AnswerInvalid("Choose one match for each item.")
        value = values[0] if values else ""
        if not value:
            continue
        if value not in match_ids:
            raise AnswerInvalid("That match is not part of this question.")
        matches[pid] = value
    return {"matches": matches} if matches else None


SORTS = {
    "name": lambda m: m.name.lower(),
    "last_active": lambda m: (m.last_active is not None, m.last_active),
    "attempts": lambda m: m.attempts,
    "best": lambda m: (m.best is not None, m.best or 0),
    "latest": lambda m: (m.latest is not None, m.latest or 0),
    "mastery": lambda m: (m.mastery is not None, m.mastery or 0),
    "ready": lambda m: m.ready,
}


class CohortFilterForm(forms.Form):
    """The cohort page's filters: an exam and a date range (both optional)."""

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
