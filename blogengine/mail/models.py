"""The mail tables: the outbox, readers' reply subscriptions and the site's rotatable secrets."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import Model, db
from ..timeutil import UTCDateTime, utcnow


class MailState(enum.StrEnum):
    """Where an outbox message stands: queued -> sending -> sent, or back to queued, or failed."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    """One email to send; the worker claims it, sends it, and records what happened."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Names the notification ("owner:<comment id>"), so telling the same thing twice (a
    #: double click racing, an approval repeated) queues one message.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: What it is: "owner", "confirm", "reply" (for the owner's lists).
    kind: Mapped[str] = mapped_column(String(20))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    #: Extra headers as a JSON object (Message-ID, List-Unsubscribe...).
    headers: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(10), default=MailState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The worker's claim: who holds the message while sending and since when.
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReplySubscription(Model):
    """A reader asked to be told of replies to their comment; nothing is sent until confirmed."""

    __tablename__ = "reply_subscriptions"
    __table_args__ = (
        UniqueConstraint("comment_id", "email", name="uq_reply_subscriptions_comment_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    post_uid: Mapped[str] = mapped_column(String(64))
    comment_id: Mapped[str] = mapped_column(String(32), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SiteSecret(Model):
    """A secret the owner can rotate (the moderation feed's token), kept only as a digest."""

    __tablename__ = "site_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@contextmanager
def writing() -> Iterator[Session]:
    """A short write transaction of its own (BEGIN IMMEDIATE on SQLite), never the request's.

    A request's read snapshot upgraded to a write fails at once on SQLite when another
    worker wrote in between (see ``comments/ledger.py``).
    """
    engine = db.engine.execution_options(sqlite_begin="IMMEDIATE")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
