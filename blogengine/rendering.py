"""Text to safe HTML, done once when a post or comment is written (pages never re-render).

Comments are plain text: every character the reader typed is shown as typed, line breaks kept,
bare http(s) links made clickable with rel="nofollow ugc noopener". Posts are the owner's
Markdown. Everything passes through nh3 with a small allow-list, so no script survives.
"""

from __future__ import annotations

import html as htmllib
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import escape

from .highlight import highlight, keep_class

LINK_REL = "nofollow ugc noopener"

#: Characters stored text never holds: C0 controls but tab and line feed (so a lone CR too),
#: DEL, C1 controls, and the noncharacters U+FFFE/U+FFFF. No one types them on purpose, XML
#: (the feeds) cannot carry them and PostgreSQL cannot store NUL. The comment form drops
#: them; the seed loader refuses a file holding one.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def first_control_character(text: str) -> tuple[int, str] | None:
    """The line (from 1) and a description of the first forbidden character, if any."""
    match = CONTROL_CHARACTERS.search(text)
    if match is None:
        return None
    char = match.group()
    kind = "noncharacter" if char in "\ufffe\uffff" else "control character"
    return text.count("\n", 0, match.start()) + 1, f"{kind} U+{ord(char):04X}"


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]")

COMMENT_TAGS = {"p", "br", "a"}
POST_TAGS = {
    "p", "br", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "hr", "img", "figure", "figcaption", "del", "sup", "sub",
    "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
#: ``class`` only as highlight.keep_class allows: a fence's language, Pygments' tokens.
POST_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},
    "span": {"class"},
}

_markdown = MarkdownIt(
    "commonmark", {"html": True, "linkify": False, "highlight": highlight}
).enable("table")
_markdown.enable("strikethrough")


def comment_html(text: str) -> str:
    """A reader's plain text as paragraphs (blank lines) and <br> (single line breaks)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    html = "".join(f"<p>{_lines_html(p)}</p>" for p in paragraphs)
    return nh3.clean(
        html,
        tags=COMMENT_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
    )


def _lines_html(paragraph: str) -> str:
    # No newline after <br>: the page shows comment paragraphs with white-space: pre-wrap, so
    # a reader's indentation and runs of spaces appear as typed.
    return "<br>".join(_linkify(line) for line in paragraph.split("\n"))


def _linkify(line: str) -> str:
    out, last = [], 0
    for match in _URL.finditer(line):
        out.append(str(escape(line[last : match.start()])))
        url = escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(str(escape(line[last:])))
    return "".join(out)


def markdown_html(source: str) -> str:
    """The owner's Markdown, sanitised (the owner's account may be the one stolen).

    The owner's links are the owner's: no ``nofollow ugc`` (that is for readers' links).
    Fenced code is highlighted (highlight.py).
    """
    return nh3.clean(
        _markdown.render(source),
        tags=POST_TAGS,
        attributes=POST_ATTRIBUTES,
        attribute_filter=keep_class,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )


#: What old comments from WordPress or Disqus may keep: the few tags WordPress lets readers use.
ARCHIVED_COMMENT_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "code", "blockquote", "q", "cite", "del",
    "strike", "abbr", "pre", "ul", "ol", "li",
}  # fmt: skip
_PARAGRAPH = re.compile(r"<p[\s>]", re.I)
_BLOCK_START = re.compile(r"^\s*<(p|h[1-6]|ul|ol|li|blockquote|pre|table|figure|hr|div)\b", re.I)


def wordpress_post_html(source: str) -> str:
    """A WordPress post's HTML, sanitised like the owner's posts.

    WordPress stores paragraphs as blank lines and adds the <p> tags when showing the post
    (``wpautop``); we add them once here (see ``_with_paragraphs``).
    """
    return _with_paragraphs(source, tags=POST_TAGS, attributes=POST_ATTRIBUTES)


def archived_comment_html(source: str) -> str:
    """An old comment's HTML (WordPress, Disqus): a few inline tags, links with our rel."""
    return _with_paragraphs(
        source,
        tags=ARCHIVED_COMMENT_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "q": {"cite"}},
    )


def _with_paragraphs(source: str, *, tags: set[str], attributes: dict[str, set[str]]) -> str:
    """Sanitised HTML, with <p> tags added (``_autop``) unless it has its own once sanitised.

    Deciding on the sanitised text makes this its own fixed point: what it returns comes back
    unchanged, so an exported file imported and exported again is the same file.
    """

    def clean(html: str) -> str:
        return nh3.clean(
            html,
            tags=tags,
            attributes=attributes,
            url_schemes={"http", "https", "mailto"},
            link_rel=LINK_REL,
        )

    cleaned = clean(source).strip()
    if _PARAGRAPH.search(cleaned):
        return cleaned
    return clean(_autop(source)).strip()


def _autop(source: str) -> str:
    """Blank lines become paragraphs and single newlines <br>, as WordPress shows them."""
    source = source.replace("\r\n", "\n").replace("\r", "\n").strip()
    out = []
    for chunk in re.split(r"\n\s*\n", source):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _BLOCK_START.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


def render_post_body(body_format: str, source: str) -> tuple[str, str]:
    """A post's sanitised HTML and excerpt from its source, for every way a post is made.

    ``body_format`` is "markdown" (the owner's posts), "text" (archived paragraphs, one a
    line) or "html" (imported from WordPress or an export).
    """
    if body_format == "markdown":
        html = markdown_html(source)
    elif body_format == "text":
        html = paragraphs_html(source.split("\n"))
    elif body_format == "html":
        html = wordpress_post_html(source)
    else:
        raise ValueError(f"unknown body format {body_format!r}")
    return html, plain_excerpt(html)


def paragraphs_html(paragraphs: list[str]) -> str:
    """Archived plain-text paragraphs, one <p> each, shown exactly as archived."""
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def plain_excerpt(html: str, limit: int = 280) -> str:
    """The first paragraph of an HTML body as plain text, cut at a word after ``limit``.

    Headings, code and lists are not the post's opening words: a body without a paragraph
    gives its text with those blocks kept apart by spaces.
    """
    first = _FIRST_PARAGRAPH.search(html)
    # A space after each block, so blocks do not run together once the tags are gone.
    spaced = re.sub(r"(</(?:p|h[1-6]|li|blockquote|pre)>|<br\s*/?>)", r"\1 ", html)
    text = htmllib.unescape(nh3.clean(first.group(1) if first else spaced, tags=set()))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:–—-")
    return cut + "…"
