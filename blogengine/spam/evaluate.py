"""Measuring a spam-filter chain on a labelled file: ``blogengine spam classify`` and ``eval``.

Each row goes through the site's configured chain (the same SpamChain and filters a reader's
comment meets) as a comment on one throwaway post, in file order, and is kept in a throwaway
SQLite store that is deleted at the end: the ``duplicate`` filter sees the earlier rows as a
post's earlier comments, and nothing reaches the site's comments. Rows carry no address, so
short common texts ("so catchy") are never duplicates here. With ``learn``, learning filters
are taught each labelled row's true label right after its verdict (and the row's status is
set as a moderator would set it); they learn in memory unless ``keep`` is given.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..comments.chain import SpamChain
from ..comments.contracts import (
    Action,
    CommentDraft,
    CommentStore,
    FilterContext,
    LearningSpamFilter,
    NewComment,
    PostRef,
    SpamFilter,
    Status,
)
from ..rendering import CONTROL_CHARACTERS, comment_html
from ..timeutil import utcnow
from .datasets import Row

STATUS_FOR = {Action.ACCEPT: Status.APPROVED, Action.MODERATE: Status.PENDING}


class EvaluationError(Exception):
    """The measurement cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class RowResult:
    """One row's verdict: what the chain did and every reason given."""

    row: int
    action: Action
    reasons: tuple[str, ...]
    is_spam: bool | None = None

    def to_json(self) -> dict[str, object]:
        return {"row": self.row, "action": self.action.label, "reasons": list(self.reasons)}


def measuring_chain(chain: SpamChain, *, learn: bool, keep: bool) -> SpamChain:
    """The chain to measure with: learning filters on scratch copies unless ``keep``."""
    if not learn or keep:
        return chain
    filters: list[tuple[str, SpamFilter]] = []
    for name, spam_filter in chain.filters:
        if isinstance(spam_filter, LearningSpamFilter):
            scratch = getattr(spam_filter, "scratch", None)
            if not callable(scratch):
                raise EvaluationError(
                    f"spam filter {name!r} learns but cannot learn on a scratch copy; "
                    "give --keep to let it keep what it learns, or leave out --learn"
                )
            spam_filter = scratch()
        filters.append((name, spam_filter))
    return SpamChain(filters, timeout=chain.timeout)


def classify(
    chain: SpamChain,
    rows: Iterable[Row],
    *,
    learn: bool = False,
    keep: bool = False,
    protected_names: tuple[str, ...] = (),
) -> Iterator[RowResult]:
    """Each row's verdict, in order, through ``chain`` (see the module's docstring)."""
    from ..comments.builtin.store_sql import SqlCommentStore

    chain = measuring_chain(chain, learn=learn, keep=keep)
    learners = [f for _, f in chain.filters if isinstance(f, LearningSpamFilter)]
    post = PostRef(
        id=f"spam-classify-{uuid.uuid4().hex[:12]}",
        title="blogengine spam classify",
        protected_names=protected_names,
    )
    with tempfile.TemporaryDirectory(prefix="blogengine-classify-") as folder:
        store = SqlCommentStore(url=f"sqlite:///{Path(folder) / 'comments.db'}")
        try:
            for row in rows:
                yield _one(chain, store, post, row, learners if learn else [])
        finally:
            store.dispose()


def _one(
    chain: SpamChain,
    store: CommentStore,
    post: PostRef,
    row: Row,
    learners: list[LearningSpamFilter],
) -> RowResult:
    now = utcnow()
    text = CONTROL_CHARACTERS.sub("", row.text)
    draft = CommentDraft(post_id=post.id, author=row.author.strip() or "Anonymous", body=text)
    result = chain.run(draft, FilterContext(now=now, post=post, store=store))
    stored = store.add(
        NewComment(
            draft=draft,
            status=STATUS_FOR.get(result.action, Status.SPAM),
            body_html=comment_html(text),
            created_at=now,
            verdicts=result.verdicts,
        )
    )
    if learners and row.is_spam is not None:
        stored = store.set_status(stored.id, Status.SPAM if row.is_spam else Status.APPROVED)
        for learner in learners:
            learner.learn(stored, row.is_spam)
    reasons = tuple(f"{v.source}: {v.reason}" for v in result.verdicts)
    return RowResult(row.number, result.action, reasons, row.is_spam)


@dataclass
class Tally:
    """Labelled verdicts counted by truth and action."""

    counts: dict[tuple[bool, Action], int] = field(default_factory=dict)

    def add(self, result: RowResult) -> None:
        if result.is_spam is not None:
            key = (result.is_spam, result.action)
            self.counts[key] = self.counts.get(key, 0) + 1

    def n(self, is_spam: bool, action: Action | None = None) -> int:
        if action is None:
            return sum(v for (s, _), v in self.counts.items() if s == is_spam)
        return self.counts.get((is_spam, action), 0)

    def figures(self) -> dict[str, float | None]:
        """The owner's figures, in percent, or None where there is nothing to divide by.

        "Positive" is "marked spam": a held comment is neither published nor marked.
        """
        spam, good = self.n(True), self.n(False)
        caught, false_alarms = self.n(True, Action.SPAM), self.n(False, Action.SPAM)

        def pct(part: int, whole: int) -> float | None:
            return 100.0 * part / whole if whole else None

        precision = pct(caught, caught + false_alarms)
        recall = pct(caught, spam)
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall
            else None
        )
        return {
            "spam published": pct(self.n(True, Action.ACCEPT), spam),
            "spam held": pct(self.n(True, Action.MODERATE), spam),
            "good marked spam": pct(false_alarms, good),
            "good held": pct(self.n(False, Action.MODERATE), good),
            "precision": precision,
            "recall": recall,
            "F1": f1,
            "false-positive rate": pct(false_alarms, good),
        }


@dataclass(frozen=True)
class Evaluation:
    """Figures for the whole file and for each half of its labelled rows (in file order)."""

    whole: Tally
    first_half: Tally
    second_half: Tally
    rows: int


def evaluate(results: Iterable[RowResult]) -> Evaluation:
    done = list(results)
    labelled = [r for r in done if r.is_spam is not None]
    whole, first, second = Tally(), Tally(), Tally()
    half = len(labelled) // 2
    for i, result in enumerate(labelled):
        whole.add(result)
        (first if i < half else second).add(result)
    return Evaluation(whole, first, second, len(done))


def report(evaluation: Evaluation) -> str:
    """The figures as a table for the owner (percent, one decimal)."""
    columns = [
        ("all rows", evaluation.whole),
        ("first half", evaluation.first_half),
        ("second half", evaluation.second_half),
    ]
    names = list(evaluation.whole.figures())
    lines = [
        f"{evaluation.rows} rows; labelled: {evaluation.whole.n(True)} spam, "
        f"{evaluation.whole.n(False)} good",
        "",
        f"{'':22}" + "".join(f"{title:>13}" for title, _ in columns),
    ]
    figures = [tally.figures() for _, tally in columns]
    counts = "".join(f"{f'{t.n(True)} / {t.n(False)}':>13}" for _, t in columns)
    lines.append(f"{'spam / good rows':22}{counts}")
    for name in names:
        cells = "".join(f"{'-':>13}" if f[name] is None else f"{f[name]:>12.1f}%" for f in figures)
        lines.append(f"{name:22}{cells}")
    return "\n".join(lines)
