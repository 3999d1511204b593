"""The host's NonceLedger: spent CAPTCHA tokens in the app's database, shared by all workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import UsedNonce
from ..timeutil import utcnow


class SqlNonceLedger:
    """Claims a nonce by inserting it: the primary key makes a second claim fail.

    The holder (from the form's submission key) is kept with the nonce, so the same form sent
    twice by a double click is not taken for a replayed answer. Each claim is its own short
    write transaction on its own connection (BEGIN IMMEDIATE on SQLite), never the request's
    session: a request's read snapshot must not be upgraded to a write, which SQLite refuses
    at once with "database is locked" when another worker wrote in between.
    """

    def claim(self, nonce: str, expires_at: datetime, holder: str | None = None) -> bool:
        engine = db.engine.execution_options(sqlite_begin="IMMEDIATE")
        try:
            with Session(engine) as session, session.begin():
                session.execute(delete(UsedNonce).where(UsedNonce.expires_at < utcnow()))
                session.add(UsedNonce(nonce=nonce, holder=holder, expires_at=expires_at))
            return True
        except IntegrityError:
            with Session(db.engine) as session:
                earlier = session.get(UsedNonce, nonce)
                return bool(holder) and earlier is not None and earlier.holder == holder
