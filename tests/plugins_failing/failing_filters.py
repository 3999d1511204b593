"""Test plugin: spam filters that fail, to prove a failing filter never loses a comment.

``raising`` raises on every check; ``hanging`` blocks for 30 seconds (released early by
``RELEASE.set()``, so a test can let its thread finish). Chosen with PLUGINS_FOLDER pointing
here and COMMENTS_SPAM_FILTERS naming them.
"""

from __future__ import annotations

import threading
from typing import Any

from blogengine.comments.contracts import CommentDraft, FilterContext, Verdict

#: Set by a test's teardown so the hung filter thread ends instead of sleeping on.
RELEASE = threading.Event()
HANG_SECONDS = 30.0


class FilterExploded(RuntimeError):
    """What the raising filter raises: its name shows in the verdict trail."""


class RaisingFilter:
    """A filter whose backend is broken: every check raises."""

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        raise FilterExploded("spam service unreachable")


class HangingFilter:
    """A filter whose backend never answers: every check blocks (sleep 30, interruptible)."""

    def __init__(self) -> None:
        self.started = threading.Event()

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        self.started.set()
        RELEASE.wait(HANG_SECONDS)
        return None


def register(registry: Any) -> None:
    registry.register_spam_filter("raising", RaisingFilter)
    registry.register_spam_filter("hanging", HangingFilter)
