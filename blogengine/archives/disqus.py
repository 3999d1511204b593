"""Disqus XML exports: threads (one per page that had comments) and posts (the comments).

Disqus keeps comments, not articles, so each thread is matched to a post by slug: the
thread's ``<id>`` (the site's identifier) when it is set, else the last segment of its
``<link>``. An existing post with that slug receives the thread's comments; a thread with no
such post becomes a draft post (title and link only) for the owner to fill in or publish.

``isSpam`` -> spam, ``isDeleted`` -> deleted (kept: replies may hang on it), else approved.
A comment whose thread is not in the export is skipped and reported. Threads come before
comments in the file, so the comments are grouped per thread in memory: a Disqus export is
held in full (a 100 MB one needs a few hundred MB), unlike WXR which streams item by item.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from markupsafe import Markup

from ..comments.contracts import Status
from ..models import PostStatus
from ..rendering import archived_comment_html
from ..slugs import slugify
from .common import (
    ADDR_MAX,
    AUTHOR_MAX,
    EMAIL_MAX,
    clean,
    link_parents,
    optional,
    plain_title,
    slug_from,
    slug_from_url,
    utc,
)
from .model import ArchiveComment, ArchiveError, ArchivePost, Report, stable_key, uid_for
from .xmlstream import child_text, events, local

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


@dataclass
class _Thread:
    dsq_id: str
    line: int
    ident: str
    link: str
    title: str
    forum: str
    created_at: datetime | None
    comments: list[ArchiveComment] = field(default_factory=list)


def read(path: str | Path, report: Report) -> Iterator[ArchivePost]:
    """Every thread that has comments, as a post to create or attach to, counted in ``report``."""
    name = str(path)
    threads: dict[str, _Thread] = {}
    orphans: list[tuple[str, ArchiveComment]] = []
    depth = 0
    root: Element | None = None
    line_of: dict[int, int] = {}
    for event, element, line in events(path):
        if event == "start-ns":
            continue
        if event == "start":
            if root is None:
                root = element
                if element.tag != NS + "disqus":
                    raise ArchiveError(
                        name,
                        line,
                        f"not a Disqus export: the root element is <{local(element.tag)}>"
                        f" ({element.tag.split('}')[0].lstrip('{') or 'no namespace'}),"
                        " not <disqus> in http://disqus.com",
                    )
            depth += 1
            if depth == 2:
                line_of[id(element)] = line
            continue
        depth -= 1
        if depth != 1 or root is None:
            continue
        start = line_of.pop(id(element), line)
        if element.tag == NS + "thread":
            thread = _thread(element, start)
            threads.setdefault(thread.dsq_id, thread)
        elif element.tag == NS + "post":
            thread_id, comment = _comment(name, element, start)
            orphans.append((thread_id, comment))
        root.remove(element)
    if root is None:
        raise ArchiveError(name, 1, "not a Disqus export: empty file")
    for thread_id, comment in orphans:
        home = threads.get(thread_id)
        if home is None:
            report.skip(
                "comments whose thread is not in the export",
                f"comment {comment.key} (thread {thread_id})",
            )
            continue
        home.comments.append(comment)
    for thread in threads.values():
        if not thread.comments:
            continue
        yield _post(thread, report)


def _thread(element: Element, line: int) -> _Thread:
    created = child_text(element, NS + "createdAt")
    return _Thread(
        dsq_id=element.get(DSQ_ID, ""),
        line=line,
        ident=child_text(element, NS + "id"),
        link=child_text(element, NS + "link"),
        title=plain_title(child_text(element, NS + "title")),
        forum=child_text(element, NS + "forum"),
        created_at=_when(created),
    )


def _comment(name: str, element: Element, line: int) -> tuple[str, ArchiveComment]:
    dsq_id = element.get(DSQ_ID, "")
    if not dsq_id:
        raise ArchiveError(name, line, "a Disqus <post> without dsq:id")
    thread = element.find(NS + "thread")
    if thread is None:
        raise ArchiveError(name, line, f"Disqus post {dsq_id} names no thread")
    created = _when(child_text(element, NS + "createdAt"))
    if created is None:
        raise ArchiveError(name, line, f"Disqus post {dsq_id} has no readable <createdAt>")
    parent = element.find(NS + "parent")
    author = element.find(NS + "author")
    status = Status.APPROVED
    if child_text(element, NS + "isSpam") == "true":
        status = Status.SPAM
    elif child_text(element, NS + "isDeleted") == "true":
        status = Status.DELETED
    body = clean(element.findtext(NS + "message"))
    comment = ArchiveComment(
        key=dsq_id,
        author=_author(author),
        body=body,
        body_html=archived_comment_html(body),
        created_at=created,
        status=status,
        email=optional(author.findtext(NS + "email") if author is not None else None, EMAIL_MAX),
        remote_addr=optional(element.findtext(NS + "ipAddress"), ADDR_MAX),
        parent_key=parent.get(DSQ_ID) if parent is not None else None,
        submission_key=stable_key("disqus", "comment", dsq_id),
    )
    return thread.get(DSQ_ID, ""), comment


def _author(author: Element | None) -> str:
    if author is None:
        return "Anonymous"
    for tag in ("name", "username"):
        text = clean(author.findtext(NS + tag), AUTHOR_MAX)
        if text:
            return text
    return "Anonymous"


def _post(thread: _Thread, report: Report) -> ArchivePost:
    title = thread.title or thread.link or f"Disqus thread {thread.dsq_id}"
    base = thread.ident or slug_from_url(thread.link) or title
    slug = slug_from(base, title) if base else slugify(title)
    source_key = stable_key("disqus", thread.forum, thread.dsq_id)
    thread.comments.sort(key=lambda c: (c.created_at, int(c.key) if c.key.isdigit() else 0))
    where = f"line {thread.line} thread {thread.dsq_id}"
    link_parents(thread.comments, where, report)
    post = ArchivePost(
        source_key=source_key,
        uid=uid_for(source_key),
        slug=slug,
        title=title,
        status=PostStatus.DRAFT,
        body_format="html",
        body_source=_placeholder(thread.link),
        line=thread.line,
        published_at=thread.created_at,
        attach=True,
        comments=thread.comments,
    )
    report.count(post)
    return post


def _placeholder(link: str) -> str:
    """The body of a post made for a thread: where its comments were first written."""
    if not link.startswith(("http://", "https://")):
        return ""
    return str(
        Markup('<p>Comments imported from Disqus for <a href="{0}">{0}</a>.</p>').format(link)
    )


def _when(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None
