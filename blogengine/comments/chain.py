"""The spam-filter chain: every filter in order, the most severe verdict wins, all reasons kept."""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

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
    """

    def __init__(self, filters: list[tuple[str, SpamFilter]], timeout: float) -> None:
        if timeout <= 0:
            raise ValueError("the spam-filter timeout must be a positive number of seconds")
        self.filters = filters
        self.timeout = timeout
        self._threads = FilterThreads()

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.filters]

    def run(self, draft: CommentDraft, ctx: FilterContext) -> ChainResult:
        verdicts: list[Verdict] = []
        for name, spam_filter in self.filters:
            verdict = self._run_one(name, spam_filter, draft, ctx)
            if verdict is not None:
                verdicts.append(verdict)
        action = max((v.action for v in verdicts), default=Action.ACCEPT)
        return ChainResult(action, tuple(verdicts))

    def _run_one(
        self, name: str, spam_filter: SpamFilter, draft: CommentDraft, ctx: FilterContext
    ) -> Verdict | None:
        result: list[object] = []
        error: list[BaseException] = []

        def target() -> None:
            try:
                result.append(spam_filter.check(draft, ctx))
            except BaseException as exc:
                error.append(exc)

        # The filter runs in the caller's context (an app context, if any) on another thread.
        context = contextvars.copy_context()
        finished = self._threads.run(f"spam-filter-{name}", context, target, self.timeout)
        if not finished:
            log.warning("spam filter %s timed out after %ss", name, self.timeout)
            return Verdict(Action.MODERATE, f"filter timed out after {self.timeout:g}s", name)
        if error:
            log.error("spam filter %s raised", name, exc_info=error[0])
            return Verdict(Action.MODERATE, f"filter failed: {error[0]!r}", name)
        verdict = result[0] if result else None
        if verdict is None:
            return None
        if not isinstance(verdict, Verdict) or not isinstance(verdict.action, Action):
            log.error("spam filter %s returned %r instead of a Verdict or None", name, verdict)
            what = type(verdict).__name__
            if isinstance(verdict, Verdict):
                what = f"a Verdict with action {verdict.action!r}"
            return Verdict(Action.MODERATE, f"filter returned {what}", name)
        return verdict


class FilterThreads:
    """Daemon threads that run filters, kept for the next comment instead of started anew.

    Starting a thread per filter per comment cost more than the filters themselves (on a busy
    machine, milliseconds each). A thread whose filter hangs stays with it and is not reused
    until the filter returns; another comment's filter gets an idle thread or a new one. The
    thread carries the filter's name while it runs (``spam-filter-NAME``), as before.
    """

    def __init__(self) -> None:
        self._idle: list[queue.SimpleQueue[_Task]] = []
        self._lock = threading.Lock()

    def run(
        self, name: str, context: contextvars.Context, target: Callable[[], None], timeout: float
    ) -> bool:
        """Run ``target`` in ``context`` on a pooled thread; False if it took over ``timeout``."""
        task = _Task(name, context, target)
        with self._lock:
            tasks = self._idle.pop() if self._idle else None
        if tasks is None:
            tasks = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(tasks,), daemon=True).start()
        tasks.put(task)
        return task.done.wait(timeout)

    def _serve(self, tasks: queue.SimpleQueue[_Task]) -> None:
        me = threading.current_thread()
        while True:
            task = tasks.get()
            me.name = task.name
            try:
                task.context.run(task.target)
            finally:
                me.name = "spam-filter-idle"
                task.done.set()
                with self._lock:
                    self._idle.append(tasks)


@dataclass
class _Task:
    name: str
    context: contextvars.Context
    target: Callable[[], None]
    done: threading.Event = field(default_factory=threading.Event)
