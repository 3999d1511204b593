"""The host's NonceLedger: spent CAPTCHA tokens in the app's database, shared by all workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import UsedNonce
from ..timeutil import utcnow


class SqlNonceLedger:
    """Claims a nonce by inserting it: the primary key makes a second claim fail.

    The holder (the form's submission key) is kept with the nonce, so the same form sent
    twice by a double click is not taken for a replayed answer.
    """

    def claim(self, nonce: str, expires_at: datetime, holder: str | None = None) -> bool:
        session = db.session
        try:
            session.execute(delete(UsedNonce).where(UsedNonce.expires_at < utcnow()))
            session.add(UsedNonce(nonce=nonce, holder=holder, expires_at=expires_at))
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            earlier = session.get(UsedNonce, nonce)
            return bool(holder) and earlier is not None and earlier.holder == holder
