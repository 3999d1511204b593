"""What the learning filter learned from moderators: weight changes shared by every worker.

The shipped model (a file in the package) never changes at run time; each moderator decision
adds a small change to the weights of the comment's tokens, kept in the database
(``spam_weights``), so every worker and every restart sees it. ``spam_decisions`` remembers
which comment was learned as what: approving a comment twice teaches once, and a comment
first marked spam then approved teaches the correction.

``MemoryLearnedWeights`` keeps changes in memory over another store's, for
``blogengine spam classify --learn`` (thrown away at the end) and for tests.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, Protocol

from sqlalchemy import Boolean, Float, String, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import Model, db

#: The PostgreSQL advisory lock key that serialises learning.
LEARNING_LOCK = 8_2026_1202
#: Given the comment's current weights, how much to add to each of them.
StepFunction = Callable[[Mapping[str, float]], float]


class LearnedWeightRow(Model):
    """The sum of the changes moderators' decisions made to one token's weight."""

    __tablename__ = "spam_weights"

    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    delta: Mapped[float] = mapped_column(Float)


class LearnedDecisionRow(Model):
    """A comment the filter learned from, and as what."""

    __tablename__ = "spam_decisions"

    comment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_spam: Mapped[bool] = mapped_column(Boolean)


_WEIGHTS = LearnedWeightRow.__table__
_DELTAS = select(_WEIGHTS.c.token, _WEIGHTS.c.delta).where(
    _WEIGHTS.c.token.in_(bindparam("tokens", expanding=True))
)


class LearnedWeights(Protocol):
    """Where the learned changes live."""

    def deltas(self, tokens: Collection[str]) -> dict[str, float]:
        """The learned change of each token's weight (tokens never learned are left out)."""
        ...

    def learn(
        self,
        comment_id: str,
        is_spam: bool,
        tokens: Collection[str],
        step: StepFunction,
        base: Mapping[str, float],
    ) -> bool:
        """Add ``step(weights)`` to each of ``tokens``' changes, unless this comment was
        learned as this already. ``base`` holds the shipped weights of all the comment's
        tokens (some, like the bias, are never learned); ``step`` gets them with the learned
        changes added. True if something changed."""
        ...


class SqlLearnedWeights:
    """The changes in the app's database (needs an app context, as the ``sql`` store)."""

    _UPSERTS: ClassVar = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}

    def deltas(self, tokens: Collection[str]) -> dict[str, float]:
        if not tokens:
            return {}
        # A plain connection and one cached statement: an ORM session per check cost 2.5 ms.
        with db.engine.connect() as connection:
            rows = connection.execute(_DELTAS, {"tokens": sorted(tokens)})
            return {token: delta for token, delta in rows}

    def learn(
        self,
        comment_id: str,
        is_spam: bool,
        tokens: Collection[str],
        step: StepFunction,
        base: Mapping[str, float],
    ) -> bool:
        with self._writing() as session:
            earlier = session.get(LearnedDecisionRow, comment_id)
            if earlier is not None and earlier.is_spam == is_spam:
                return False
            rows = session.execute(
                select(LearnedWeightRow.token, LearnedWeightRow.delta).where(
                    LearnedWeightRow.token.in_(list(tokens))
                )
            )
            learned = {token: delta for token, delta in rows}
            change = step(_current(base, learned, tokens))
            self._add(session, tokens, change)
            if earlier is None:
                session.add(LearnedDecisionRow(comment_id=comment_id, is_spam=is_spam))
            else:
                earlier.is_spam = is_spam
            return True

    def _add(self, session: Session, tokens: Collection[str], change: float) -> None:
        """Add ``change`` to each token's row in one statement where the database allows."""
        insert = self._UPSERTS.get(session.get_bind().dialect.name)
        values = [{"token": t, "delta": change} for t in sorted(tokens)]
        if insert is not None and values:
            # sqlite's or postgresql's Insert: both have on_conflict_do_update and excluded.
            statement: Any = insert(LearnedWeightRow).values(values)
            statement = statement.on_conflict_do_update(
                index_elements=[LearnedWeightRow.token],
                set_={"delta": LearnedWeightRow.delta + statement.excluded.delta},
            )
            session.execute(statement)
            return
        for token in sorted(tokens):  # other databases: row by row, locked
            row = session.get(LearnedWeightRow, token, with_for_update=True)
            if row is None:
                session.add(LearnedWeightRow(token=token, delta=change))
            else:
                row.delta += change

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
        self.changes: dict[str, float] = {}
        self.decisions: dict[str, bool] = {}

    def deltas(self, tokens: Collection[str]) -> dict[str, float]:
        found = self.under.deltas(tokens) if self.under is not None else {}
        for token in tokens:
            if token in self.changes:
                found[token] = found.get(token, 0.0) + self.changes[token]
        return found

    def learn(
        self,
        comment_id: str,
        is_spam: bool,
        tokens: Collection[str],
        step: StepFunction,
        base: Mapping[str, float],
    ) -> bool:
        if self.decisions.get(comment_id) == is_spam:
            return False
        change = step(_current(base, self.deltas(tokens), tokens))
        for token in tokens:
            self.changes[token] = self.changes.get(token, 0.0) + change
        self.decisions[comment_id] = is_spam
        return True


def _current(
    base: Mapping[str, float], learned: Mapping[str, float], tokens: Collection[str]
) -> dict[str, float]:
    """The comment's weights now: shipped, plus what was learned for the learnable tokens."""
    current = dict(base)
    for token in tokens:
        current[token] = base.get(token, 0.0) + learned.get(token, 0.0)
    return current
