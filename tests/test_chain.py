"""The spam chain: order, severity, every reason kept, and the failure policy."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from flask import Flask, current_app

from blogengine.comments.chain import SpamChain
from blogengine.comments.contracts import (
    Action,
    CommentDraft,
    FilterContext,
    PostRef,
    SpamFilter,
    Verdict,
)
from blogengine.comments.registry import COMMENT_STORES
from blogengine.config import PROJECT_ROOT
from blogengine.testing import T0, plugin_backend

DRAFT = CommentDraft(post_id="post-a", author="Ada", body="Hello")


@pytest.fixture
def ctx(tmp_path: Path) -> FilterContext:
    jsonl = plugin_backend(PROJECT_ROOT / "plugins", COMMENT_STORES, "jsonl")
    store = jsonl(path=tmp_path / "comments.jsonl")
    return FilterContext(now=T0, post=PostRef("post-a", "A post"), store=store)


class Says:
    """A filter with a fixed answer, recording the order it was asked in."""

    def __init__(self, answer: object, calls: list[str] | None = None, name: str = "") -> None:
        self.answer, self.calls, self.name = answer, calls, name

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        if self.calls is not None:
            self.calls.append(self.name)
        return self.answer  # type: ignore[return-value]


class Raises:
    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        raise RuntimeError("spam service unreachable")


class Hangs:
    def __init__(self) -> None:
        self.release = threading.Event()

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        self.release.wait(10)
        return Verdict(Action.ACCEPT, "too late", "hangs")


def verdict(action: Action, source: str) -> Verdict:
    return Verdict(action, f"{source} says {action.label}", source)


def chain(*filters: tuple[str, object], timeout: float = 0.2) -> SpamChain:
    return SpamChain([(name, f) for name, f in filters], timeout=timeout)  # type: ignore[misc]


def test_no_filters_accepts(ctx: FilterContext) -> None:
    result = chain().run(DRAFT, ctx)
    assert result.action is Action.ACCEPT and result.verdicts == ()


def test_runs_in_order_keeps_every_reason_and_most_severe_wins(ctx: FilterContext) -> None:
    calls: list[str] = []
    a = verdict(Action.MODERATE, "a")
    b = verdict(Action.SPAM, "b")
    c = verdict(Action.ACCEPT, "c")
    result = chain(
        ("a", Says(a, calls, "a")),
        ("none", Says(None, calls, "none")),
        ("b", Says(b, calls, "b")),
        ("c", Says(c, calls, "c")),
    ).run(DRAFT, ctx)
    assert calls == ["a", "none", "b", "c"], "every filter runs, in order, even after spam"
    assert result.action is Action.SPAM
    assert result.verdicts == (a, b, c)


def test_all_accepting_accepts(ctx: FilterContext) -> None:
    result = chain(("a", Says(verdict(Action.ACCEPT, "a")))).run(DRAFT, ctx)
    assert result.action is Action.ACCEPT and len(result.verdicts) == 1


def test_a_raising_filter_moderates_with_the_reason(
    ctx: FilterContext, caplog: pytest.LogCaptureFixture
) -> None:
    ok = verdict(Action.ACCEPT, "ok")
    result = chain(("broken", Raises()), ("ok", Says(ok))).run(DRAFT, ctx)
    assert result.action is Action.MODERATE
    failed, kept = result.verdicts
    assert failed.action is Action.MODERATE and failed.source == "broken"
    assert "filter failed" in failed.reason and "spam service unreachable" in failed.reason
    assert kept == ok, "the filters after a failing one still run"
    assert any(r.levelno == logging.ERROR and "broken" in r.getMessage() for r in caplog.records)


def test_a_hanging_filter_moderates_in_time(ctx: FilterContext) -> None:
    hangs = Hangs()
    spam = verdict(Action.SPAM, "later")
    started = time.monotonic()
    try:
        result = chain(("slow", hangs), ("later", Says(spam)), timeout=0.2).run(DRAFT, ctx)
    finally:
        hangs.release.set()
    assert time.monotonic() - started < 2
    assert result.action is Action.SPAM, "a later filter's spam still wins over the timeout"
    timed_out, later = result.verdicts
    assert timed_out == Verdict(Action.MODERATE, "filter timed out after 0.2s", "slow")
    assert later == spam


@pytest.mark.parametrize(
    ("garbage", "what"),
    [
        ("spam", "filter returned str"),
        (Action.SPAM, "filter returned Action"),
        ({"action": "spam"}, "filter returned dict"),
        (Verdict("spam", "bad action", "x"), "filter returned a Verdict with action 'spam'"),  # type: ignore[arg-type]
        (Verdict(2, "int action", "x"), "filter returned a Verdict with action 2"),  # type: ignore[arg-type]
    ],
)
def test_a_filter_returning_garbage_moderates(
    ctx: FilterContext, garbage: object, what: str
) -> None:
    result = chain(("odd", Says(garbage))).run(DRAFT, ctx)
    assert result.action is Action.MODERATE
    assert result.verdicts == (Verdict(Action.MODERATE, what, "odd"),)


def test_filters_see_the_callers_app_context(app: Flask, ctx: FilterContext) -> None:
    seen: list[str] = []

    class NeedsApp:
        def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
            seen.append(current_app.name)
            return None

    assert isinstance(NeedsApp(), SpamFilter)
    with app.app_context():
        result = chain(("app", NeedsApp())).run(DRAFT, ctx)
    assert seen == [app.name] and result.verdicts == ()


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SpamChain([], timeout=0)


class Inline(Says):
    """A filter that says it waits on nothing but the CPU (and the site's database)."""

    inline = True

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        self.thread = threading.current_thread()
        return super().check(draft, ctx)


class SlowInline:
    inline = True

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        time.sleep(0.3)
        return None


def test_inline_filters_run_on_the_callers_thread_and_the_others_do_not(
    ctx: FilterContext,
) -> None:
    calls: list[str] = []
    threads: dict[str, threading.Thread] = {}

    class Threaded(Says):
        def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
            threads[self.name] = threading.current_thread()
            return super().check(draft, ctx)

    first, last = Inline(None, calls, "first"), Inline(None, calls, "last")
    result = chain(
        ("first", first),
        ("remote", Threaded(verdict(Action.MODERATE, "remote"), calls, "remote")),
        ("remote2", Threaded(None, calls, "remote2")),
        ("last", last),
    ).run(DRAFT, ctx)
    assert calls == ["first", "remote", "remote2", "last"], "in order, whatever runs where"
    assert first.thread is threading.current_thread() is last.thread
    assert threads["remote"] is not threading.current_thread()
    assert threads["remote"] is threads["remote2"], "neighbours share one thread"
    assert result.action is Action.MODERATE and len(result.verdicts) == 1


def test_an_inline_filter_that_raises_or_returns_garbage_moderates(ctx: FilterContext) -> None:
    class RaisesInline(Raises):
        inline = True

    result = chain(("broken", RaisesInline()), ("odd", Inline("spam"))).run(DRAFT, ctx)
    broken, odd = result.verdicts
    assert broken.action is Action.MODERATE and "spam service unreachable" in broken.reason
    assert odd == Verdict(Action.MODERATE, "filter returned str", "odd")


def test_an_inline_filter_over_the_time_limit_moderates_saying_how_long(
    ctx: FilterContext,
) -> None:
    """It cannot be cut off (it runs on the reader's thread), but its answer is not trusted
    more than a threaded filter's that timed out: a person decides."""
    result = chain(("slow", SlowInline()), timeout=0.1).run(DRAFT, ctx)
    (slow,) = result.verdicts
    assert slow.action is Action.MODERATE and slow.source == "slow"
    assert slow.reason.startswith("filter took 0.") and slow.reason.endswith("longer than 0.1s")


def test_after_a_hung_filter_the_inline_ones_still_run(ctx: FilterContext) -> None:
    hangs = Hangs()
    spam = verdict(Action.SPAM, "after")
    try:
        result = chain(("slow", hangs), ("after", Inline(spam)), timeout=0.2).run(DRAFT, ctx)
    finally:
        hangs.release.set()
    assert [v.source for v in result.verdicts] == ["slow", "after"]
    assert result.action is Action.SPAM


def test_every_builtin_filter_but_the_remote_service_runs_inline(app: Flask) -> None:
    """Akismet waits on another site: it keeps its thread and its time limit."""
    from blogengine.comments import get_registry
    from blogengine.comments.chain import runs_inline
    from blogengine.comments.registry import SPAM_FILTERS

    with app.app_context():
        registry = get_registry()
        kinds = {
            name: registry.backend_class(SPAM_FILTERS, name)
            for name in registry.names(SPAM_FILTERS)
        }
    builtin = {name: cls for name, cls in kinds.items() if cls.__module__.startswith("blogengine.")}
    assert "akismet" in builtin and "learning" in builtin
    for name, cls in builtin.items():
        assert runs_inline(cls) is (name != "akismet"), name
