from datetime import timedelta

from django import template
from django.utils.safestring import SafeString

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
