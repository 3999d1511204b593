"""The `duplicate` filter: the same text on the same post again within a window is spam.

A retry of a failed submission is not a duplicate: it carries the same submission key
(the form keeps it), and a comment with that key is never counted against it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from ..contracts import Action, CommentDraft, FilterContext, Status, Verdict


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


class DuplicateFilter:
    """Options: ``window`` (seconds to look back)."""

    def __init__(self, *, window: int = 24 * 3600) -> None:
        self.window = window

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        since = ctx.now - timedelta(seconds=self.window)
        body = _normalise(draft.body)
        for earlier in ctx.store.list_recent_for_post(draft.post_id, since):
            if earlier.status is Status.DELETED:
                continue
            if draft.submission_key and earlier.submission_key == draft.submission_key:
                continue
            if _normalise(earlier.body) == body:
                return Verdict(
                    Action.SPAM,
                    f"same text as comment {earlier.number} on this post",
                    "duplicate",
                )
        return None
