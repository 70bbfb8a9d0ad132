"""Moodle's text formats to the bank's Markdown.

Moodle stores each text with a format: HTML, "Moodle auto-format" (HTML allowed,
newlines kept as line breaks), Markdown or plain text. The bank holds Markdown,
so HTML is first cut down by nh3 to the tags the site's Markdown renderer allows
(no scripts, styles, frames, event handlers or `javascript:` links; images go,
since their files are not imported, and links to Moodle's own files and pages
keep only their text) and then written as Markdown by markdownify.
Plain text is escaped so that it shows as written. Markdown is kept as it is:
the site sanitizes Markdown whenever it renders it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3
from markdownify import markdownify

from exams.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES

HTML, MOODLE, MARKDOWN, PLAIN = "html", "moodle", "markdown", "plain"
# GIFT writes [html], [moodle], [markdown], [plain]; Moodle XML writes format="…".
FORMAT_NAMES = {
    "html": HTML,
    "moodle": MOODLE,
    "moodle_auto_format": MOODLE,
    "markdown": MARKDOWN,
    "plain": PLAIN,
    "plain_text": PLAIN,
}
_MEDIA = re.compile(r"<(img|audio|video|object|embed|source)\b", re.IGNORECASE)
_PLUGINFILE = re.compile(r"@@PLUGINFILE@@")


@dataclass(frozen=True)
class Converted:
    markdown: str
    # Images and other embedded files dropped from the text: they are not imported.
    media: int = 0


def to_markdown(text: str, text_format: str) -> Converted:
    """`text` in Moodle's `text_format` (a name from FORMAT_NAMES) as Markdown."""
    fmt = FORMAT_NAMES.get(text_format, MOODLE)
    if not text.strip():
        return Converted("")
    if fmt == MARKDOWN:
        return Converted(text.strip())
    if fmt == PLAIN:
        source = html.escape(text).replace("\n", "<br>\n")
    elif fmt == MOODLE:
        source = text.replace("\r\n", "\n").replace("\n", "<br>\n")
    else:
        source = text
    media = len(_MEDIA.findall(source)) or len(_PLUGINFILE.findall(source))
    clean = nh3.clean(
        source,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        strip_comments=True,
        link_rel=None,
        # Links to Moodle's own files (@@PLUGINFILE@@) and pages are relative and
        # would lead nowhere here: only their text is kept.
        url_relative="deny",
    )
    markdown = markdownify(clean, heading_style="ATX", bullets="-", escape_misc=True)
    # markdownify writes a <br> as two trailing spaces, which the bank trims
    # (python-markdown has no other hard break): keep it as <br>, which the
    # renderer allows.
    markdown = re.sub(r" {2}\n", "<br>\n", markdown)
    lines = [line.rstrip() for line in markdown.strip().split("\n")]
    return Converted(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), media)
