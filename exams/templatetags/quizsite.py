from datetime import timedelta

from django import template
from django.utils.safestring import SafeString, mark_safe

from exams.markdown import markdown_text, render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text)


@register.filter(name="markdown_inline")
def markdown_inline_filter(text: str) -> SafeString:
    return render_markdown(text, inline=True)


@register.filter(name="markdown_text")
def markdown_text_filter(text: str) -> str:
    return markdown_text(text)


@register.filter
def duration(value: int | float | timedelta | None) -> str:
    """Seconds (or a timedelta) for people: "1 h 05 min", "12 min 30 s", "45 s"."""
    if value is None:
        return ""
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    seconds = max(seconds, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"


@register.filter
def clock(seconds: int | None) -> str:
    """Seconds as a countdown: "1:05:09", "29:59", "0:07"."""
    if seconds is None:
        return ""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def get_item(mapping: dict, key):
    """mapping[key] in a template (None when absent)."""
    return mapping.get(key) if mapping else None


NO_ANSWERS = (
    '<td class="heat heat-none"><span class="visually-hidden">no answers</span>'
    '<span aria-hidden="true">·</span></td>'
)


@register.filter
def heat_cells(cells: dict | None, objectives) -> SafeString:
    """A heatmap row's cells, one per objective: the member's mastery coloured by
    band (70 % and up, 50–69 %, below 50 %), or "no answers". Built here rather
    than by a template loop: 25 rows of 14 cells, each an {% if %} chain, cost
    the cohort page more than all its queries together."""
    row = []
    for objective in objectives:
        value = cells.get(objective.id) if cells else None
        if value is None:
            row.append(NO_ANSWERS)
            continue
        band = "heat-high" if value >= 70 else "heat-mid" if value >= 50 else "heat-low"
        row.append(f'<td class="heat {band}">{int(value)}</td>')
    return mark_safe("".join(row))  # fixed markup and integers only
