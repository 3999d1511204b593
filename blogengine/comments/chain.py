"""The spam-filter chain: every filter in order, the most severe verdict wins, all reasons kept."""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import time
from dataclasses import dataclass

from .contracts import Action, CommentDraft, FilterContext, SpamFilter, Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChainResult:
    """The chain's decision and every verdict behind it, in filter order, for the moderator."""

    action: Action
    verdicts: tuple[Verdict, ...]


class SpamChain:
    """Runs named filters in order.

    Failure policy: a filter that raises, returns something that is not a Verdict (or a
    Verdict whose action is not an Action), or takes longer than ``timeout`` seconds gives
    MODERATE with the reason and the filter's configured name as source, so the comment waits
    for a person instead of being lost or published unchecked. A hung filter's thread is left
    to finish on its own (daemon); the reader is answered in time. Every filter runs, even
    after a SPAM verdict, so the trail shows every opinion.

    A filter whose class says ``inline = True`` runs on the caller's thread: it promises to
    wait on nothing but the CPU and the site's own database (whose time limits are the
    host's, dbfaults.py), as the built-in filters do. Handing a comment to another thread and
    back cost more than all of them together. An inline filter cannot be cut off; one that
    took longer than ``timeout`` still gives MODERATE, saying how long it took.
    """

    def __init__(self, filters: list[tuple[str, SpamFilter]], timeout: float) -> None:
        if timeout <= 0:
            raise ValueError("the spam-filter timeout must be a positive number of seconds")
        self.filters = filters
        self.timeout = timeout

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.filters]

    def run(self, draft: CommentDraft, ctx: FilterContext) -> ChainResult:
        verdicts: list[Verdict] = []
        start = 0
        while start < len(self.filters):
            name, spam_filter = self.filters[start]
            if runs_inline(spam_filter):
                self._run_inline(name, spam_filter, draft, ctx, verdicts)
                start += 1
            else:
                start = self._run_from(start, draft, ctx, verdicts)
        action = max((v.action for v in verdicts), default=Action.ACCEPT)
        return ChainResult(action, tuple(verdicts))

    def _run_inline(
        self,
        name: str,
        spam_filter: SpamFilter,
        draft: CommentDraft,
        ctx: FilterContext,
        verdicts: list[Verdict],
    ) -> None:
        """One inline filter on this thread, judged as a threaded one would be."""
        started = time.monotonic()
        try:
            result: object = spam_filter.check(draft, ctx)
            error: BaseException | None = None
        except Exception as exc:
            result, error = None, exc
        took = time.monotonic() - started
        if took > self.timeout:
            log.warning("spam filter %s took %.1fs (limit %ss)", name, took, self.timeout)
            why = f"filter took {took:.1f}s, longer than {self.timeout:g}s"
            verdicts.append(Verdict(Action.MODERATE, why, name))
            return
        verdict = self._judged(name, result, error)
        if verdict is not None:
            verdicts.append(verdict)

    def _run_from(
        self, start: int, draft: CommentDraft, ctx: FilterContext, verdicts: list[Verdict]
    ) -> int:
        """Run the filters from ``start`` up to the next inline one, in order on one thread (a
        thread per filter cost more than most filters); each has ``timeout`` seconds. Returns
        where to go on: the next inline filter or the end, or the filter after one that hung
        (its thread is left, told to stop there)."""
        end = start
        while end < len(self.filters) and not runs_inline(self.filters[end][1]):
            end += 1
        todo = self.filters[start:end]
        answers: queue.SimpleQueue[tuple[object, BaseException | None]] = queue.SimpleQueue()
        stop = threading.Event()

        def work() -> None:
            for name, spam_filter in todo:
                if stop.is_set():
                    return
                threading.current_thread().name = f"spam-filter-{name}"
                try:
                    answers.put((spam_filter.check(draft, ctx), None))
                except BaseException as exc:
                    answers.put((None, exc))

        # The filters run in the caller's context (an app context, if any) on their thread.
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(work,), name=f"spam-filter-{todo[0][0]}", daemon=True
        )
        thread.start()
        for offset, (name, _) in enumerate(todo):
            try:
                result, error = answers.get(timeout=self.timeout)
            except queue.Empty:
                stop.set()
                log.warning("spam filter %s timed out after %ss", name, self.timeout)
                why = f"filter timed out after {self.timeout:g}s"
                verdicts.append(Verdict(Action.MODERATE, why, name))
                return start + offset + 1
            verdict = self._judged(name, result, error)
            if verdict is not None:
                verdicts.append(verdict)
        return end

    @staticmethod
    def _judged(name: str, result: object, error: BaseException | None) -> Verdict | None:
        """A filter's answer as the chain keeps it: its verdict, or MODERATE saying why not."""
        if error is not None:
            log.error("spam filter %s raised", name, exc_info=error)
            return Verdict(Action.MODERATE, f"filter failed: {error!r}", name)
        verdict = result
        if verdict is None:
            return None
        if not isinstance(verdict, Verdict) or not isinstance(verdict.action, Action):
            log.error("spam filter %s returned %r instead of a Verdict or None", name, verdict)
            what = type(verdict).__name__
            if isinstance(verdict, Verdict):
                what = f"a Verdict with action {verdict.action!r}"
            return Verdict(Action.MODERATE, f"filter returned {what}", name)
        return verdict


def runs_inline(spam_filter: SpamFilter) -> bool:
    """Whether a filter's class says it waits on nothing but the CPU and the site's database."""
    return getattr(spam_filter, "inline", False) is True
