"""The JSON Lines export format: what ``blogengine export`` writes and ``import jsonl`` reads.

Line 1 is ``{"format": "blogengine-export", "version": 1}``. Then each post, followed by its
comments, one JSON object a line::

    {"type": "post", "uid", "source_key", "slug", "title", "subtitle", "author",
     "publication", "image_name", "image_alt", "signature", "status", "body_format",
     "body_source", "body_html", "published_at", "created_at", "comments_open"}
    {"type": "comment", "post": uid, "ref", "number", "parent": ref or null, "kind",
     "status", "author", "website", "created_at", "body", "body_html", "verdicts",
     "submission_key", and with --include-private "email", "remote_addr", "user_agent"}

``ref`` names a comment within its post: its number, or "h1", "h2"... for held and spam
comments, which have no number until published (``number`` is null); ``parent`` is the
parent's ref (files without ``ref`` name comments by number). Times are ISO 8601 with their
offset; ``created_at`` is null when the archive kept no time. A post keeps its ``uid`` (the
id comments are keyed by), so importing a site's export into the same site finds every post
again. Posts are re-rendered from ``body_source`` on import; comments' ``body_html`` is
sanitised again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..comments.contracts import CommentKind, Status, Verdict
from ..models import PostStatus
from ..rendering import archived_comment_html
from .common import (
    ADDR_MAX,
    AUTHOR_MAX,
    EMAIL_MAX,
    TITLE_MAX,
    WEBSITE_MAX,
    clean,
    link_parents,
    optional,
)
from .model import ArchiveComment, ArchiveError, ArchivePost, Report

FORMAT = "blogengine-export"
VERSION = 1
BODY_FORMATS = ("markdown", "text", "html")


def header() -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION}


def read(path: str | Path, report: Report) -> Iterator[ArchivePost]:
    """Each post with its comments, one post in memory at a time, counted into ``report``."""
    name = str(path)
    current: ArchivePost | None = None
    try:
        source = open(path, encoding="utf-8")  # noqa: SIM115 - closed in finally, a generator
    except OSError as exc:
        raise ArchiveError(name, 1, f"cannot read file: {exc.strerror or exc}") from exc
    try:
        line_no = 0
        for line_no, line in enumerate(source, start=1):
            if not line.strip():
                continue
            record = _record(name, line_no, line)
            if line_no == 1:
                _check_header(name, record)
                continue
            kind = record.get("type")
            if kind == "post":
                if current is not None:
                    yield _finish(current, report)
                current = _post(name, line_no, record)
            elif kind == "comment":
                if current is None or record.get("post") != current.uid:
                    raise ArchiveError(name, line_no, "a comment that does not follow its post")
                current.comments.append(_comment(name, line_no, record))
            else:
                raise ArchiveError(name, line_no, f"unknown record type {kind!r}")
        if line_no == 0:
            raise ArchiveError(name, 1, "empty file: not a blogengine export")
        if current is not None:
            yield _finish(current, report)
    except UnicodeDecodeError as exc:
        raise ArchiveError(name, line_no + 1, f"not UTF-8: {exc.reason}") from exc
    finally:
        source.close()


def _record(name: str, line_no: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise ArchiveError(name, line_no, f"not JSON: {exc}") from exc
    if not isinstance(record, dict):
        raise ArchiveError(name, line_no, "not a JSON object")
    return record


def _check_header(name: str, record: dict[str, Any]) -> None:
    if record.get("format") != FORMAT:
        raise ArchiveError(name, 1, f"not a blogengine export (no {FORMAT!r} header)")
    if record.get("version") != VERSION:
        raise ArchiveError(
            name, 1, f"unknown export version {record.get('version')!r}; this reads {VERSION}"
        )


def _finish(post: ArchivePost, report: Report) -> ArchivePost:
    link_parents(post.comments, f"line {post.line}", report)
    report.count(post)
    return post


def _post(name: str, line_no: int, r: dict[str, Any]) -> ArchivePost:
    try:
        body_format = r["body_format"]
        if body_format not in BODY_FORMATS:
            raise ValueError(f"unknown body_format {body_format!r}")
        uid = str(r["uid"])
        if not uid or len(uid) > 32:
            raise ValueError(f"bad uid {uid!r}")
        return ArchivePost(
            source_key=r.get("source_key"),
            uid=uid,
            slug=str(r["slug"]),
            title=clean(r["title"], TITLE_MAX),
            status=PostStatus(r["status"]),
            body_format=body_format,
            body_source=clean(r["body_source"]),
            line=line_no,
            published_at=_time(r.get("published_at")),
            created_at=_time(r.get("created_at")),
            author=optional(r.get("author"), AUTHOR_MAX),
            subtitle=optional(r.get("subtitle"), TITLE_MAX),
            publication=optional(r.get("publication"), AUTHOR_MAX),
            image_name=optional(r.get("image_name"), 300),
            image_alt=optional(r.get("image_alt"), 500),
            signature=optional(r.get("signature"), 300),
            comments_open=bool(r.get("comments_open", True)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(name, line_no, f"bad post record: {_what(exc)}") from exc


def _comment(name: str, line_no: int, r: dict[str, Any]) -> ArchiveComment:
    try:
        number = int(r["number"]) if r.get("number") is not None else None
        parent = r.get("parent")
        ref = str(r.get("ref") or number)  # exports before "ref" named comments by number
        body = clean(r["body"])
        return ArchiveComment(
            key=ref,
            author=clean(r["author"], AUTHOR_MAX),
            body=body,
            body_html=archived_comment_html(r.get("body_html") or ""),
            created_at=_time(r.get("created_at")),  # None: the archive kept no time
            status=Status(r["status"]),
            kind=CommentKind(r.get("kind") or "comment"),
            email=optional(r.get("email"), EMAIL_MAX),
            website=optional(r.get("website"), WEBSITE_MAX),
            remote_addr=optional(r.get("remote_addr"), ADDR_MAX),
            user_agent=optional(r.get("user_agent"), 500),
            parent_key=str(parent) if parent is not None else None,
            number=number,
            submission_key=r.get("submission_key") or None,
            verdicts=tuple(Verdict.from_dict(v) for v in r.get("verdicts") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(name, line_no, f"bad comment record: {_what(exc)}") from exc


def _missing(field: str) -> datetime:
    raise KeyError(field)


def _what(exc: Exception) -> str:
    return f"missing {exc}" if isinstance(exc, KeyError) else str(exc)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    when = datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
