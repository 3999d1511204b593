"""The `duplicate` filter: the same text on the same post again within a window.

One index lookup per comment: the store finds the post's comments with the same text
fingerprint (``text_fingerprint``: case, spacing and punctuation ignored), never reading the
rest. The same address sending it again is spam. From another (or an unknown) address it
is held for moderation, not marked spam: two readers do share the same link with the same
title, and a false alarm costs more than a held comment. Short common texts ("so catchy",
"+1", "first!") are said by many people: they count only from the same address. A retry of
a failed submission is not a duplicate: it carries the same submission key (the form keeps
it), and a comment with that key is never counted against it. Deleted comments do not count.
"""

from __future__ import annotations

from datetime import timedelta

from ..contracts import (
    Action,
    CommentDraft,
    FilterContext,
    Status,
    StoredComment,
    Verdict,
    fingerprint_words,
    text_fingerprint,
)


class DuplicateFilter:
    """Options: ``window`` (seconds to look back), ``short_words`` and ``short_chars`` (a
    text with fewer words than this and fewer characters than that is short and common)."""

    #: Runs on the request's thread (chain.py): one indexed read of the site's database.
    inline = True

    def __init__(
        self, *, window: int = 24 * 3600, short_words: int = 8, short_chars: int = 60
    ) -> None:
        self.window = window
        self.short_words = short_words
        self.short_chars = short_chars

    def is_short(self, words: list[str]) -> bool:
        return len(words) < self.short_words and len(" ".join(words)) < self.short_chars

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        words = fingerprint_words(draft.body)
        if not words:
            return None
        since = ctx.now - timedelta(seconds=self.window)
        earlier = [
            comment
            for comment in ctx.store.find_by_fingerprint(
                draft.post_id, text_fingerprint(draft.body), since
            )
            if self._counts(comment, draft)
        ]
        same_address = [
            c for c in earlier if draft.remote_addr and c.remote_addr == draft.remote_addr
        ]
        if same_address:
            return Verdict(
                Action.SPAM,
                f"same text as {_which(same_address[0])} on this post, from the same address",
                "duplicate",
            )
        if earlier and not self.is_short(words):
            return Verdict(
                Action.MODERATE,
                f"same text as {_which(earlier[0])} on this post",
                "duplicate",
            )
        return None

    @staticmethod
    def _counts(comment: StoredComment, draft: CommentDraft) -> bool:
        if comment.status is Status.DELETED:
            return False
        return not (draft.submission_key and comment.submission_key == draft.submission_key)


def _which(comment: StoredComment) -> str:
    """How a moderator finds the earlier comment: its number, or (held, spam: none yet) its id."""
    if comment.number is not None:
        return f"comment {comment.number}"
    return f"{comment.status.value} comment {comment.id}"
