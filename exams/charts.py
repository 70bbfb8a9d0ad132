"""Small server-rendered SVG charts (no JavaScript, no library)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

WIDTH, HEIGHT, PAD = 600, 200, 40


def _y(score: float) -> float:
    return PAD + (1000 - score) / 900 * (HEIGHT - 2 * PAD)


def _line(points: list[dict], pass_mark: int) -> dict:
    """Place `points` (each with a "score") left to right on the 100–1000 scale."""
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)
    for i, point in enumerate(points):
        point["x"] = round(PAD + i * step, 1)
        point["y"] = round(_y(point["score"]), 1)
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


def score_trend(attempts: Sequence) -> dict | None:
    """A learner's approximate scaled scores, oldest first; the pass line is
    the one the latest attempt was graded against (each attempt keeps its own)."""
    points = [
        {"score": a.scaled_score, "attempt": a} for a in attempts if a.scaled_score is not None
    ]
    return _line(points, points[-1]["attempt"].pass_mark) if points else None


def weekly_trend(weeks: Sequence[dict], pass_mark: int = 700) -> dict | None:
    """A cohort's weekly average approximate scaled score on a dated x axis.

    Each week sits at its own place between the first and the last week with
    attempts; a week without attempts is a gap in the line, not a bridge. The
    pass line is the one of the exam the chart is about.
    """
    if not weeks:
        return None
    first = weeks[0]["week"]
    count = (weeks[-1]["week"] - first).days // 7 + 1
    step = (WIDTH - 2 * PAD) / max(count - 1, 1)
    points, segments, previous = [], [], None
    for w in weeks:
        index = (w["week"] - first).days // 7
        point = {
            "score": w["average"],
            "week": w["week"],
            "attempts": w["attempts"],
            "x": round(PAD + index * step, 1) if count > 1 else WIDTH / 2,
            "y": round(_y(w["average"]), 1),
        }
        if previous is None or index != previous + 1:
            segments.append([])
        segments[-1].append(point)
        points.append(point)
        previous = index
    every = max(1, -(-count // 6))  # at most about six date labels
    ticks = [
        {
            "x": round(PAD + i * step, 1) if count > 1 else WIDTH / 2,
            "week": first + timedelta(weeks=i),
        }
        for i in range(0, count, every)
    ]
    return {
        "width": WIDTH,
        # Room under the plot for the date labels, then the axis title.
        "height": HEIGHT + 36,
        "points": points,
        "lines": [" ".join(f"{p['x']},{p['y']}" for p in seg) for seg in segments if len(seg) > 1],
        "pass_y": round(_y(pass_mark), 1),
        "pass_mark": pass_mark,
        "grid": [{"score": s, "y": round(_y(s), 1)} for s in (100, 400, 700, 1000)],
        "x_end": WIDTH - PAD,
        "x_start": PAD,
        "ticks": ticks,
        "tick_y": HEIGHT + 10,
        "x_title_y": HEIGHT + 32,
        "x_mid": WIDTH / 2,
        "gaps": count - len(weeks),
    }
