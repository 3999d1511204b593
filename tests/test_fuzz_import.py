"""Fuzzing the WXR reader with hostile text and mutated files.

Properties: any comment text comes out sanitised (no script, no event handler, every link
with our rel) and sanitising it again changes nothing; any byte-level damage to a real
export is either read or refused as ``PATH:LINE: message`` (an ArchiveError), never another
exception.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from archive_support import ISSO_WXR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blogengine.archives import wxr
from blogengine.archives.model import ArchiveError, Report
from blogengine.rendering import ARCHIVED_COMMENT_TAGS, archived_comment_html

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<item><title>t</title><wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type>
<wp:status>publish</wp:status><wp:comment><wp:comment_id>1</wp:comment_id>
<wp:comment_author>a</wp:comment_author><wp:comment_date_gmt>2020-01-01 00:00:00
</wp:comment_date_gmt><wp:comment_content>"""
TAIL = "</wp:comment_content></wp:comment></item></channel></rss>"
PIECES = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="https://e.org" onclick="x()" rel="dofollow">y</a>',
        "<img src=x onerror=alert(1)>",
        "<b>b</b>",
        "<p>",
        "</p>",
        "\n\n",
        "<!--",
        "&lt;&amp;",
        "<svg onload=alert(1)>",
        "<iframe src=//e.org>",
        "<style>*{}</style>",
    ]
)
XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff")
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(PIECES, XML_TEXT), max_size=12))
def test_any_comment_text_comes_out_sanitised(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str]
) -> None:
    path = Path(tmp_path_factory.mktemp("f")) / "x.xml"
    text = "".join(parts)
    legal = "".join(ch for ch in text if ch in "\t\n" or ch >= " ")
    path.write_text(HEAD + escape(legal) + TAIL, encoding="utf-8")
    (post,) = wxr.read(path, Report(str(path)))
    (comment,) = post.comments
    tags = Tags()
    tags.feed(comment.body_html)
    for tag, attrs in tags.found:
        assert tag in ARCHIVED_COMMENT_TAGS
        assert not [name for name in attrs if name.startswith("on")]
        if tag == "a":
            assert attrs.get("rel") == "nofollow ugc noopener"
            href = attrs.get("href") or ""
            assert ":" not in href or href.split(":")[0] in ("http", "https", "mailto")
    assert archived_comment_html(comment.body_html) == comment.body_html


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


ORIGINAL = ISSO_WXR.read_bytes()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(min_value=0, max_value=len(ORIGINAL)),
    st.integers(min_value=0, max_value=40),
    st.binary(max_size=8),
)
def test_damaged_files_are_read_or_refused_with_a_line(
    tmp_path_factory: pytest.TempPathFactory, at: int, cut: int, insert: bytes
) -> None:
    path = Path(tmp_path_factory.mktemp("d")) / "x.xml"
    data = ORIGINAL[:at] + insert + ORIGINAL[at + cut :]
    path.write_bytes(data)
    try:
        list(wxr.read(path, Report(str(path))))
    except ArchiveError as exc:
        assert 1 <= exc.line <= data.count(b"\n") + 1
        assert str(exc).startswith(f"{path}:{exc.line}: ")
