"""The question as shown: one home for everything an item-as-shown knows.

An `ItemSnapshot` is frozen when an attempt (or a practice session) shows a
question, and is stored as JSON on the attempt item. It knows how to

- `freeze` a question with its choices (random per-attempt option ids, shuffled),
- `parse_response` from posted form data, refusing anything that does not fit,
- `grade` and `is_complete` a response,
- build what the answering page may see (`shown`: never the key, feedback or
  explanation) and what the review shows once the key is due (`reviewed`).

Mock exams and practice go through this class alike, so the rules of an item
live here and nowhere else.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from exams import grading
from exams.bank.lint import SELECT_PATTERN
from exams.grading import MATCHING, MULTIPLE, ORDERING, SINGLE

SELECT_WORDS = {2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE", 6: "SIX", 7: "SEVEN"}

Response = dict[str, Any]


class AnswerInvalid(ValueError):
    """The posted answer cannot be stored; the message says why (HTTP 400)."""


def _token(used: set[str]) -> str:
    while True:
        token = secrets.token_hex(4)
        if token not in used:
            used.add(token)
            return token


def _shuffled(values: list, rng: random.Random, avoid_identity: bool) -> list:
    """A shuffled copy; with `avoid_identity`, never the original order (n > 1)."""
    result = values[:]
    rng.shuffle(result)
    if avoid_identity and len(result) > 1:
        while result == values:
            rng.shuffle(result)
    return result


@dataclass(frozen=True)
class ItemSnapshot:
    """A question frozen as one attempt shows it, with its key (`data` is the JSON)."""

    data: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemSnapshot:
        return cls(data)

    @classmethod
    def freeze(
        cls, question, choices: list, *, rng: random.Random, shuffle: bool, **extra: Any
    ) -> ItemSnapshot:
        """Freeze `question` (a Question and its choices in key order).

        Options get random ids, so neither the ids nor the order shown say
        anything about the key. Ordering items and matching partners are always
        shown out of their correct order. `extra` is stored alongside (practice
        keeps the objective there).
        """
        used: set[str] = set()
        ids = [_token(used) for _ in choices]
        options = [
            {"id": oid, "text": c.text, "feedback": c.feedback}
            for oid, c in zip(ids, choices, strict=True)
        ]
        data: dict[str, Any] = {
            "kind": question.kind,
            "stem": question.stem,
            "explanation": question.explanation,
            "source": question.source,
        }
        case = question.case if question.case_id else None
        if case is not None:
            data["case"] = {"id": case.external_id, "title": case.title, "scenario": case.scenario}
        kind = question.kind
        if kind == SINGLE:
            data["key"] = next(
                o["id"] for o, c in zip(options, choices, strict=True) if c.is_correct
            )
        elif kind == MULTIPLE:
            data["key"] = sorted(
                o["id"] for o, c in zip(options, choices, strict=True) if c.is_correct
            )
            data["select"] = len(data["key"])
        elif kind == ORDERING:
            data["key"] = [o["id"] for o in options]  # choices arrive in correct order
        elif kind == MATCHING:
            match_ids = [_token(used) for _ in choices]
            # A choice without prompt text is an extra match: offered, nobody's partner.
            data["key"] = {
                oid: mid for oid, mid, c in zip(ids, match_ids, choices, strict=True) if c.text
            }
            options = [o for o in options if o["id"] in data["key"]]
        must_move = kind == ORDERING
        data["options"] = _shuffled(options, rng, must_move) if shuffle or must_move else options
        if kind == MATCHING:
            # Partners in the order of the prompts as shown, then moved off that order.
            text = {mid: c.match for mid, c in zip(match_ids, choices, strict=True)}
            aligned = [data["key"][o["id"]] for o in data["options"]]
            aligned += [mid for mid in match_ids if mid not in data["key"].values()]
            data["matches"] = [
                {"id": mid, "text": text[mid]}
                for mid in _shuffled(aligned, rng, avoid_identity=True)
            ]
        data.update(extra)
        return cls(data)

    # --- reading ----------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def key(self) -> Any:
        return self.data["key"]

    @property
    def case(self) -> dict[str, str] | None:
        """The case study the question belongs to (title and scenario), if any."""
        return self.data.get("case")

    @property
    def option_ids(self) -> list[str]:
        return [o["id"] for o in self.data["options"]]

    @property
    def select(self) -> int:
        return self.data.get("select", len(self.data["options"]))

    def grade(self, response: Response | None) -> bool:
        return grading.grade(self.kind, self.key, response)

    def is_complete(self, response: Response | None) -> bool:
        return grading.is_complete(self.data, response)

    # --- answering --------------------------------------------------------

    def parse_response(self, data: QueryDict) -> Response | None:
        """The response in posted `data`, or None when it is cleared.

        Raises AnswerInvalid, with a message for the learner, for unknown ids,
        two choices on a single-answer item, more choices than asked for, ranks
        outside 1..N or used twice, and anything else that does not fit.
        """
        kind = self.kind
        if kind in (SINGLE, MULTIPLE):
            return self._parse_choices(data)
        if kind == ORDERING:
            return self._parse_ranks(data)
        if kind == MATCHING:
            return self._parse_matches(data)
        raise AnswerInvalid("This question cannot be answered.")

    def _parse_choices(self, data: QueryDict) -> Response | None:
        chosen = data.getlist("choice")
        option_ids = self.option_ids
        if any(c not in option_ids for c in chosen):
            raise AnswerInvalid("That choice is not part of this question.")
        if self.kind == SINGLE:
            if len(chosen) > 1:
                raise AnswerInvalid("This question has one answer: choose only one.")
            return {"choice": chosen[0]} if chosen else None
        unique = sorted(set(chosen))
        if len(unique) != len(chosen):
            raise AnswerInvalid("Each choice can be picked once.")
        if len(unique) > self.select:
            raise AnswerInvalid(f"This question asks for {self.select} answers: untick one first.")
        return {"choices": unique} if unique else None

    def _parse_ranks(self, data: QueryDict) -> Response | None:
        option_ids = self.option_ids
        _refuse_unexpected(data, "rank-", option_ids)
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

    def _parse_matches(self, data: QueryDict) -> Response | None:
        prompt_ids = self.option_ids
        match_ids = [m["id"] for m in self.data["matches"]]
        _refuse_unexpected(data, "match-", prompt_ids)
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

    # --- showing ----------------------------------------------------------

    def shown(self, response: Response | None) -> dict[str, Any]:
        """What the answering page may know: the question and the learner's own answer.

        Built field by field, so that the key, the feedback and the explanation
        cannot reach the page by accident.
        """
        response = response or {}
        kind = self.kind
        chosen = set(response.get("choices", [])) | {response.get("choice")}
        ranks = response.get("ranks", {})
        matched = response.get("matches", {})
        options = [
            {
                "id": option["id"],
                "text": option["text"],
                "selected": option["id"] in chosen,
                "rank": ranks.get(option["id"]),
                "match": matched.get(option["id"]),
            }
            for option in self.data["options"]
        ]
        shown: dict[str, Any] = {
            "kind": kind,
            "case": self.case,
            "stem": self.data["stem"],
            "options": options,
            "ranks": list(range(1, len(options) + 1)),
        }
        if kind == MULTIPLE:
            shown["select"] = self.select
            shown["select_word"] = SELECT_WORDS.get(self.select, str(self.select))
        if kind == MATCHING:
            shown["matches"] = [{"id": m["id"], "text": m["text"]} for m in self.data["matches"]]
        shown["instructions"] = _instructions(shown)
        return shown

    def reviewed(self, response: Response | None, is_correct: bool | None) -> dict[str, Any]:
        """The item with the learner's answer, the key, feedback and explanation."""
        response = response or {}
        kind, key = self.kind, self.key
        matches = {m["id"]: m["text"] for m in self.data.get("matches", [])}
        chosen = set(response.get("choices", [])) | {response.get("choice")}
        ranks = response.get("ranks", {})
        matched = response.get("matches", {})
        rows = []
        for option in self.data["options"]:
            oid = option["id"]
            row = {"text": option["text"], "feedback": option["feedback"]}
            if kind in (SINGLE, MULTIPLE):
                row["chosen"] = oid in chosen
                row["correct"] = oid == key if kind == SINGLE else oid in key
                row["right"] = row["chosen"] == row["correct"]
            elif kind == ORDERING:
                row["given"] = ranks.get(oid)
                row["expected"] = key.index(oid) + 1
                row["right"] = row["given"] == row["expected"]
            else:
                row["given"] = matches.get(matched.get(oid), "")
                row["expected"] = matches[key[oid]]
                row["right"] = matched.get(oid) == key[oid]
            rows.append(row)
        if kind == ORDERING:
            rows.sort(key=lambda row: row["expected"])
        return {
            "kind": kind,
            "case": self.case,
            "stem": self.data["stem"],
            "rows": rows,
            "explanation": self.data["explanation"],
            "is_correct": is_correct,
            "answered": bool(response),
        }


def _refuse_unexpected(data: QueryDict, prefix: str, allowed: list[str]) -> None:
    expected = {f"{prefix}{oid}" for oid in allowed}
    for name in data:
        if name.startswith(prefix) and name not in expected:
            raise AnswerInvalid(
                "That answer refers to an option that is not part of this question."
            )


def _instructions(shown: dict[str, Any]) -> str:
    kind = shown["kind"]
    if kind == SINGLE:
        return "Choose one answer."
    if kind == MULTIPLE:
        # As on the AWS exam, the stem says "(Select TWO.)"; the page says it
        # again only when the stem does not.
        if SELECT_PATTERN.search(shown["stem"]):
            return ""
        return f"(Select {shown['select_word']}.)"
    if kind == ORDERING:
        return "Give each item its place in the order, 1 first."
    return "Choose the match for each item."
