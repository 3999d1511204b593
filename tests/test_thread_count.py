"""The sql store keeps each post's number of threads on its counter row (migration 0013), so
the page a new comment lands on is found without counting the threads before it. Whatever
happens to comments, the kept count and every comment's thread index must stay what
counting gives."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from support import app_in_postgres_schema, make_post

from blogengine.comments import get_service
from blogengine.comments.builtin.store_sql import CommentCounterRow, CommentRow, SqlCommentStore
from blogengine.comments.contracts import CommentDraft, NewComment, Status
from blogengine.freshness import unwrap

POSTGRES_URL = os.environ.get("BLOGENGINE_TEST_POSTGRES_URL")


@dataclass
class Thread:
    """The comments written so far: id -> (root id, status), in the order written."""

    comments: dict[str, tuple[str, Status]] = field(default_factory=dict)


def add(
    store: SqlCommentStore, post_uid: str, seen: Thread, status: Status, parent: str | None = None
) -> str:
    draft = CommentDraft(
        post_id=post_uid, author="Ada", body=f"comment {len(seen.comments)}", parent_id=parent
    )
    stored = store.add(
        NewComment(draft=draft, status=status, body_html="<p>x</p>", created_at=None)
    )
    root = seen.comments[parent][0] if parent else stored.id
    seen.comments[stored.id] = (root, status)
    return stored.id


def set_status(store: SqlCommentStore, seen: Thread, comment_id: str, status: Status) -> None:
    store.set_status(comment_id, status)
    seen.comments[comment_id] = (seen.comments[comment_id][0], status)


def assert_counts_agree(store: SqlCommentStore, post_uid: str, seen: Thread) -> None:
    approved = {cid for cid, (_, status) in seen.comments.items() if status is Status.APPROVED}
    numbers: dict[str, int | None] = {}
    for cid in seen.comments:
        stored = store.get(cid)
        assert stored is not None, cid
        numbers[cid] = stored.number
    roots = sorted(
        numbers[cid] for cid in approved if seen.comments[cid][0] == cid and numbers[cid]
    )
    with store.engine.connect() as conn:  # not db.session: its SQLite snapshot is older
        kept = conn.scalar(
            select(CommentCounterRow.threads).where(CommentCounterRow.post_id == post_uid)
        )
        counted = conn.scalar(
            select(func.count()).where(
                CommentRow.post_id == post_uid,
                CommentRow.status == Status.APPROVED.value,
                CommentRow.thread_id == CommentRow.id,
            )
        )
    assert kept == counted == len(roots) == store.count_threads(post_uid)
    for cid, number in numbers.items():
        if number is None:
            continue
        root = seen.comments[cid][0]
        shown = cid in approved and root in approved
        expected = roots.index(numbers[root]) if shown else None
        assert store.thread_index(post_uid, number) == expected, (cid, number)


def scenario(app: Flask) -> None:
    with app.app_context():
        post_uid = make_post(title="Busy", slug="busy").uid
    with app.app_context():
        store = unwrap(get_service().store)
        assert isinstance(store, SqlCommentStore)
        seen = Thread()
        steps = []
        first = [add(store, post_uid, seen, Status.APPROVED) for _ in range(4)]
        steps.append("four threads")
        reply = add(store, post_uid, seen, Status.APPROVED, parent=first[1])
        add(store, post_uid, seen, Status.APPROVED, parent=reply)  # a reply to the reply
        steps.append("replies")
        held = [add(store, post_uid, seen, Status.PENDING) for _ in range(2)]
        assert_counts_agree(store, post_uid, seen)
        set_status(store, seen, held[0], Status.APPROVED)  # numbered now: the newest thread
        assert_counts_agree(store, post_uid, seen)
        set_status(store, seen, first[0], Status.SPAM)  # a thread taken down
        assert_counts_agree(store, post_uid, seen)
        set_status(store, seen, reply, Status.SPAM)  # a reply: the thread count stays
        assert_counts_agree(store, post_uid, seen)
        store.delete(first[2])
        del seen.comments[first[2]]
        assert_counts_agree(store, post_uid, seen)
        set_status(store, seen, first[0], Status.APPROVED)  # back, with its old number
        newest = add(store, post_uid, seen, Status.APPROVED)
        assert_counts_agree(store, post_uid, seen)
        set_status(store, seen, newest, Status.PENDING)  # the last number, not shown
        assert_counts_agree(store, post_uid, seen)
        set_status(store, seen, held[1], Status.APPROVED)
        add(store, post_uid, seen, Status.APPROVED, parent=held[1])  # newest number: a reply
        assert_counts_agree(store, post_uid, seen)


def test_the_kept_thread_count_agrees_with_counting_on_sqlite(app: Flask) -> None:
    scenario(app)


@pytest.mark.skipif(not POSTGRES_URL, reason="set BLOGENGINE_TEST_POSTGRES_URL")
def test_the_kept_thread_count_agrees_with_counting_on_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert POSTGRES_URL is not None
    with app_in_postgres_schema(POSTGRES_URL, tmp_path, monkeypatch) as app:
        scenario(app)
