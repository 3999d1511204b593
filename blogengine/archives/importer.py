"""Write what an archive reader yields: posts through the models, comments through the store.

Two passes over the file. The first reads and validates all of it and decides, post by post,
what would happen (that is the ``--dry-run`` report); a file with an error anywhere stops
here, before anything is written. The second reads it again and writes, one post at a time:
the post first (committed), then its comments with ``add_many``, one wave per reply depth so
each reply can name its parent's stored id.

A store and the posts table cannot share one transaction (the store may be a file), so an
import is made resumable instead of atomic: every comment is recognised by its idempotency
key (``submission_key``, from the export's own comment id) or, in a post the import made, by
its number. A re-run adds only what is missing, so running twice adds nothing and a run
that was interrupted is finished by the next. A post whose slug is taken by a post that did
not come from this export is left alone and reported. Nothing is ever changed or deleted.

Memory: one post (with its comments) at a time, plus the set of slugs claimed in this run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select

from ..comments.contracts import CommentStore, Status, StoredComment
from ..comments.copies import as_new_comment
from ..extensions import db
from ..models import Post
from ..rendering import render_post_body
from ..slugs import unique_slug
from .model import (
    ArchiveComment,
    ArchivePost,
    Report,
    reply_waves,
)

Reader = Callable[[Report], Iterator[ArchivePost]]


@dataclass
class _Target:
    """Where one archive post's comments go, and what happens to the post."""

    action: str
    #: The post that gets the comments, when it exists already (else one is made).
    uid: str | None = None
    slug: str = ""


def run_import(path: str, reader: Reader, store: CommentStore, *, dry_run: bool) -> Report:
    """Validate the whole file (and report), then, unless ``dry_run``, import it."""
    planned = Report(path)
    _run(reader(planned), planned, store, write=False)
    if dry_run:
        return planned
    done = Report(path)
    _run(reader(done), done, store, write=True)
    return done


def _run(posts: Iterable[ArchivePost], report: Report, store: CommentStore, *, write: bool) -> None:
    claimed: dict[str, str] = {}  # slug -> uid of the posts this run makes
    try:
        for post in posts:
            target = _target(post, claimed)
            report.actions[target.action] += 1
            if target.action == "left alone":
                report.left_alone.append(
                    f"line {post.line} {post.title[:60]!r}: a post with slug {post.slug!r} "
                    "exists and did not come from this export"
                )
                continue
            uid = target.uid or post.uid
            if target.uid is None:
                claimed[target.slug] = uid
                _number_in_order(post.comments)
                if write:
                    _create(post, target.slug)
            # The store writes on its own connection: a read transaction left open here
            # would keep an old SQLite snapshot and the next post's write would be "locked".
            db.session.close()
            report.comments_added += _add_missing(uid, post.comments, store, write=write)
    finally:
        db.session.close()


def _target(post: ArchivePost, claimed: dict[str, str]) -> _Target:
    """What happens to ``post``: found again (by source key or uid), attached, left alone, new."""
    existing = None
    if post.source_key is not None:
        existing = db.session.scalar(select(Post).where(Post.source_key == post.source_key))
    if existing is None:
        existing = db.session.scalar(select(Post).where(Post.uid == post.uid))
    if existing is not None:
        return _Target("already imported (missing comments added)", existing.uid)
    by_slug = db.session.scalar(select(Post.uid).where(Post.slug == post.slug))
    if post.attach and (by_slug or post.slug in claimed):
        # Disqus often has several threads for one page (http and https, a trailing slash).
        return _Target("attached to an existing post", by_slug or claimed[post.slug])
    if by_slug is not None:
        return _Target("left alone")

    def taken(slug: str) -> bool:
        return slug in claimed or (
            db.session.scalar(select(Post.id).where(Post.slug == slug)) is not None
        )

    slug = post.slug if post.slug not in claimed else unique_slug(post.slug, taken)
    return _Target("imported", None, slug)


def _number_in_order(comments: list[ArchiveComment]) -> None:
    """A new post numbers its published comments in the archive's order (else by the wave they
    land in). Held, spam and trashed ones get theirs when published, as a reader's comment
    does: numbered, they left gaps in the numbers readers see (2, 3, 5...)."""
    if all(c.number is None for c in comments):
        shown = (c for c in comments if c.status is Status.APPROVED)
        for number, comment in enumerate(shown, start=1):
            comment.number = number


def _create(post: ArchivePost, slug: str) -> None:
    """The post, rendered and sanitised by the same code as every other way a post is made."""
    body_html, excerpt = render_post_body(post.body_format, post.body_source)
    row = Post(
        uid=post.uid,
        source_key=post.source_key,
        slug=slug,
        title=post.title,
        subtitle=post.subtitle,
        author=post.author,
        publication=post.publication,
        image_name=post.image_name,
        image_alt=post.image_alt,
        body_format=post.body_format,
        body_source=post.body_source,
        body_html=body_html,
        excerpt=excerpt,
        signature=post.signature,
        published_at=post.published_at,
        comments_open=post.comments_open,
        status=post.status.value,
    )
    if post.created_at is not None:
        row.created_at = post.created_at
    db.session.add(row)
    db.session.commit()


def _add_missing(
    uid: str, comments: list[ArchiveComment], store: CommentStore, *, write: bool
) -> int:
    """Store the comments the post does not hold yet, parents first; how many were (or would be).

    A comment is already there when a stored one has its idempotency key or (no key) its
    number.
    """
    if not comments:
        return 0
    stored = store.list_for_post(uid, status=None)
    by_key = {c.submission_key: c for c in stored if c.submission_key}
    by_number = {c.number: c for c in stored if c.number is not None}
    ids: dict[str, str] = {}
    added = 0
    for wave in reply_waves(comments):
        todo: list[ArchiveComment] = []
        for comment in wave:
            earlier = _stored_match(comment, by_key, by_number)
            if earlier is not None:
                ids[comment.key] = earlier.id
            else:
                todo.append(comment)
        added += len(todo)
        if not write or not todo:
            continue
        news = [
            as_new_comment(c, uid, ids.get(c.parent_key) if c.parent_key else None) for c in todo
        ]
        for comment, kept in zip(todo, store.add_many(news), strict=True):
            ids[comment.key] = kept.id
    return added


def _stored_match(
    comment: ArchiveComment,
    by_key: dict[str, StoredComment],
    by_number: dict[int, StoredComment],
) -> StoredComment | None:
    if comment.submission_key:
        return by_key.get(comment.submission_key)
    return by_number.get(comment.number) if comment.number is not None else None
