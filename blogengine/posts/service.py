"""Writing and managing posts: one service for the desk and the `blogengine posts` commands.

A post is a draft, published (scheduled when its date is still to come: readers see it only
from then on) or in the trash. Markdown is rendered and sanitised here, once, when written, by
the same pipeline the site has always used (``rendering.markdown_html``), so the desk's preview
is what readers get. A changed slug leaves the old one behind in ``post_slugs``, so old links
answer 301 with the new address. A post is deleted for good only from the trash, and never
with its comments unless the caller confirms how many there are.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select

from ..comments.contracts import CommentStore, Status
from ..extensions import db
from ..models import Post, PostSlug, PostStatus
from ..postcheck import post_problems
from ..rendering import markdown_html, paragraphs_html, plain_excerpt
from ..slugs import SLUG_MAX, unique_slug
from ..timeutil import utcnow

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class PostError(ValueError):
    """What the owner asked cannot be done; the message says why and what to do."""


class NeedsConfirmation(PostError):
    """Deleting this post for good would delete ``comments`` comments: ask first."""

    def __init__(self, post: Post, comments: int) -> None:
        self.post, self.comments = post, comments
        word = "comment" if comments == 1 else "comments"
        super().__init__(
            f"“{post.title}” has {comments} {word} (of any status); deleting it for good "
            f"deletes them too. Confirm with the number of comments to go ahead."
        )


class Publish(enum.Enum):
    """What saving does to a post's visibility."""

    KEEP = "keep"  # leave the status as it is (a new post: a draft)
    DRAFT = "draft"
    NOW = "now"  # published from now (or from a past date given)
    SCHEDULE = "schedule"  # published from a future date given


@dataclass(frozen=True)
class PostInput:
    """What the owner writes; ``None`` leaves a field as it is (or, new, as made by default).

    ``excerpt=""`` means made from the text; ``slug`` defaults to one made from the title.
    """

    title: str | None = None
    body: str | None = None
    slug: str | None = None
    excerpt: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    comments_open: bool | None = None


def display_status(post: Post, now: datetime | None = None) -> str:
    """What the owner is told: "draft", "published", "scheduled" or "trash"."""
    when = post.published_at
    if post.status == PostStatus.PUBLISHED and when is not None and when > (now or utcnow()):
        return "scheduled"
    return str(post.status)


def preview_html(body: str, body_format: str = "markdown") -> str:
    """The text as readers will see it: the pipeline the site renders posts with.

    The owner's posts are Markdown; an archived post stays plain paragraphs, one per line.
    """
    if body_format == "text":
        return paragraphs_html([line for line in body.splitlines() if line.strip()])
    return markdown_html(body)


def find(slug: str) -> Post | None:
    """The post with this slug, whatever its status (the owner sees every post)."""
    return db.session.scalar(select(Post).where(Post.slug == slug))


def get(post_id: int) -> Post | None:
    return db.session.get(Post, post_id)


def find_duplicate(title: str, body: str) -> Post | None:
    """A post with this title and this text already (`posts add` run twice on one file)."""
    return db.session.scalar(
        select(Post).where(Post.title == title.strip(), Post.body_source == body).limit(1)
    )


def moved_to(old_slug: str, now: datetime | None = None) -> Post | None:
    """The post readers may see that once had ``old_slug``, for a 301 to its address now."""
    return db.session.scalar(
        select(Post)
        .join(PostSlug, PostSlug.post_id == Post.id)
        .where(PostSlug.slug == old_slug, Post.visible_to_readers(now or utcnow()))
    )


def by_uid(uids: Sequence[str]) -> dict[str, Post]:
    """Posts by their stable uid (what comments are keyed by), in one query."""
    if not uids:
        return {}
    return {p.uid: p for p in db.session.scalars(select(Post).where(Post.uid.in_(list(uids))))}


def counts_by_status(now: datetime | None = None) -> dict[str, int]:
    """How many posts are drafts, published, scheduled and in the trash (the list's tabs)."""
    now = now or utcnow()
    scheduled = (Post.status == PostStatus.PUBLISHED) & (Post.published_at > now)
    rows = db.session.execute(
        select(Post.status, scheduled, func.count()).group_by(Post.status, scheduled)
    )
    counts = {"published": 0, "scheduled": 0, "draft": 0, "trash": 0}
    for status, is_scheduled, n in rows:
        key = "scheduled" if is_scheduled else str(status)
        counts[key] = counts.get(key, 0) + n
    return counts


def newest_first() -> tuple[ColumnElement[Any], ...]:
    """Posts newest first; undated posts sort by when they were added."""
    return (func.coalesce(Post.published_at, Post.created_at).desc(), Post.id.desc())


def listing(show: str, offset: int, limit: int, now: datetime | None = None) -> list[Post]:
    """Posts newest first: ``show`` is "all" (all but the trash), a status, or "scheduled"."""
    now = now or utcnow()
    query = select(Post).order_by(*newest_first())
    if show == "all":
        query = query.where(Post.status != PostStatus.TRASH)
    elif show == "scheduled":
        query = query.where(Post.status == PostStatus.PUBLISHED, Post.published_at > now)
    elif show == "published":
        query = query.where(Post.visible_to_readers(now))
    else:
        query = query.where(Post.status == PostStatus(show))
    return list(db.session.scalars(query.offset(offset).limit(limit)))


# -- writing ---------------------------------------------------------------------------------
def create(
    data: PostInput, publish: Publish = Publish.DRAFT, *, now: datetime | None = None
) -> Post:
    """A new post from what the owner wrote; a draft unless ``publish`` says otherwise."""
    _check_fields(data)
    title = _title(data.title)
    body = data.body or ""
    slug = _checked_slug(data.slug, None) if data.slug else unique_slug(title, _slug_taken)
    post = Post(
        title=title,
        slug=slug,
        author=(data.author or "").strip() or None,
        body_format="markdown",
        body_source=body,
        comments_open=True if data.comments_open is None else data.comments_open,
        status=PostStatus.DRAFT,
        published_at=data.published_at,
    )
    _render(post, body, data.excerpt)
    _set_visibility(post, Publish.DRAFT if publish is Publish.KEEP else publish, data, now)
    db.session.add(post)
    db.session.commit()
    return post


def update(
    post: Post, data: PostInput, publish: Publish = Publish.KEEP, *, now: datetime | None = None
) -> Post:
    """Change what ``data`` gives; a new slug keeps the old one as a redirect."""
    _check_fields(data)
    if data.title is not None:
        post.title = _title(data.title)
    if data.slug is not None and data.slug != post.slug:
        _change_slug(post, _checked_slug(data.slug, post))
    if data.author is not None:
        post.author = data.author.strip() or None
    if data.comments_open is not None:
        post.comments_open = data.comments_open
    if data.body is not None or data.excerpt is not None:
        if data.body is not None:
            post.body_source = data.body
        _render(post, post.body_source, data.excerpt)
    if data.published_at is not None:
        post.published_at = data.published_at
    _set_visibility(post, publish, data, now)
    db.session.commit()
    return post


def publish(post: Post, at: datetime | None = None, *, now: datetime | None = None) -> Post:
    """Publish now, or from ``at`` (a future ``at`` schedules it)."""
    if post.status == PostStatus.TRASH:
        raise PostError(f"“{post.title}” is in the trash: restore it first")
    mode = Publish.SCHEDULE if at is not None and at > (now or utcnow()) else Publish.NOW
    return update(post, PostInput(published_at=at), mode, now=now)


def unpublish(post: Post) -> Post:
    """Back to the drafts: readers no longer see it (its comments are kept)."""
    if post.status == PostStatus.TRASH:
        raise PostError(f"“{post.title}” is in the trash: restore it first")
    post.status = PostStatus.DRAFT
    db.session.commit()
    return post


def trash(post: Post) -> Post:
    """Into the trash: off the site, kept with its comments until deleted for good."""
    post.status = PostStatus.TRASH
    db.session.commit()
    return post


def restore(post: Post) -> Post:
    """Out of the trash, as a draft: the owner publishes it again on purpose."""
    if post.status != PostStatus.TRASH:
        raise PostError(f"“{post.title}” is not in the trash")
    post.status = PostStatus.DRAFT
    db.session.commit()
    return post


def comment_total(post: Post, store: CommentStore) -> int:
    """Every comment the post has, of any status: what deleting it for good would delete."""
    return sum(store.count_for_posts([post.uid], status)[post.uid] for status in Status)


def delete_for_good(post: Post, store: CommentStore, *, confirmed_comments: int = 0) -> int:
    """Delete a post in the trash, with its comments if ``confirmed_comments`` says how many.

    NeedsConfirmation (nothing deleted) when the post has comments and the caller did not
    confirm that exact number; returns how many comments were deleted.
    """
    if post.status != PostStatus.TRASH:
        raise PostError(f"“{post.title}” is not in the trash: move it to the trash first")
    comments = comment_total(post, store)
    if comments and confirmed_comments != comments:
        raise NeedsConfirmation(post, comments)
    # The comments first: if the store fails, the post is still there to try again. The
    # store writes on its own connection, so this session's read snapshot ends before (on
    # SQLite a snapshot older than another connection's write cannot become a write).
    uid = post.uid
    db.session.commit()
    deleted = store.delete_for_post(uid) if comments else 0
    db.session.execute(delete(PostSlug).where(PostSlug.post_id == post.id))
    db.session.delete(post)
    db.session.commit()
    return deleted


# -- helpers ---------------------------------------------------------------------------------
def _check_fields(data: PostInput) -> None:
    """No control characters, nothing longer than its column (postcheck.py says why)."""
    fields = {"title": data.title, "slug": data.slug, "author": data.author, "body": data.body}
    problems = post_problems({**fields, "excerpt": data.excerpt})
    if problems:
        raise PostError("; ".join(problems))


def _title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise PostError("the title is empty")
    return title


def _render(post: Post, body: str, excerpt: str | None) -> None:
    """HTML once, now; the excerpt as given, else (``""`` or a new text) made from the text."""
    post.body_html = preview_html(body, post.body_format)
    if excerpt is not None and excerpt.strip():
        post.excerpt = excerpt.strip()
    else:
        post.excerpt = plain_excerpt(post.body_html)


def _set_visibility(post: Post, mode: Publish, data: PostInput, now: datetime | None) -> None:
    now = now or utcnow()
    if mode is Publish.KEEP:
        return
    if mode is Publish.DRAFT:
        post.status = PostStatus.DRAFT
    elif mode is Publish.NOW:
        post.status = PostStatus.PUBLISHED
        if post.published_at is None or post.published_at > now:
            post.published_at = now
    elif mode is Publish.SCHEDULE:
        when = data.published_at or post.published_at
        if when is None or when <= now:
            raise PostError("to schedule a post, give a date and time still to come")
        post.status = PostStatus.PUBLISHED
        post.published_at = when


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Post.id).where(Post.slug == slug)) is not None


def _checked_slug(slug: str, post: Post | None) -> str:
    slug = slug.strip()
    if len(slug) > SLUG_MAX or not SLUG_PATTERN.fullmatch(slug):
        raise PostError(
            f"the slug {slug!r} is not usable: lowercase letters, digits and single hyphens, "
            f"at most {SLUG_MAX} characters (e.g. my-first-post)"
        )
    other = find(slug)
    if other is not None and other is not post:
        raise PostError(f"a post with slug {slug!r} exists (“{other.title}”); choose another")
    return slug


def _change_slug(post: Post, new_slug: str) -> None:
    """The old slug redirects here; a slug a post takes is no longer a redirect elsewhere."""
    db.session.execute(delete(PostSlug).where(PostSlug.slug == new_slug))
    if db.session.get(PostSlug, post.slug) is None:
        db.session.add(PostSlug(slug=post.slug, post_id=post.id))
    post.slug = new_slug
