"""A NewComment that keeps a comment as it is: restoring stored ones, importing archived ones."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from .contracts import CommentDraft, CommentKind, NewComment, Status, Verdict


class CommentLike(Protocol):
    """What a comment to copy into a store has: a stored one (a restore) or an archived one."""

    @property
    def author(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def body_html(self) -> str: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def status(self) -> Status: ...
    @property
    def kind(self) -> CommentKind: ...
    @property
    def email(self) -> str | None: ...
    @property
    def website(self) -> str | None: ...
    @property
    def remote_addr(self) -> str | None: ...
    @property
    def user_agent(self) -> str | None: ...
    @property
    def submission_key(self) -> str | None: ...
    @property
    def verdicts(self) -> tuple[Verdict, ...]: ...
    @property
    def number(self) -> int | None: ...


def as_new_comment(comment: CommentLike, post_id: str, parent_id: str | None) -> NewComment:
    """The NewComment that keeps ``comment`` as it is, under ``post_id`` and ``parent_id``."""
    draft = CommentDraft(
        post_id=post_id,
        author=comment.author,
        body=comment.body,
        email=comment.email,
        website=comment.website,
        parent_id=parent_id,
        remote_addr=comment.remote_addr,
        user_agent=comment.user_agent,
        submission_key=comment.submission_key,
        kind=comment.kind,
    )
    return NewComment(
        draft=draft,
        status=comment.status,
        body_html=comment.body_html,
        created_at=comment.created_at,
        verdicts=comment.verdicts,
        number=comment.number,
    )
