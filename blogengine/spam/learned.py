"""What the learning filter learned from moderators: weight changes shared by every worker.

The shipped model (a file in the package) never changes at run time; each moderator decision
adds a small change to the weights of the comment's tokens, kept in the database
(``spam_weights``, with how many decisions held each token: the more, the smaller its next
step), so every worker and every restart sees it. ``spam_decisions`` remembers
which comment was learned as what: approving a comment twice teaches once, and a comment
first marked spam then approved teaches the correction.

Each worker keeps a copy of the learned weights (``SqlLearnedWeights``) and reads the table
again every ``SNAPSHOT_SECONDS``: a check reads nothing from the database, and a decision taken
in another worker reaches this one's checks within that time (this process's own at once).

``MemoryLearnedWeights`` keeps changes in memory over another store's, for
``blogengine spam classify --learn`` (thrown away at the end) and for tests.
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Protocol

from sqlalchemy import Boolean, Float, Integer, String, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import Model, db, single_statement_connection

#: The PostgreSQL advisory lock key that serialises learning.
LEARNING_LOCK = 8_2026_1202
#: How long a worker checks comments with its copy of the learned weights before reading
#: the table again: another worker's decision reaches this one within this many seconds.
SNAPSHOT_SECONDS = 10.0
#: A site that learned more tokens than this is not copied (memory): each check reads its
#: own tokens instead, as before the copies.
SNAPSHOT_MAX_TOKENS = 50_000


class Learned(NamedTuple):
    """What decisions taught about one token: the change to its weight, and how many
    decisions held it (the more, the smaller its next step)."""

    delta: float = 0.0
    seen: int = 0


#: Given what was learned so far for each of the comment's tokens, the change to add to each.
StepFunction = Callable[[Mapping[str, Learned]], Mapping[str, float]]


class LearnedWeightRow(Model):
    """The sum of the changes moderators' decisions made to one token's weight."""

    __tablename__ = "spam_weights"

    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    delta: Mapped[float] = mapped_column(Float)
    #: How many decisions were about a comment holding the token.
    seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LearnedDecisionRow(Model):
    """A comment the filter learned from, and as what."""

    __tablename__ = "spam_decisions"

    comment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_spam: Mapped[bool] = mapped_column(Boolean)


_WEIGHTS = LearnedWeightRow.__table__
_LEARNED = select(_WEIGHTS.c.token, _WEIGHTS.c.delta, _WEIGHTS.c.seen).where(
    _WEIGHTS.c.token.in_(bindparam("tokens", expanding=True))
)
_ALL_LEARNED = select(_WEIGHTS.c.token, _WEIGHTS.c.delta, _WEIGHTS.c.seen)


@dataclass(frozen=True)
class _Snapshot:
    """One database's learned weights as read at ``taken`` (None: too many to keep), after
    this process's decision number ``decided``."""

    weights: dict[str, Learned] | None
    taken: float
    decided: int


#: This process's copy of each database's learned weights.
_SNAPSHOTS: weakref.WeakKeyDictionary[Engine, _Snapshot] = weakref.WeakKeyDictionary()
#: The number of this process's latest decision on each database: a copy read before it is
#: stale (a copy being read while a decision commits must not outlive the decision).
_DECIDED: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_DECISION_NUMBERS = itertools.count(1)
_REREAD = threading.Lock()
#: The clock copies age by (tests move it).
_clock = time.monotonic


def forget_snapshot(engine: Engine) -> None:
    """Have the next check read ``engine``'s learned weights again (after a decision)."""
    _DECIDED[engine] = next(_DECISION_NUMBERS)


def _fresh(snapshot: _Snapshot, engine: Engine) -> bool:
    """Read after this process's latest decision, and less than SNAPSHOT_SECONDS ago."""
    return (
        snapshot.decided == _DECIDED.get(engine, 0) and _clock() - snapshot.taken < SNAPSHOT_SECONDS
    )


def _snapshot(engine: Engine) -> _Snapshot:
    """This process's copy of the learned weights, read again when stale by one thread while
    the others go on with the old copy."""
    found = _SNAPSHOTS.get(engine)
    if found is not None and _fresh(found, engine):
        return found
    if not _REREAD.acquire(blocking=found is None):
        assert found is not None
        return found
    try:
        again = _SNAPSHOTS.get(engine)
        if again is not None and _fresh(again, engine):
            return again
        decided, taken = _DECIDED.get(engine, 0), _clock()
        with single_statement_connection(engine) as connection:
            rows = connection.execute(_ALL_LEARNED.limit(SNAPSHOT_MAX_TOKENS + 1)).all()
        weights = (
            {token: Learned(delta, seen) for token, delta, seen in rows}
            if len(rows) <= SNAPSHOT_MAX_TOKENS
            else None
        )
        _SNAPSHOTS[engine] = fresh = _Snapshot(weights, taken, decided)
        return fresh
    finally:
        _REREAD.release()


class LearnedWeights(Protocol):
    """Where the learned changes live."""

    def learned(self, tokens: Collection[str]) -> dict[str, Learned]:
        """What was learned for each of ``tokens`` (tokens never learned are left out)."""
        ...

    def learn(
        self, comment_id: str, is_spam: bool, tokens: Collection[str], step: StepFunction
    ) -> bool:
        """Unless this comment was learned as this already: add ``step(learned)`` to the
        tokens' changes (``learned`` has every one of ``tokens``, ``Learned()`` for those never
        learned) and count one more decision for each. True if something changed."""
        ...


class SqlLearnedWeights:
    """The changes in the app's database (needs an app context, as the ``sql`` store)."""

    _UPSERTS: ClassVar = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}

    def learned(self, tokens: Collection[str]) -> dict[str, Learned]:
        if not tokens:
            return {}
        weights = _snapshot(db.engine).weights
        if weights is not None:
            return {token: weights[token] for token in tokens if token in weights}
        # A plain connection and one cached statement: an ORM session per check cost 2.5 ms.
        with single_statement_connection(db.engine) as connection:
            rows = connection.execute(_LEARNED, {"tokens": sorted(tokens)})
            return {token: Learned(delta, seen) for token, delta, seen in rows}

    def learn(
        self, comment_id: str, is_spam: bool, tokens: Collection[str], step: StepFunction
    ) -> bool:
        try:
            return self._learn(comment_id, is_spam, tokens, step)
        finally:
            forget_snapshot(db.engine)  # this process's checks see the decision at once

    def _learn(
        self, comment_id: str, is_spam: bool, tokens: Collection[str], step: StepFunction
    ) -> bool:
        with self._writing() as session:
            earlier = session.get(LearnedDecisionRow, comment_id)
            if earlier is not None and earlier.is_spam == is_spam:
                return False
            rows = session.execute(_LEARNED, {"tokens": sorted(tokens)})
            learned = {token: Learned(delta, seen) for token, delta, seen in rows}
            changes = step({token: learned.get(token, Learned()) for token in tokens})
            self._add(session, changes)
            if earlier is None:
                session.add(LearnedDecisionRow(comment_id=comment_id, is_spam=is_spam))
            else:
                earlier.is_spam = is_spam
            return True

    def _add(self, session: Session, changes: Mapping[str, float]) -> None:
        """Add each token's change, and one to its count, in one statement where the
        database allows."""
        insert = self._UPSERTS.get(session.get_bind().dialect.name)
        values = [{"token": t, "delta": changes[t], "seen": 1} for t in sorted(changes)]
        if insert is not None and values:
            # sqlite's or postgresql's Insert: both have on_conflict_do_update and excluded.
            statement: Any = insert(LearnedWeightRow).values(values)
            statement = statement.on_conflict_do_update(
                index_elements=[LearnedWeightRow.token],
                set_={
                    "delta": LearnedWeightRow.delta + statement.excluded.delta,
                    "seen": LearnedWeightRow.seen + statement.excluded.seen,
                },
            )
            session.execute(statement)
            return
        for token in sorted(changes):  # other databases: row by row, locked
            row = session.get(LearnedWeightRow, token, with_for_update=True)
            if row is None:
                session.add(LearnedWeightRow(token=token, delta=changes[token], seen=1))
            else:
                row.delta += changes[token]
                row.seen += 1

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """One learner at a time: SQLite's write lock from the first statement, PostgreSQL's
        advisory lock. Each step is computed from the weights the previous one left, as
        when decisions come one by one (moderator decisions are rare: waiting is cheap)."""
        engine = db.engine.execution_options(sqlite_begin="IMMEDIATE")
        with Session(engine, expire_on_commit=False) as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(select(func.pg_advisory_xact_lock(LEARNING_LOCK)))
            yield session


class MemoryLearnedWeights:
    """Changes kept in memory, on top of ``under``'s (read, never written)."""

    def __init__(self, under: LearnedWeights | None = None) -> None:
        self.under = under
        self.changes: dict[str, Learned] = {}
        self.decisions: dict[str, bool] = {}

    def learned(self, tokens: Collection[str]) -> dict[str, Learned]:
        found = self.under.learned(tokens) if self.under is not None else {}
        for token in tokens:
            mine = self.changes.get(token)
            if mine is not None:
                below = found.get(token, Learned())
                found[token] = Learned(below.delta + mine.delta, below.seen + mine.seen)
        return found

    def learn(
        self, comment_id: str, is_spam: bool, tokens: Collection[str], step: StepFunction
    ) -> bool:
        if self.decisions.get(comment_id) == is_spam:
            return False
        learned = self.learned(tokens)
        changes = step({token: learned.get(token, Learned()) for token in tokens})
        for token, change in changes.items():
            mine = self.changes.get(token, Learned())
            self.changes[token] = Learned(mine.delta + change, mine.seen + 1)
        self.decisions[comment_id] = is_spam
        return True
