"""Readers told of replies: double opt-in, signed links, nothing sent to an unconfirmed address.

The confirmation and unsubscribe links carry signed tokens (itsdangerous) naming the
subscription and its address, so no one signs in and a guessed or reused id does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..timeutil import utcnow
from .models import ReplySubscription, writing

CONFIRM_SALT = "blogengine.replies.confirm"
UNSUBSCRIBE_SALT = "blogengine.replies.unsubscribe"
#: How long a confirmation link works.
CONFIRM_MAX_AGE = timedelta(days=7)


class ReplySubscriptions:
    """Ask, confirm, find and end subscriptions to the replies to one comment."""

    def __init__(self, secret_key: str) -> None:
        self._confirm = URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT)
        self._unsubscribe = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT)

    def ask(self, email: str, post_uid: str, comment_id: str) -> ReplySubscription:
        """Record the wish, unconfirmed (an earlier one for the same comment and address stays)."""
        email = email.strip()
        with writing() as session:
            earlier: ReplySubscription | None = session.scalar(
                select(ReplySubscription).where(
                    ReplySubscription.comment_id == comment_id,
                    func.lower(ReplySubscription.email) == email.lower(),
                )
            )
            if earlier is not None:
                return earlier
            subscription = ReplySubscription(
                email=email, post_uid=post_uid, comment_id=comment_id, created_at=utcnow()
            )
            session.add(subscription)
            session.flush()
            return subscription

    def confirm_token(self, subscription: ReplySubscription) -> str:
        return self._confirm.dumps([subscription.id, subscription.email])

    def unsubscribe_token(self, subscription: ReplySubscription) -> str:
        return self._unsubscribe.dumps([subscription.id, subscription.email])

    def confirm(self, token: str, now: datetime | None = None) -> ReplySubscription | None:
        """Confirm the subscription the token names; None if the token is bad, old or unknown."""
        try:
            payload = self._confirm.loads(token, max_age=int(CONFIRM_MAX_AGE.total_seconds()))
        except BadSignature:
            return None
        with writing() as session:
            subscription = _named(session, payload)
            if subscription is not None and subscription.confirmed_at is None:
                subscription.confirmed_at = now or utcnow()
            return subscription

    def peek(self, token: str, *, unsubscribe: bool) -> ReplySubscription | None:
        """The subscription a link names, changing nothing (the page before the button)."""
        try:
            if unsubscribe:
                payload = self._unsubscribe.loads(token)
            else:
                payload = self._confirm.loads(token, max_age=int(CONFIRM_MAX_AGE.total_seconds()))
        except BadSignature:
            return None
        with Session(db.engine, expire_on_commit=False) as session:
            return _named(session, payload)

    def unsubscribe(self, token: str) -> ReplySubscription | None:
        """End the subscription the token names (for good); None if there is none."""
        try:
            payload = self._unsubscribe.loads(token)
        except BadSignature:
            return None
        with writing() as session:
            subscription = _named(session, payload)
            if subscription is not None:
                session.execute(
                    delete(ReplySubscription).where(ReplySubscription.id == subscription.id)
                )
            return subscription

    def forget_unconfirmed(self, now: datetime) -> int:
        """Delete subscriptions never confirmed whose link has expired; returns how many."""
        with writing() as session:
            result = session.connection().execute(
                delete(ReplySubscription).where(
                    ReplySubscription.confirmed_at.is_(None),
                    ReplySubscription.created_at < now - CONFIRM_MAX_AGE,
                )
            )
            return result.rowcount

    def confirmed_for(self, comment_id: str) -> list[ReplySubscription]:
        """Confirmed subscribers to replies to ``comment_id``: the only addresses ever told."""
        with Session(db.engine, expire_on_commit=False) as session:
            return list(
                session.scalars(
                    select(ReplySubscription).where(
                        ReplySubscription.comment_id == comment_id,
                        ReplySubscription.confirmed_at.is_not(None),
                    )
                )
            )


def _named(session: Session, payload: object) -> ReplySubscription | None:
    """The subscription a token's payload names, if its id still belongs to that address."""
    if not (isinstance(payload, list) and len(payload) == 2):
        return None
    subscription_id, email = payload
    if not isinstance(subscription_id, int) or not isinstance(email, str):
        return None
    subscription = session.get(ReplySubscription, subscription_id)
    if subscription is None or subscription.email != email:
        return None
    return subscription
