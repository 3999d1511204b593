"""``blogengine export``: every post and comment, as JSON Lines or as WXR 1.2 for WordPress.

Posts in slug order, each followed by its comments in number order (a reply names its
parent by number), so the same site always gives the same file, and an export imported into
an empty site exports again to the same file. Readers' email and IP addresses (and user
agents) are written only with ``include_private``. The file is written beside its final
name and renamed into place, so a failed export leaves no half file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from sqlalchemy import select

from ..comments.contracts import CommentKind, Status, StoredComment
from ..extensions import db
from ..models import Post, PostStatus
from ..rendering import archived_comment_html, wordpress_post_html
from ..timeutil import utcnow
from . import jsonl

PRIVATE = ("email", "remote_addr", "user_agent")
WXR_NAMESPACE = "http://wordpress.org/export/1.2/"
GUID_PREFIX = "urn:blogengine:post:"
#: commentmeta keys that carry what WXR has no field for, so our own import keeps it.
META_NUMBER = "blogengine_number"
META_KEY = "blogengine_submission_key"
META_VERDICTS = "blogengine_verdicts"


def _posts_with_comments(store: Any) -> Iterator[tuple[Post, list[StoredComment]]]:
    posts = db.session.scalars(select(Post).order_by(Post.slug)).all()
    for post in posts:
        yield post, store.list_for_post(post.uid, status=None)


def _write_atomically(path: Path, write: Any) -> tuple[int, int]:
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as out:
            counts: tuple[int, int] = write(out)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
        db.session.close()
    return counts


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat() if when is not None else None


# -- JSON Lines ---------------------------------------------------------------------------
def export_jsonl(path: Path, store: Any, *, include_private: bool = False) -> tuple[int, int]:
    """Write the JSON Lines export; returns (posts, comments) written."""

    def write(out: IO[str]) -> tuple[int, int]:
        posts = comments = 0
        _line(out, jsonl.header())
        for post, stored in _posts_with_comments(store):
            _line(out, _post_record(post))
            posts += 1
            refs = comment_refs(stored)
            for comment in stored:
                _line(out, _comment_record(post, comment, refs, include_private))
                comments += 1
        return posts, comments

    return _write_atomically(path, write)


def _line(out: IO[str], record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n")


def _post_record(post: Post) -> dict[str, Any]:
    return {
        "type": "post",
        "uid": post.uid,
        "source_key": post.source_key,
        "slug": post.slug,
        "title": post.title,
        "subtitle": post.subtitle,
        "author": post.author,
        "publication": post.publication,
        "image_name": post.image_name,
        "image_alt": post.image_alt,
        "signature": post.signature,
        "status": post.status,
        "body_format": post.body_format,
        "body_source": post.body_source,
        "body_html": post.body_html,
        "published_at": _iso(post.published_at),
        "created_at": _iso(post.created_at),
        "comments_open": post.comments_open,
    }


def comment_refs(comments: list[StoredComment]) -> dict[str, str]:
    """Each comment's name in the export, by id: its number, or "h1", "h2"… for the held and
    spam ones, which have no number (in the store's order, so a round trip names them alike)."""
    refs: dict[str, str] = {}
    held = 0
    for comment in comments:
        if comment.number is None:
            held += 1
        refs[comment.id] = str(comment.number) if comment.number is not None else f"h{held}"
    return refs


def _comment_record(
    post: Post, c: StoredComment, refs: dict[str, str], include_private: bool
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "comment",
        "post": post.uid,
        "ref": refs[c.id],
        "number": c.number,
        "parent": refs.get(c.parent_id) if c.parent_id else None,
        "kind": c.kind.value,
        "status": c.status.value,
        "author": c.author,
        "website": c.website,
        "created_at": _iso(c.created_at),
        "body": c.body,
        "body_html": c.body_html,
        "verdicts": [v.to_dict() for v in c.verdicts],
        "submission_key": c.submission_key,
    }
    if include_private:
        record.update({name: getattr(c, name) for name in PRIVATE})
    return record


# -- WXR 1.2 ------------------------------------------------------------------------------
WXR_STATUS = {Status.APPROVED: "1", Status.PENDING: "0", Status.SPAM: "spam"}
WXR_STATUS[Status.DELETED] = "trash"


def export_wxr(path: Path, store: Any, *, include_private: bool = False) -> tuple[int, int]:
    """Write a WXR 1.2 file WordPress's importer reads; returns (posts, comments) written."""
    from flask import current_app

    now = utcnow()
    title = current_app.config.get("SITE_TITLE", "blogengine")

    def write(out: IO[str]) -> tuple[int, int]:
        posts = comments = 0
        out.write(_WXR_HEAD.format(title=escape(title)))
        authors = sorted(
            {a for a in db.session.scalars(select(Post.author).distinct()) if a is not None}
        )
        for author_id, author in enumerate(authors, start=1):
            out.write(_author(author_id, author))
        comment_id = 0
        for post, stored in _posts_with_comments(store):
            posts += 1
            ordered = sorted(stored, key=_wxr_order)
            ids: dict[str, int] = {}
            for comment in ordered:  # every id first: a parent may come after its reply
                comment_id += 1
                ids[comment.id] = comment_id
            parts = [_wxr_comment(c, ids[c.id], ids, include_private) for c in ordered]
            comments += len(parts)
            out.write(_wxr_item(post, posts, now, "".join(parts)))
        out.write("</channel>\n</rss>\n")
        return posts, comments

    return _write_atomically(path, write)


_WXR_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!-- A WordPress eXtended RSS file written by blogengine's export. -->
<rss version="2.0"
\txmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
\t<title>{title}</title>
\t<wp:wxr_version>1.2</wp:wxr_version>
"""


def _cdata(text: str | None) -> str:
    """Text in CDATA (split where it holds ``]]>``), as WordPress writes it."""
    return "<![CDATA[" + (text or "").replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _author(author_id: int, name: str) -> str:
    return (
        f"\t<wp:author><wp:author_id>{author_id}</wp:author_id>"
        f"<wp:author_login>{_cdata(name)}</wp:author_login>"
        f"<wp:author_display_name>{_cdata(name)}</wp:author_display_name></wp:author>\n"
    )


def _wxr_time(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if when else "0000-00-00 00:00:00"


def _wxr_status(post: Post, now: datetime) -> str:
    if post.status == PostStatus.PUBLISHED:
        return "future" if post.published_at and post.published_at > now else "publish"
    return "draft" if post.status == PostStatus.DRAFT else "trash"


def _wxr_item(post: Post, post_id: int, now: datetime, comments: str) -> str:
    pub_date = format_datetime(post.published_at.astimezone(UTC)) if post.published_at else ""
    fields = [
        f"\t\t<title>{escape(post.title)}</title>",
        f"\t\t<pubDate>{pub_date}</pubDate>",
        f"\t\t<dc:creator>{_cdata(post.author or '')}</dc:creator>",
        f'\t\t<guid isPermaLink="false">{GUID_PREFIX}{post.uid}</guid>',
        "\t\t<description></description>",
        # Passed through the importer's own sanitiser, so importing this file and exporting
        # again gives the same text (nh3's output is its own fixed point).
        f"\t\t<content:encoded>{_cdata(wordpress_post_html(post.body_html))}</content:encoded>",
        f"\t\t<excerpt:encoded>{_cdata('')}</excerpt:encoded>",
        f"\t\t<wp:post_id>{post_id}</wp:post_id>",
        f"\t\t<wp:post_date>{_wxr_time(post.published_at)}</wp:post_date>",
        f"\t\t<wp:post_date_gmt>{_wxr_time(post.published_at)}</wp:post_date_gmt>",
        f"\t\t<wp:comment_status>{'open' if post.comments_open else 'closed'}</wp:comment_status>",
        "\t\t<wp:ping_status>closed</wp:ping_status>",
        f"\t\t<wp:post_name>{escape(post.slug)}</wp:post_name>",
        f"\t\t<wp:status>{_wxr_status(post, now)}</wp:status>",
        "\t\t<wp:post_parent>0</wp:post_parent>",
        "\t\t<wp:menu_order>0</wp:menu_order>",
        "\t\t<wp:post_type>post</wp:post_type>",
        "\t\t<wp:post_password></wp:post_password>",
        "\t\t<wp:is_sticky>0</wp:is_sticky>",
    ]
    return "\t<item>\n" + "\n".join(fields) + "\n" + comments + "\t</item>\n"


def _wxr_order(c: StoredComment) -> tuple[bool, int, bool, str, str, str]:
    """Numbered comments by number, then the rest by time to the second (all WXR keeps), then
    by content: the same comments always come out in the same order, so a round trip through
    WXR gives the same file."""
    when = _wxr_time(c.created_at)
    return (
        c.number is None,
        c.number or 0,
        c.created_at is None,
        when,
        c.submission_key or "",
        c.body,
    )


def _wxr_comment(
    c: StoredComment, comment_id: int, ids: dict[str, int], include_private: bool
) -> str:
    parent = ids.get(c.parent_id, 0) if c.parent_id else 0
    kind = "" if c.kind is CommentKind.COMMENT else c.kind.value
    # An empty number: held or spam, numbered only if it is ever published.
    meta = [(META_NUMBER, str(c.number) if c.number is not None else "")]
    if c.submission_key:
        meta.append((META_KEY, c.submission_key))
    if c.verdicts:
        meta.append((META_VERDICTS, json.dumps([v.to_dict() for v in c.verdicts])))
    fields = [
        f"<wp:comment_id>{comment_id}</wp:comment_id>",
        f"<wp:comment_author>{_cdata(c.author)}</wp:comment_author>",
        f"<wp:comment_author_email>{escape(c.email or '') if include_private else ''}"
        "</wp:comment_author_email>",
        f"<wp:comment_author_url>{escape(c.website or '')}</wp:comment_author_url>",
        f"<wp:comment_author_IP>{escape(c.remote_addr or '') if include_private else ''}"
        "</wp:comment_author_IP>",
        f"<wp:comment_date>{_wxr_time(c.created_at)}</wp:comment_date>",
        f"<wp:comment_date_gmt>{_wxr_time(c.created_at)}</wp:comment_date_gmt>",
        f"<wp:comment_content>{_cdata(archived_comment_html(c.body_html))}</wp:comment_content>",
        f"<wp:comment_approved>{WXR_STATUS[c.status]}</wp:comment_approved>",
        f"<wp:comment_type>{kind}</wp:comment_type>",
        f"<wp:comment_parent>{parent}</wp:comment_parent>",
        "<wp:comment_user_id>0</wp:comment_user_id>",
        *(
            f"<wp:commentmeta><wp:meta_key>{key}</wp:meta_key>"
            f"<wp:meta_value>{_cdata(value)}</wp:meta_value></wp:commentmeta>"
            for key, value in meta
        ),
    ]
    return "\t\t<wp:comment>\n" + "".join(f"\t\t\t{f}\n" for f in fields) + "\t\t</wp:comment>\n"
