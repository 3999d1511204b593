"""The private moderation feed's secret URL: one token, kept as a digest, replaced on rotate."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..extensions import db
from .models import SiteSecret, writing

FEED_SECRET = "moderation_feed"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ModerationFeedToken:
    """Whoever knows the token reads the pending comments, so it is long, random and rotatable.

    Only its SHA-256 is stored (a copy of the database does not give the URL away); a new
    token replaces the old one, which stops working at once.
    """

    def rotate(self) -> str:
        """Make a new token (the feed is switched on); returns it, the only time it is seen."""
        token = secrets.token_urlsafe(32)
        with writing() as session:
            session.execute(delete(SiteSecret).where(SiteSecret.name == FEED_SECRET))
            session.add(SiteSecret(name=FEED_SECRET, digest=_digest(token)))
        return token

    def switch_off(self) -> bool:
        """Forget the token: the feed answers 404 until the next rotate. True if it was on."""
        with writing() as session:
            result = session.connection().execute(
                delete(SiteSecret).where(SiteSecret.name == FEED_SECRET)
            )
            return bool(result.rowcount)

    def is_on(self) -> bool:
        """Whether a feed address exists at all (the address itself cannot be read back)."""
        with Session(db.engine) as session:
            found = session.scalar(select(SiteSecret.name).where(SiteSecret.name == FEED_SECRET))
        return found is not None

    def matches(self, token: str) -> bool:
        """Whether ``token`` is the current one (compared in constant time)."""
        with Session(db.engine) as session:
            stored = session.scalar(select(SiteSecret.digest).where(SiteSecret.name == FEED_SECRET))
        return stored is not None and hmac.compare_digest(stored, _digest(token))
