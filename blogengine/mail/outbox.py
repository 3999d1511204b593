"""The outbox: every email the site sends is a row first, sent later by a worker.

A reader's POST only inserts a row (``enqueue``), so it never waits for, or fails on, SMTP.
``blogengine outbox run`` claims due rows one by one (``UPDATE ... WHERE state = 'queued'``:
of two workers only one changes the row, on SQLite and on PostgreSQL alike), sends, and
records the result: sent, queued again with a doubling delay, or failed with the reason.
A claim left by a worker that died is given back after ``lease``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..extensions import db
from ..timeutil import utcnow
from .models import MailState, OutboxMessage, writing
from .settings import MailSettings
from .smtp import DeliveryError, Transport

log = logging.getLogger(__name__)

LONGEST_SUBJECT = 200
LONGEST_ERROR = 1000
#: Seconds between two tidyings by a running worker.
TIDY_EVERY = 3600.0


@dataclass(frozen=True)
class Mail:
    """One message to queue. ``key`` names it, so queuing the same thing twice sends it once."""

    to: str
    subject: str
    body: str
    kind: str
    headers: Mapping[str, str] = field(default_factory=dict)
    key: str | None = None


@dataclass
class RunReport:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def one_line(text: str, limit: int = LONGEST_SUBJECT) -> str:
    """Header text from anything a reader typed: one line (no header injection), bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Outbox:
    """Queue, send and list the site's email (the database is the queue)."""

    def __init__(
        self,
        settings: MailSettings,
        transport: Transport | None,
        *,
        lease: timedelta = timedelta(minutes=15),
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.lease = lease

    # -- queuing ------------------------------------------------------------------------
    def enqueue(self, mail: Mail, now: datetime | None = None) -> int:
        """Keep ``mail`` to be sent as soon as a worker runs; returns its id.

        Talks to no mail server. A ``key`` already queued returns the earlier message's id.
        """
        now = now or utcnow()
        headers = {"Message-ID": make_msgid(domain=self._sender_domain()), **mail.headers}
        row = OutboxMessage(
            key=mail.key,
            kind=mail.kind,
            to_addr=mail.to.strip(),
            subject=one_line(mail.subject),
            body_text=mail.body,
            headers=json.dumps(headers),
            state=MailState.QUEUED.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        try:
            with writing() as session:
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            if mail.key is None:
                raise
            with Session(db.engine) as session:
                earlier = session.scalar(
                    select(OutboxMessage.id).where(OutboxMessage.key == mail.key)
                )
            if earlier is None:
                raise
            return earlier

    def _sender_domain(self) -> str:
        address = parseaddr(self.settings.sender or "")[1]
        return address.rpartition("@")[2] or "localhost"

    # -- sending ------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None, limit: int = 20) -> RunReport:
        """Send what is due (at most ``limit`` messages) and record each result."""
        if self.transport is None:
            raise RuntimeError("mail is off (no MAIL_SERVER): nothing can be sent")
        now = now or utcnow()
        self._release_stale_claims(now)
        report = RunReport()
        with Session(db.engine) as session:
            due = session.scalars(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.state == MailState.QUEUED.value,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
            ).all()
        for message_id in due:
            claimed = self._claim(message_id, now)
            if claimed is not None:
                self._deliver(claimed, now, report)
        return report

    def run_forever(
        self, stop: threading.Event, tidy: Callable[[datetime], object] | None = None
    ) -> None:
        """Send until ``stop`` is set; sleeps ``worker_interval`` when nothing was due.

        ``tidy`` (forgetting what is no longer needed) runs at the start and then hourly.
        """
        tidied_at = -TIDY_EVERY
        while not stop.is_set():
            if tidy is not None and time.monotonic() - tidied_at >= TIDY_EVERY:
                tidied_at = time.monotonic()
                try:
                    tidy(utcnow())
                except Exception:
                    log.exception("outbox tidying failed")
            try:
                report = self.run_once()
            except Exception:  # the database is down, say: try again later
                log.exception("outbox pass failed")
                report = RunReport()
            if report.handled:
                log.info(
                    "outbox: %d sent, %d to retry, %d failed",
                    report.sent,
                    report.retried,
                    report.failed,
                )
            else:
                stop.wait(self.settings.worker_interval)

    def forget_sent(self, now: datetime) -> int:
        """Delete messages sent more than ``keep_sent_days`` ago; returns how many."""
        cutoff = now - timedelta(days=self.settings.keep_sent_days)
        with writing() as session:
            result = session.connection().execute(
                delete(OutboxMessage).where(
                    OutboxMessage.state == MailState.SENT.value, OutboxMessage.sent_at < cutoff
                )
            )
            return result.rowcount

    def _release_stale_claims(self, now: datetime) -> None:
        """Give back messages whose worker died mid-send (claimed longer ago than the lease)."""
        with writing() as session:
            session.connection().execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.state == MailState.SENDING.value,
                    OutboxMessage.claimed_at < now - self.lease,
                )
                .values(state=MailState.QUEUED.value, claim=None)
            )

    def _claim(self, message_id: int, now: datetime) -> OutboxMessage | None:
        """Take one due message for this worker; None when another worker took it first."""
        claim = uuid.uuid4().hex
        with writing() as session:
            taken = session.connection().execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id, OutboxMessage.state == MailState.QUEUED.value
                )
                .values(
                    state=MailState.SENDING.value,
                    claim=claim,
                    claimed_at=now,
                    attempts=OutboxMessage.attempts + 1,
                )
            )
            if taken.rowcount != 1:
                return None
            return session.get(OutboxMessage, message_id)

    def _deliver(self, row: OutboxMessage, now: datetime, report: RunReport) -> None:
        assert self.transport is not None
        try:
            self.transport.send(self.build(row, now))
        except DeliveryError as exc:
            self._record_failure(row, now, str(exc), permanent=exc.permanent, report=report)
        except ValueError as exc:  # a header the email package refuses: retrying cannot help
            self._record_failure(row, now, f"cannot build: {exc}", permanent=True, report=report)
        else:
            self._record(row, state=MailState.SENT, sent_at=now, last_error=None)
            report.sent += 1

    def _record_failure(
        self, row: OutboxMessage, now: datetime, error: str, *, permanent: bool, report: RunReport
    ) -> None:
        error = error[:LONGEST_ERROR]
        if permanent or row.attempts >= self.settings.max_attempts:
            log.warning("outbox message %s to %s failed for good: %s", row.id, row.to_addr, error)
            self._record(row, state=MailState.FAILED, last_error=error)
            report.failed += 1
        else:
            delay = timedelta(seconds=self.settings.retry_after(row.attempts))
            log.info("outbox message %s: %s; next attempt in %s", row.id, error, delay)
            self._record(row, state=MailState.QUEUED, last_error=error, next_attempt_at=now + delay)
            report.retried += 1

    def _record(self, row: OutboxMessage, *, state: MailState, **values: Any) -> None:
        """Write the result, only if the claim is still ours (it was not given back meanwhile)."""
        with writing() as session:
            session.connection().execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claim == row.claim)
                .values(state=state.value, claim=None, **values)
            )

    def build(self, row: OutboxMessage, now: datetime) -> EmailMessage:
        """The email for a stored row, dated when it is sent."""
        message = EmailMessage()
        message["From"] = self.settings.sender or ""
        message["To"] = row.to_addr
        message["Subject"] = row.subject
        message["Date"] = format_datetime(now)
        for name, value in json.loads(row.headers).items():
            message[name] = value
        message.set_content(row.body_text)
        return message

    # -- the owner's view ---------------------------------------------------------------
    def recent(
        self, state: MailState | None = None, limit: int = 50, offset: int = 0
    ) -> list[OutboxMessage]:
        """Messages newest first (only ``state`` when given), skipping the first ``offset``."""
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
        if state is not None:
            query = query.where(OutboxMessage.state == state.value)
        with Session(db.engine, expire_on_commit=False) as session:
            return list(session.scalars(query))

    def counts(self) -> dict[MailState, int]:
        """How many messages are in each state."""
        counts = dict.fromkeys(MailState, 0)
        with Session(db.engine) as session:
            rows = session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            )
            counts.update({MailState(state): n for state, n in rows})
        return counts

    def waiting_since(self) -> datetime | None:
        """When the longest-waiting queued message fell due (None when nothing is queued).

        Long past means no worker is sending: nothing fails then, mail just waits.
        """
        with Session(db.engine) as session:
            return session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.state == MailState.QUEUED.value
                )
            )

    def retry(self, ids: Sequence[int], now: datetime | None = None) -> list[int]:
        """Queue failed messages again with fresh attempts; returns the ids that were failed."""
        now = now or utcnow()
        with writing() as session:
            failed = list(
                session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.id.in_(list(ids)),
                        OutboxMessage.state == MailState.FAILED.value,
                    )
                )
            )
            session.connection().execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(failed))
                .values(state=MailState.QUEUED.value, attempts=0, next_attempt_at=now)
            )
        return failed
