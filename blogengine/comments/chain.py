"""The spam-filter chain: every filter in order, the most severe verdict wins, all reasons kept."""

from __future__ import annotations

import contextvars
import logging
import threading
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

        # The filter runs in the caller's context (an app context, if any) on its own thread.
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(target,), name=f"spam-filter-{name}", daemon=True
        )
        thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
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
