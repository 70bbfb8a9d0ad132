"""Instructor Markdown is sanitized before it reaches a page (design.md guarantee 7)."""

import pytest

from exams.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>Hello",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    '<button hx-post="/x" hx-trigger="load">go</button>',
    "<style>body{display:none}</style>",
    '<iframe src="https://example.com"></iframe>',
    '<a href="#" onclick="steal()">x</a>',
    '<div hx-get="/admin/" hx-trigger="load" data-hx-post="/x">boom</div>',
    "<svg><script>alert(1)</script></svg>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_dangerous_markup_does_not_survive(payload):
    html = str(render_markdown(payload)).lower()
    for needle in ("<script", "onerror", "onclick", "javascript:", "hx-post", "hx-get",
                   "hx-trigger", "data-hx", "<style", "<iframe", "<button", "<svg"):  # fmt: skip
        assert needle not in html, (payload, html)


def test_rendered_content_is_wrapped_in_hx_disable():
    html = str(render_markdown("**Bold** and `code`"))
    assert html == (
        '<div class="md" hx-disable><p><strong>Bold</strong> and <code>code</code></p></div>'
    )


def test_safe_markdown_keeps_links_lists_and_tables():
    html = str(render_markdown("- [docs](https://example.com)\n- two\n\n| a |\n|---|\n| b |"))
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">docs</a>' in html
    assert "<li>two</li>" in html
    assert "<td>b</td>" in html


def test_script_text_is_dropped_not_shown():
    assert "alert" not in str(render_markdown("<script>alert(1)</script>Hello"))


def test_inline_rendering_drops_the_paragraph():
    assert str(render_markdown("*one* line", inline=True)) == (
        '<span class="md" hx-disable><em>one</em> line</span>'
    )
