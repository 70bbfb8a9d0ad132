"""How an attempt item is shown: to answer it (never with its key), and to
review it once the key is due. Mock exams and practice render the same way."""

from __future__ import annotations

from typing import Any

from exams.grading import MATCHING, MULTIPLE, ORDERING, SINGLE

SELECT_WORDS = {2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE", 6: "SIX", 7: "SEVEN"}


def shown_item(snapshot: dict[str, Any], response: dict[str, Any] | None) -> dict[str, Any]:
    """What the answering page may know: the question and the learner's own answer.

    Built field by field from the snapshot so that the key, the feedback and
    the explanation cannot reach the page by accident.
    """
    response = response or {}
    kind = snapshot["kind"]
    count = len(snapshot["options"])
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
        for option in snapshot["options"]
    ]
    shown = {
        "kind": kind,
        "stem": snapshot["stem"],
        "options": options,
        "ranks": list(range(1, count + 1)),
    }
    if kind == MULTIPLE:
        shown["select"] = snapshot["select"]
        shown["select_word"] = SELECT_WORDS.get(snapshot["select"], str(snapshot["select"]))
    if kind == MATCHING:
        shown["matches"] = [{"id": m["id"], "text": m["text"]} for m in snapshot["matches"]]
    shown["instructions"] = _instructions(shown)
    return shown


def _instructions(shown: dict[str, Any]) -> str:
    kind = shown["kind"]
    if kind == SINGLE:
        return "Choose one answer."
    if kind == MULTIPLE:
        return f"Choose {shown['select_word'].lower()} answers."
    if kind == ORDERING:
        return "Give each item its place in the order, 1 first."
    return "Choose the match for each item."


def reviewed_item(
    snapshot: dict[str, Any], response: dict[str, Any] | None, is_correct: bool | None
) -> dict[str, Any]:
    """The item with the learner's answer, the key, feedback and explanation."""
    response = response or {}
    kind = snapshot["kind"]
    key = snapshot["key"]
    matches = {m["id"]: m["text"] for m in snapshot.get("matches", [])}
    chosen = set(response.get("choices", [])) | {response.get("choice")}
    ranks = response.get("ranks", {})
    matched = response.get("matches", {})
    rows = []
    for option in snapshot["options"]:
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
        "stem": snapshot["stem"],
        "rows": rows,
        "explanation": snapshot["explanation"],
        "source": snapshot["source"],
        "is_correct": is_correct,
        "answered": bool(response),
    }
