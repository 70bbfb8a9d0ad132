"""Instructor-written Markdown to safe HTML.

python-markdown passes raw HTML through, so its output goes through nh3 with an
allow-list: no scripts, styles, frames, event handlers, `hx-*` attributes or
`javascript:` links survive. The result is wrapped in an `hx-disable` element so
htmx ignores anything that might slip past in future.
"""

from __future__ import annotations

import html as html_lib
import threading
from functools import lru_cache

import markdown as markdown_lib
import nh3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
    "tr", "th", "td", "del", "sup", "sub", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


_local = threading.local()


def _converter() -> markdown_lib.Markdown:
    """One converter per thread: building one costs more than converting a
    bank's text with it (a converter is not safe to share between threads)."""
    if not hasattr(_local, "converter"):
        _local.converter = markdown_lib.Markdown(extensions=["tables", "fenced_code", "sane_lists"])
    return _local.converter


@lru_cache(maxsize=4096)
def sanitize_markdown(text: str) -> str:
    """Markdown → sanitized HTML (no wrapper). Cached: bank text repeats a lot."""
    html = _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str, *, inline: bool = False) -> SafeString:
    """Sanitized HTML inside an `hx-disable` wrapper; `inline` for option labels."""
    html = sanitize_markdown(text or "")
    if inline and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return format_html('<span class="md" hx-disable>{}</span>', mark_safe(html[3:-4]))
    return format_html('<div class="md" hx-disable>{}</div>', mark_safe(html))


def markdown_text(text: str) -> str:
    """The Markdown's text without its formatting, for places that hold only
    text (a select's options): "**bold** `x`" gives "bold x". Plain text, to be
    escaped on output like any other."""
    html = nh3.clean(sanitize_markdown(text or ""), tags=set())
    return html_lib.unescape(" ".join(html.split()))
