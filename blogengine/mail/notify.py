"""The comment listener that writes the site's email: the owner's, confirmations and replies.

It only queues messages in the outbox; the worker sends them. The comment service calls it
after a comment is stored or moderated and logs whatever it raises, so a reader's comment
never fails because of email.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template
from sqlalchemy import select

from ..comments.contracts import Status, StoredComment
from ..comments.forms import notify_replies_ticked
from ..comments.service import CommentEvent
from ..extensions import db
from ..models import Post
from .links import external_url
from .models import ReplySubscription
from .outbox import Mail, Outbox
from .settings import MailSettings
from .subscriptions import ReplySubscriptions

log = logging.getLogger(__name__)

#: RFC 3834: tells autoresponders not to answer.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}


def subscription_key(subscription: ReplySubscription) -> str:
    """One subscription's name in outbox keys: its id and creation time.

    SQLite gives a deleted (unsubscribed) highest id again; the time tells the new
    subscription from the old one, whose messages are still in the outbox.
    """
    return f"{subscription.id}@{subscription.created_at.timestamp():.6f}"


class CommentNotifier:
    """Queues: the owner's notice of a new comment, a subscriber's confirmation, reply notices."""

    def __init__(
        self, settings: MailSettings, outbox: Outbox, subscriptions: ReplySubscriptions
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.subscriptions = subscriptions

    def __call__(self, event: CommentEvent) -> None:
        if not self.settings.enabled:
            return
        comment = event.comment
        post = db.session.scalar(select(Post).where(Post.uid == comment.post_id))
        if post is None:
            return
        if event.draft is not None:  # a reader's new comment
            self.tell_owner(comment, post)
            if (
                notify_replies_ticked(event.draft.fields)
                and comment.email
                and comment.status is not Status.SPAM
            ):
                self.ask_confirmation(comment, post)
        newly_published = (
            comment.status is Status.APPROVED and event.previous is not Status.APPROVED
        )
        if comment.parent_id and newly_published:
            self.tell_subscribers(comment, post)

    def tell_owner(self, comment: StoredComment, post: Post) -> None:
        """Held or published, the owner hears of it; spam waits in its queue unannounced."""
        owner = self.settings.owner_address
        if not owner or comment.status not in (Status.PENDING, Status.APPROVED):
            return
        held = comment.status is Status.PENDING
        what = "Held for moderation" if held else "New comment"
        self._queue(
            "owner",
            f"owner:{comment.id}",
            owner,
            f"{what}: {comment.author} on “{post.title}”",
            "mail/owner_comment.txt",
            comment=comment,
            post=post,
            held=held,
            reasons="; ".join(f"{v.source}: {v.reason}" for v in comment.verdicts),
            post_url=external_url("blog.post", slug=post.slug),
            desk_url=external_url("desk.comments", status=comment.status.value),
            # A held comment has no number (and no place on the page) until it is approved.
            comment_url=external_url("comments.permalink", slug=post.slug, number=comment.number)
            if comment.number is not None
            else external_url("blog.post", slug=post.slug, _anchor="comments"),
        )

    def ask_confirmation(self, comment: StoredComment, post: Post) -> None:
        """Double opt-in: one email with a signed link; nothing else until it is followed."""
        assert comment.email is not None
        subscription = self.subscriptions.ask(comment.email, post.uid, comment.id)
        if subscription.confirmed_at is not None:
            return
        token = self.subscriptions.confirm_token(subscription)
        self._queue(
            "confirm",
            f"confirm:{subscription_key(subscription)}",
            subscription.email,
            f"Please confirm: email me replies on “{post.title}”",
            "mail/confirm.txt",
            comment=comment,
            post=post,
            confirm_url=external_url("mail.confirm", token=token),
        )

    def tell_subscribers(self, reply: StoredComment, post: Post) -> None:
        """Each confirmed subscriber to the parent comment hears of the reply, once."""
        for subscription in self.subscriptions.confirmed_for(reply.parent_id or ""):
            if reply.email and reply.email.lower() == subscription.email.lower():
                continue  # answering oneself
            token = self.subscriptions.unsubscribe_token(subscription)
            unsubscribe_url = external_url("mail.unsubscribe", token=token)
            self._queue(
                "reply",
                f"reply:{reply.id}:{subscription_key(subscription)}",
                subscription.email,
                f"{reply.author} replied to your comment on “{post.title}”",
                "mail/reply.txt",
                headers={
                    **AUTOMATIC,
                    "List-Unsubscribe": f"<{unsubscribe_url}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
                reply=reply,
                post=post,
                # The permalink finds the page of comments the reply is on.
                reply_url=external_url("comments.permalink", slug=post.slug, number=reply.number),
                unsubscribe_url=unsubscribe_url,
            )

    def _queue(
        self,
        kind: str,
        key: str,
        to: str,
        subject: str,
        template: str,
        headers: Mapping[str, str] = AUTOMATIC,
        **context: Any,
    ) -> None:
        """One message into the outbox, its subject prefixed with the site's name."""
        site = current_app.config["SITE_TITLE"]
        self.outbox.enqueue(
            Mail(
                to=to,
                subject=f"[{site}] {subject}",
                body=render_template(template, **context),
                kind=kind,
                headers=headers,
                key=key,
            )
        )
