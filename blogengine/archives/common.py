"""Small helpers every importer shares: text clean-up, slugs from old URLs, parents."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import nh3

from ..rendering import CONTROL_CHARACTERS
from ..slugs import slugify
from .model import ArchiveComment, Report

_SLUG = re.compile(r"^[\w-]{1,200}$")
AUTHOR_MAX = 200
EMAIL_MAX = 254
WEBSITE_MAX = 500
ADDR_MAX = 64
TITLE_MAX = 500


def clean(text: str | None, limit: int | None = None) -> str:
    """Stored text never holds control characters (see rendering.CONTROL_CHARACTERS)."""
    cleaned = CONTROL_CHARACTERS.sub("", (text or "").replace("\r\n", "\n")).strip()
    return cleaned[:limit] if limit else cleaned


def optional(text: str | None, limit: int) -> str | None:
    cleaned = clean(text, limit)
    return cleaned or None


def plain_title(text: str) -> str:
    """A title as plain text: WordPress titles may hold markup, ours are escaped on display."""
    return clean(html.unescape(nh3.clean(text, tags=set())), TITLE_MAX)


def slug_from(name: str, fallback_title: str) -> str:
    """An old slug (percent-decoded, Unicode kept) when it is usable as ours, else the title's."""
    decoded = unquote(name.strip()).strip("/").lower()
    return decoded if _SLUG.match(decoded) else slugify(fallback_title)


def slug_from_url(url: str) -> str:
    """The last meaningful path segment of an old post's URL ("" if there is none)."""
    path = urlsplit(url.strip()).path.strip("/")
    parts = [p for p in path.split("/") if p and not p.startswith("index.")]
    return unquote(parts[-1]).lower() if parts else ""


def utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def link_parents(comments: list[ArchiveComment], where: str, report: Report) -> None:
    """A reply whose parent is not in the post (or is its own ancestor) becomes top level.

    Kept, never dropped, and reported.
    """
    by_key = {c.key: c for c in comments}
    for comment in comments:
        seen = {comment.key}
        parent = comment.parent_key
        while parent is not None and parent in by_key and parent not in seen:
            seen.add(parent)
            parent = by_key[parent].parent_key
        if comment.parent_key is not None and (
            comment.parent_key not in by_key or parent is not None
        ):
            report.note(
                "replies whose parent is not in the export (kept at the top level)",
                f"{where} comment {comment.key}",
            )
            comment.parent_key = None
