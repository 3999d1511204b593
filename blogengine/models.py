"""Posts and the owner's tables. Comments live behind the CommentStore contract, not here."""

from __future__ import annotations

import enum
import secrets
import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    func,
    literal_column,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import Model
from .passwords import hash_password, verify_password
from .timeutil import UTCDateTime, utcnow


class PostStatus(enum.StrEnum):
    """Where a post stands. A published post with a future ``published_at`` is scheduled."""

    DRAFT = "draft"
    PUBLISHED = "published"
    TRASH = "trash"


class Post(Model):
    """An article. ``uid`` is the stable id comment stores key comments by."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid.uuid4().hex)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    #: Identifies where an imported post came from, so importing it again changes nothing.
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    subtitle: Mapped[str | None] = mapped_column(String(500))
    author: Mapped[str | None] = mapped_column(String(200))
    publication: Mapped[str | None] = mapped_column(String(200))
    image_name: Mapped[str | None] = mapped_column(String(300))
    image_alt: Mapped[str | None] = mapped_column(String(500))
    #: "markdown" (the owner's posts) or "text" (archived paragraphs, one per line).
    body_format: Mapped[str] = mapped_column(String(20), default="markdown")
    body_source: Mapped[str] = mapped_column(Text)
    #: Rendered and sanitised once, when written; pages never re-render.
    body_html: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    comments_open: Mapped[bool] = mapped_column(default=True)
    #: A PostStatus value; readers see only published posts whose date has come.
    status: Mapped[str] = mapped_column(
        String(20), default=PostStatus.PUBLISHED, server_default=PostStatus.PUBLISHED, index=True
    )
    #: One more whenever the post's page changes: an edit here, or a change to its comments
    #: (``freshness.post_changed``). The page cache's key and the ETag are made of it.
    revision: Mapped[int] = mapped_column(
        default=0, server_default="0", onupdate=literal_column("revision + 1")
    )
    #: When the page last changed (Last-Modified); indexed for the site's newest change.
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, index=True
    )

    @property
    def sort_time(self) -> datetime:
        return self.published_at or self.created_at

    @classmethod
    def visible_to_readers(cls, now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
        """The posts a reader may see at ``now``: published, and not scheduled for later."""
        return and_(
            cls.status == PostStatus.PUBLISHED,
            or_(cls.published_at.is_(None), cls.published_at <= now),
        )

    def is_visible_to_readers(self, now: datetime) -> bool:
        """The same test as ``visible_to_readers``, for a post already loaded."""
        return self.status == PostStatus.PUBLISHED and (
            self.published_at is None or self.published_at <= now
        )


#: The index page's order (blog.newest_first) read from an index, not sorted per request:
#: status first (readers see published posts), then the order; published_at makes it cover
#: the reader-visibility test, so skipping to page 500 reads index entries only.
Index(
    "ix_posts_sort",
    Post.status,
    func.coalesce(Post.published_at, Post.created_at),
    Post.id,
    Post.published_at,
)


class PostSlug(Model):
    """A slug a post had before: its old URL answers 301 with the post's current one."""

    __tablename__ = "post_slugs"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def new_session_token() -> str:
    return secrets.token_hex(16)


def column_length(model: type[Model], name: str) -> int:
    """The declared length of a String column: what every database must be able to hold."""
    length = getattr(model.__table__.c[name].type, "length", None)
    if not isinstance(length, int):
        raise ValueError(f"{model.__name__}.{name} has no declared length")
    return length


class User(UserMixin, Model):
    """The blog's owner (and any co-owners): signs in to moderate and write."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Part of the id the session cookie holds: a new one (at sign-out) ends every session
    #: of this account, even copies of the cookie, which a cookie session cannot revoke.
    session_token: Mapped[str | None] = mapped_column(String(64), default=new_session_token)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token or ''}"

    def end_sessions(self) -> None:
        """Every cookie signed in as this account stops working (commit to keep it)."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)


class UsedNonce(Model):
    """One-time tokens already spent (CAPTCHA answers), kept until they would expire anyway."""

    __tablename__ = "used_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The submission key of the form that spent it (a double click may spend it again).
    holder: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
