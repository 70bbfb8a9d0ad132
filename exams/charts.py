"""Small server-rendered SVG charts (no JavaScript, no library)."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH, HEIGHT, PAD = 600, 200, 28


def _y(score: float) -> float:
    return PAD + (1000 - score) / 900 * (HEIGHT - 2 * PAD)


def score_trend(attempts: Sequence, pass_mark: int = 700) -> dict | None:
    """Points for a line of approximate scaled scores, oldest first."""
    scores = [a.scaled_score for a in attempts if a.scaled_score is not None]
    if not scores:
        return None
    step = (WIDTH - 2 * PAD) / max(len(scores) - 1, 1)
    points = [
        {"x": round(PAD + i * step, 1), "y": round(_y(s), 1), "score": s, "attempt": a}
        for i, (s, a) in enumerate(zip(scores, attempts, strict=False))
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "pass_y": round(_y(pass_mark), 1),
        "pass_mark": pass_mark,
        "grid": [{"score": s, "y": round(_y(s), 1)} for s in (100, 400, 700, 1000)],
        "x_end": WIDTH - PAD,
        "x_start": PAD,
    }


def weekly_trend(weeks: Sequence[dict], pass_mark: int = 700) -> dict | None:
    """Points for the weekly average approximate scaled score of a cohort."""
    if not weeks:
        return None
    step = (WIDTH - 2 * PAD) / max(len(weeks) - 1, 1)
    points = [
        {
            "x": round(PAD + i * step, 1),
            "y": round(_y(w["average"]), 1),
            "score": w["average"],
            "week": w["week"],
            "attempts": w["attempts"],
        }
        for i, w in enumerate(weeks)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "pass_y": round(_y(pass_mark), 1),
        "pass_mark": pass_mark,
        "grid": [{"score": s, "y": round(_y(s), 1)} for s in (100, 400, 700, 1000)],
        "x_end": WIDTH - PAD,
        "x_start": PAD,
    }
