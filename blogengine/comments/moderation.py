"""Moderation: the owner's decisions on comments, one service for the desk and the CLI.

Every decision goes through ``CommentService.moderate`` (so "spam" and "not spam" teach each
learning filter) or the store's ``delete`` (for good, from any status). No Flask here.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from .contracts import Status, StoredComment
from .service import CommentService

#: A short id the CLI accepts must have at least this many characters (ids are 32).
MIN_PREFIX = 4


class Decision(enum.StrEnum):
    """What the owner can do to a comment."""

    APPROVE = "approve"
    SPAM = "spam"
    NOT_SPAM = "not-spam"
    TRASH = "trash"
    RESTORE = "restore"
    DELETE = "delete"

    @property
    def label(self) -> str:
        return DECISION_LABELS[self]

    @property
    def done(self) -> str:
        """The past tense, for telling the owner what happened: "approved", "moved to trash"."""
        return DECISION_DONE[self]


DECISION_LABELS = {
    Decision.APPROVE: "Approve",
    Decision.SPAM: "Spam",
    Decision.NOT_SPAM: "Not spam",
    Decision.TRASH: "Trash",
    Decision.RESTORE: "Restore",
    Decision.DELETE: "Delete for good",
}
DECISION_DONE = {
    Decision.APPROVE: "approved",
    Decision.SPAM: "marked as spam",
    Decision.NOT_SPAM: "marked as not spam and published",
    Decision.TRASH: "moved to trash",
    Decision.RESTORE: "restored to pending",
    Decision.DELETE: "deleted for good",
}
#: The status each decision gives; DELETE removes the comment instead. A comment taken out
#: of the trash waits in pending for the owner's word rather than appearing unasked.
NEW_STATUS = {
    Decision.APPROVE: Status.APPROVED,
    Decision.SPAM: Status.SPAM,
    Decision.NOT_SPAM: Status.APPROVED,
    Decision.TRASH: Status.DELETED,
    Decision.RESTORE: Status.PENDING,
}
#: The decisions the queue offers in each tab (the trash tab is Status.DELETED).
DECISIONS_FOR = {
    Status.PENDING: (Decision.APPROVE, Decision.SPAM, Decision.TRASH),
    Status.APPROVED: (Decision.SPAM, Decision.TRASH),
    Status.SPAM: (Decision.NOT_SPAM, Decision.TRASH, Decision.DELETE),
    Status.DELETED: (Decision.RESTORE, Decision.DELETE),
}


class UnknownComments(LookupError):
    """Some ids match no comment, or a short id matches several; nothing was changed."""

    def __init__(self, missing: Sequence[str], ambiguous: Sequence[str] = ()) -> None:
        self.missing, self.ambiguous = list(missing), list(ambiguous)
        parts = []
        if self.missing:
            parts.append(f"no comment with id {', '.join(self.missing)}")
        if self.ambiguous:
            parts.append(f"more than one comment's id starts with {', '.join(self.ambiguous)}")
        super().__init__("; ".join(parts) + "; nothing was changed")


@dataclass(frozen=True)
class QueuePage:
    """One page of one tab of the queue, with every tab's count."""

    status: Status
    query: str
    page: int
    per_page: int
    comments: list[StoredComment]
    has_next: bool
    counts: dict[Status, int]

    @property
    def has_prev(self) -> bool:
        return self.page > 1


class ModerationService:
    """The owner's decisions and the queue, over the site's comment service."""

    def __init__(self, comments: CommentService) -> None:
        self.comments = comments
        self.store = comments.store

    def resolve(self, ids: Sequence[str], *, prefixes: bool = False) -> list[StoredComment]:
        """The comments these ids name, in order, each once; UnknownComments if any does not.

        With ``prefixes`` an id may be the start of one (at least MIN_PREFIX characters), as
        long as it names exactly one comment.
        """
        found: dict[str, StoredComment] = {}
        missing: list[str] = []
        ambiguous: list[str] = []
        for given in dict.fromkeys(i.strip() for i in ids):
            comment = self.store.get(given) if given else None
            if comment is None and prefixes and len(given) >= MIN_PREFIX:
                matches = self.store.find_by_id_prefix(given, limit=2)
                if len(matches) > 1:
                    ambiguous.append(given)
                    continue
                comment = matches[0] if matches else None
            if comment is None:
                missing.append(given)
            else:
                found.setdefault(comment.id, comment)
        if missing or ambiguous:
            raise UnknownComments(missing, ambiguous)
        return list(found.values())

    def decide(
        self, decision: Decision, ids: Sequence[str], *, prefixes: bool = False
    ) -> list[StoredComment]:
        """Apply ``decision`` to every comment named; the comments as they are after it (as
        they were, for those deleted for good): an approved one now has its number.

        Every id is checked first, so a typo changes nothing.
        """
        comments = self.resolve(ids, prefixes=prefixes)
        return [self.apply(decision, comment.id) or comment for comment in comments]

    def apply(self, decision: Decision, comment_id: str) -> StoredComment | None:
        """One decision on one comment; the comment after it (None once deleted for good)."""
        if decision is Decision.DELETE:
            self.store.delete(comment_id)
            return None
        return self.comments.moderate(comment_id, NEW_STATUS[decision])

    def queue(
        self, status: Status, query: str = "", page: int = 1, per_page: int = 25
    ) -> QueuePage:
        """One page of the comments in ``status`` (matching ``query``), newest first."""
        query = query.strip()
        offset = (max(1, page) - 1) * per_page
        found = self.store.search(query, status, offset=offset, limit=per_page + 1)
        return QueuePage(
            status=status,
            query=query,
            page=max(1, page),
            per_page=per_page,
            comments=found[:per_page],
            has_next=len(found) > per_page,
            counts=self.store.count_by_status(),
        )
