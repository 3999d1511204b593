"""WordPress eXtended RSS (WXR 1.0–1.2): read an export, one ``<item>`` at a time.

What maps to what (documented in the README):

* ``post`` and ``page`` items become posts (blogengine has no separate pages; a page is
  counted as one); attachments, menu items and other types are skipped and reported.
* ``wp:status``: publish -> published; future -> published with its future date
  (scheduled); draft, pending, auto-draft, private -> draft (not shown to readers; blogengine
  has no private posts); trash -> trash. A password-protected post becomes a draft too
  (blogengine has no post passwords, and publishing it would show it to everyone).
* ``wp:comment_approved``: 1 -> approved, 0 -> pending, spam -> spam, trash and
  post-trashed -> deleted; anything else -> pending (held for the owner) and reported.
* ``wp:comment_type``: pingback and trackback keep their kind; "" and "comment" are
  comments; other types are kept as comments and reported.
* Times: the ``*_gmt`` fields; when one is missing or zero, the local time (taken as UTC).

Published comments are numbered in each post by date (then WordPress id), which is how
WordPress lists them; held, spam and trashed ones take a number only when published, as a
reader's comment does, so readers see no gaps. ``comment_parent`` becomes the reply's parent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from ..comments.contracts import CommentKind, Status, Verdict
from ..models import PostStatus
from ..rendering import archived_comment_html
from .common import (
    ADDR_MAX,
    AUTHOR_MAX,
    EMAIL_MAX,
    WEBSITE_MAX,
    clean,
    link_parents,
    optional,
    plain_title,
    slug_from,
    utc,
)
from .export import GUID_PREFIX, META_KEY, META_NUMBER, META_VERDICTS
from .model import ArchiveComment, ArchiveError, ArchivePost, Report, stable_key, uid_for
from .xmlstream import child_text, events, local

_WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/(\d+\.\d+)/$")
SUPPORTED_VERSIONS = ("1.0", "1.1", "1.2")
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"

POST_STATUSES = {
    "publish": PostStatus.PUBLISHED,
    "future": PostStatus.PUBLISHED,
    "draft": PostStatus.DRAFT,
    "pending": PostStatus.DRAFT,
    "auto-draft": PostStatus.DRAFT,
    "private": PostStatus.DRAFT,
    "trash": PostStatus.TRASH,
}
COMMENT_STATUSES = {
    "1": Status.APPROVED,
    "approve": Status.APPROVED,
    "0": Status.PENDING,
    "hold": Status.PENDING,
    "spam": Status.SPAM,
    "trash": Status.DELETED,
    "post-trashed": Status.DELETED,
}
COMMENT_KINDS = {
    "": CommentKind.COMMENT,
    "comment": CommentKind.COMMENT,
    "pingback": CommentKind.PINGBACK,
    "trackback": CommentKind.TRACKBACK,
}
SKIPPED_TYPES = {
    "attachment": "attachments (blogengine keeps no media library)",
    "nav_menu_item": "menu items (site navigation, not content)",
}
_ZERO_DATE = "0000-00-00 00:00:00"


def read(path: str | Path, report: Report) -> Iterator[ArchivePost]:
    """Every post and page of the export, in file order, counted into ``report``.

    Raises ArchiveError (with the line) on anything that is not a readable WXR file; the
    caller reads the whole file once before writing, so a bad file changes nothing.
    """
    name = str(path)
    wp: str | None = None
    site = ""
    authors: dict[str, str] = {}
    stack: list[Element] = []
    item_line = 1
    for event, element, line in events(path):
        if event == "start-ns":
            match = _WP_NAMESPACE.match(element.text or "")
            if match and wp is None:
                if match.group(1) not in SUPPORTED_VERSIONS:
                    raise ArchiveError(
                        name,
                        line,
                        f"unknown WXR version {match.group(1)} (namespace {element.text}); "
                        f"this importer reads {', '.join(SUPPORTED_VERSIONS)}",
                    )
                wp = element.text
            continue
        if event == "start":
            if not stack:
                _check_root(name, element, line, wp)
            stack.append(element)
            if len(stack) == 3 and local(element.tag) == "item":
                item_line = line
            continue
        stack.pop()
        if len(stack) != 2:  # only the channel's children are handled (and then dropped)
            continue
        channel = stack[1]
        tag = local(element.tag)
        assert wp is not None, "checked at the root"
        ns = "{" + wp + "}"
        if tag == "base_site_url" or (tag == "link" and not site):
            site = (element.text or "").strip()
        elif tag == "author":
            login = child_text(element, ns + "author_login")
            authors[login] = child_text(element, ns + "author_display_name") or login
        elif tag == "item":
            post = _item(name, element, ns, site, authors, item_line, report)
            if post is not None:
                yield post
        channel.remove(element)
    if wp is None:
        raise ArchiveError(name, 1, "not a WXR file: no WordPress export namespace")


def _check_root(name: str, root: Element, line: int, wp: str | None) -> None:
    if root.tag != "rss":
        raise ArchiveError(
            name, line, f"not a WXR file: the root element is <{local(root.tag)}>, not <rss>"
        )
    if wp is None:
        raise ArchiveError(
            name, line, "not a WXR file: <rss> without the WordPress export namespace"
        )


def _item(
    name: str,
    item: Element,
    ns: str,
    site: str,
    authors: dict[str, str],
    line: int,
    report: Report,
) -> ArchivePost | None:
    post_type = child_text(item, ns + "post_type")
    raw_title = item.findtext("title") or ""
    title = plain_title(raw_title) or "Untitled"
    post_id = child_text(item, ns + "post_id")
    label = f"line {line} {title[:40]!r}"
    if not post_type:
        post_type = "post"
        report.note("items without wp:post_type (read as posts)", label)
    if post_type not in ("post", "page"):
        reason = SKIPPED_TYPES.get(post_type, f"items of type {post_type or '(none)'!r}")
        report.skip(reason, label)
        return None
    link = (item.findtext("link") or "").strip()
    if not post_id and not link:
        raise ArchiveError(name, line, f"{post_type} {title!r} has neither wp:post_id nor link")
    raw_status = child_text(item, ns + "status")
    status = POST_STATUSES.get(raw_status)
    if status is None:
        status = PostStatus.DRAFT
        report.note(f"posts with status {raw_status!r} (imported as drafts)", label)
    if child_text(item, ns + "post_password") and status is PostStatus.PUBLISHED:
        # blogengine has no post passwords: publishing it would show it to everyone.
        status = PostStatus.DRAFT
        report.note("password-protected posts (imported as drafts)", label)
    guid = (item.findtext("guid") or "").strip()
    own_uid = guid.removeprefix(GUID_PREFIX) if guid.startswith(GUID_PREFIX) else ""
    if own_uid and re.fullmatch(r"[0-9a-f]{32}", own_uid):  # a blogengine export: same post
        source_key = stable_key("wxr", guid)
        uid = own_uid
    else:
        source_key = stable_key("wxr", site, post_id) if post_id else stable_key("wxr", link)
        uid = uid_for(source_key)
    published = _when(child_text(item, ns + "post_date_gmt")) or _when(
        child_text(item, ns + "post_date")
    )
    if published is None:
        pub_date = (item.findtext("pubDate") or "").strip()
        published = _rfc822(pub_date) if status is PostStatus.PUBLISHED else None
    creator = child_text(item, DC_CREATOR)
    post = ArchivePost(
        source_key=source_key,
        uid=uid,
        slug=slug_from(child_text(item, ns + "post_name"), title),
        title=title,
        status=status,
        body_format="html",
        body_source=clean(item.findtext(CONTENT)),
        line=line,
        published_at=published,
        author=optional(authors.get(creator, creator), AUTHOR_MAX),
        comments_open=child_text(item, ns + "comment_status") != "closed",
    )
    post.comments = _comments(name, item, ns, site, post, label, report)
    report.count(post, page=post_type == "page")
    return post


def _comments(
    name: str, item: Element, ns: str, site: str, post: ArchivePost, label: str, report: Report
) -> list[ArchiveComment]:
    found: list[ArchiveComment] = []
    own_numbers = True  # every comment carries blogengine's number meta (maybe empty: held)
    for element in item.findall(ns + "comment"):
        comment_id = child_text(element, ns + "comment_id") or f"{post.source_key}#{len(found)}"
        where = f"{label} comment {comment_id}"
        approved = child_text(element, ns + "comment_approved")
        status = COMMENT_STATUSES.get(approved)
        if status is None:
            status = Status.PENDING
            report.note(f"comments with approval {approved!r} (held as pending)", where)
        comment_type = child_text(element, ns + "comment_type")
        kind = COMMENT_KINDS.get(comment_type)
        if kind is None:
            kind = CommentKind.COMMENT
            report.note(f"comments of type {comment_type!r} (kept as comments)", where)
        created = _when(child_text(element, ns + "comment_date_gmt")) or _when(
            child_text(element, ns + "comment_date")
        )
        if created is None:
            # A comment without a time is kept without one (none is made up), and said.
            report.note("comments without a date (kept without one)", where)
        body = clean(element.findtext(ns + "comment_content"))
        parent = child_text(element, ns + "comment_parent")
        meta = {
            child_text(m, ns + "meta_key"): m.findtext(ns + "meta_value") or ""
            for m in element.findall(ns + "commentmeta")
        }
        found.append(
            ArchiveComment(
                key=comment_id,
                author=clean(element.findtext(ns + "comment_author"), AUTHOR_MAX) or "Anonymous",
                body=body,
                body_html=archived_comment_html(body),
                created_at=created,
                status=status,
                kind=kind,
                email=optional(element.findtext(ns + "comment_author_email"), EMAIL_MAX),
                website=optional(element.findtext(ns + "comment_author_url"), WEBSITE_MAX),
                remote_addr=optional(element.findtext(ns + "comment_author_IP"), ADDR_MAX),
                parent_key=parent if parent not in ("", "0") else None,
                submission_key=stable_key("wxr", site, "comment", comment_id),
            )
        )
        if META_NUMBER in meta:  # from blogengine: what WXR has no field for
            _own_fields(found[-1], meta, name, post.line)
        else:
            own_numbers = False
    if found and own_numbers and _numbered(found):
        # A blogengine export: its numbers as they were (held and spam comments have none).
        found.sort(key=lambda c: (c.number is None, c.number or 0, *_time_order(c)))
    else:
        found.sort(key=lambda c: (*_time_order(c), _as_int(c.key), c.key))
        # Only published comments take a number; held ones get theirs when published.
        shown = (c for c in found if c.status is Status.APPROVED)
        for number, comment in enumerate(shown, start=1):
            comment.number = number
    link_parents(found, label, report)
    return found


def _own_fields(comment: ArchiveComment, meta: dict[str, str], name: str, line: int) -> None:
    """Number, idempotency key and verdicts, which a blogengine export keeps in commentmeta."""
    try:
        comment.number = int(meta[META_NUMBER]) if meta[META_NUMBER] else None
        comment.verdicts = tuple(
            Verdict.from_dict(v) for v in json.loads(meta.get(META_VERDICTS) or "[]")
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchiveError(
            name, line, f"comment {comment.key}: bad blogengine commentmeta: {exc}"
        ) from exc
    comment.submission_key = meta.get(META_KEY) or None


def _numbered(comments: list[ArchiveComment]) -> bool:
    """No two comments share a number (a blogengine export's numbers can be kept)."""
    numbers = [c.number for c in comments if c.number is not None]
    return len(set(numbers)) == len(numbers)


def _time_order(comment: ArchiveComment) -> tuple[bool, datetime]:
    """Oldest first, comments without a date last."""
    when = comment.created_at
    return (when is None, when or utc(datetime(1970, 1, 1)))


def _as_int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _when(text: str) -> datetime | None:
    """A WXR time ("2014-01-14 17:31:03", UTC for the _gmt fields); None if empty or zero."""
    if not text or text == _ZERO_DATE:
        return None
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    try:
        return utc(parsedate_to_datetime(text))
    except (TypeError, ValueError):
        return None
