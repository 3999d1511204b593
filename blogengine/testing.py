"""Conformance suites for plugin authors: inherit one and your backend is checked like ours.

A store's tests look like this (pytest is needed, as for any test)::

    from blogengine.testing import StorageContract

    class TestMyStore(StorageContract):
        @pytest.fixture
        def store(self, tmp_path):
            return MyStore(path=tmp_path / "comments")   # fresh and empty for every test

The class's name has no ``Test`` prefix, so pytest collects it only through your subclass.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from .comments.contracts import (
    Action,
    CommentDraft,
    CommentStore,
    NewComment,
    Status,
    StoredComment,
    StoreError,
    Verdict,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def new_comment(
    post_id: str = "post-a",
    *,
    author: str = "Ada",
    body: str = "A comment.",
    status: Status = Status.APPROVED,
    created_at: datetime = T0,
    number: int | None = None,
    submission_key: str | None = None,
    remote_addr: str | None = "203.0.113.9",
    verdicts: tuple[Verdict, ...] = (),
    **draft_fields: str | None,
) -> NewComment:
    """A NewComment with plain defaults; every field can be set."""
    draft = CommentDraft(
        post_id=post_id,
        author=author,
        body=body,
        remote_addr=remote_addr,
        submission_key=submission_key,
        **draft_fields,  # type: ignore[arg-type]
    )
    return NewComment(
        draft=draft,
        status=status,
        body_html=f"<p>{body}</p>",
        created_at=created_at,
        verdicts=verdicts,
        number=number,
    )


def run_in_threads(count: int, work: object) -> list[BaseException]:
    """Run ``work(i)`` on ``count`` threads at once (in the caller's context); the errors."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def target(i: int) -> None:
        try:
            start.wait()
            work(i)  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(target, i))
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


class StorageContract:
    """Every promise of the CommentStore protocol; a subclass gives a fresh ``store`` fixture."""

    @pytest.fixture
    def store(self) -> CommentStore:
        raise NotImplementedError("a StorageContract subclass provides a `store` fixture")

    # -- the protocol itself --------------------------------------------------------------
    def test_keeps_the_protocol(self, store: CommentStore) -> None:
        assert isinstance(store, CommentStore)

    # -- add ------------------------------------------------------------------------------
    def test_add_numbers_each_post_from_one(self, store: CommentStore) -> None:
        a = [store.add(new_comment("post-a", body=f"a{i}")).number for i in range(3)]
        b = [store.add(new_comment("post-b", body=f"b{i}")).number for i in range(2)]
        a.append(store.add(new_comment("post-a", body="a3")).number)
        assert a == [1, 2, 3, 4]
        assert b == [1, 2]

    def test_add_keeps_every_field(self, store: CommentStore) -> None:
        verdicts = (
            Verdict(Action.ACCEPT, "looks fine", "links"),
            Verdict(Action.MODERATE, "filter timed out after 5s", "slow"),
        )
        parent = store.add(new_comment())
        when = datetime(2026, 5, 6, 7, 8, 9, 123000, tzinfo=timezone(timedelta(hours=2)))
        added = store.add(
            new_comment(
                author="Grace Hopper",
                body="Line one\nline «two» <b>",
                status=Status.PENDING,
                created_at=when,
                submission_key="key-1",
                remote_addr="2001:db8::1",
                verdicts=verdicts,
                email="grace@example.com",
                website="https://example.com/~grace",
                parent_id=parent.id,
                user_agent="Mozilla/5.0 (X11)",
            )
        )
        assert added.created_at == when
        assert added.created_at.utcoffset() == timedelta(0), "created_at must be aware UTC"
        for comment in (added, store.get(added.id)):
            assert comment is not None
            assert comment.id and comment.post_id == "post-a" and comment.number == 2
            assert comment.author == "Grace Hopper"
            assert comment.body == "Line one\nline «two» <b>"
            assert comment.body_html == "<p>Line one\nline «two» <b></p>"
            assert comment.status is Status.PENDING
            assert comment.email == "grace@example.com"
            assert comment.website == "https://example.com/~grace"
            assert comment.parent_id == parent.id
            assert comment.remote_addr == "2001:db8::1"
            assert comment.user_agent == "Mozilla/5.0 (X11)"
            assert comment.submission_key == "key-1"
            assert comment.verdicts == verdicts
            assert comment.created_at == when and comment.created_at.tzinfo is not None
            assert comment.created_at.utcoffset() == timedelta(0)

    def test_add_keeps_missing_optional_fields_empty(self, store: CommentStore) -> None:
        added = store.add(new_comment(remote_addr=None))
        got = store.get(added.id)
        assert got == added
        assert (got.email, got.website, got.parent_id, got.remote_addr) == (None,) * 4
        assert (got.user_agent, got.submission_key, got.verdicts) == (None, None, ())

    def test_add_is_idempotent_by_submission_key(self, store: CommentStore) -> None:
        first = store.add(new_comment(submission_key="same", body="first"))
        second = store.add(new_comment(submission_key="same", body="second"))
        assert second == first
        assert [c.body for c in store.list_for_post("post-a", None)] == ["first"]
        assert store.find_by_submission_key("same") == first

    def test_comments_without_key_are_never_merged(self, store: CommentStore) -> None:
        store.add(new_comment(submission_key=None))
        store.add(new_comment(submission_key=None))
        assert store.count_for_posts(["post-a"]) == {"post-a": 2}

    # -- add_many -------------------------------------------------------------------------
    def test_add_many_keeps_explicit_numbers(self, store: CommentStore) -> None:
        kept = store.add_many(
            [new_comment(number=3, body="three"), new_comment(number=7, body="seven")]
        )
        assert [c.number for c in kept] == [3, 7]
        assert store.add(new_comment(body="next")).number == 8
        assert [c.number for c in store.list_for_post("post-a")] == [3, 7, 8]

    def test_add_many_numbers_the_rest_in_order(self, store: CommentStore) -> None:
        kept = store.add_many([new_comment("post-a"), new_comment("post-b"), new_comment()])
        assert [(c.post_id, c.number) for c in kept] == [
            ("post-a", 1),
            ("post-b", 1),
            ("post-a", 2),
        ]

    def test_add_many_is_all_or_nothing(self, store: CommentStore) -> None:
        """A number already used in the post is refused and nothing of the batch is kept."""
        store.add(new_comment("post-a", body="existing"))
        with pytest.raises(StoreError):
            store.add_many(
                [
                    new_comment("post-b", body="would be fine", submission_key="k-b"),
                    new_comment("post-a", body="clashes", number=1),
                ]
            )
        assert store.count_for_posts(["post-a", "post-b"]) == {"post-a": 1, "post-b": 0}
        assert store.find_by_submission_key("k-b") is None
        with pytest.raises(StoreError):
            store.add_many([new_comment("post-c", number=5), new_comment("post-c", number=5)])
        assert store.list_for_post("post-c", None) == []
        # The store still works after a refused batch.
        assert store.add(new_comment("post-b")).number == 1

    def test_add_many_is_idempotent_by_submission_key(self, store: CommentStore) -> None:
        first = store.add(new_comment(submission_key="k1"))
        kept = store.add_many([new_comment(submission_key="k1"), new_comment(submission_key="k2")])
        assert kept[0] == first
        assert [c.number for c in kept] == [1, 2]
        assert store.count_for_posts(["post-a"]) == {"post-a": 2}

    def test_add_many_of_nothing(self, store: CommentStore) -> None:
        assert store.add_many([]) == []

    # -- reading --------------------------------------------------------------------------
    def test_get_unknown_is_none(self, store: CommentStore) -> None:
        assert store.get(uuid.uuid4().hex) is None

    def test_list_for_post_filters_pages_and_orders(self, store: CommentStore) -> None:
        statuses = [Status.APPROVED, Status.PENDING, Status.APPROVED, Status.SPAM]
        statuses += [Status.APPROVED]
        # Times out of order, so number order (not time order) is what is checked.
        for i, status in enumerate(statuses):
            store.add(new_comment(status=status, created_at=T0 - timedelta(minutes=i)))
        store.add(new_comment("post-b"))

        def numbers(comments: list[StoredComment]) -> list[int]:
            return [c.number for c in comments]

        assert numbers(store.list_for_post("post-a")) == [1, 3, 5]
        assert numbers(store.list_for_post("post-a", Status.PENDING)) == [2]
        assert numbers(store.list_for_post("post-a", None)) == [1, 2, 3, 4, 5]
        assert numbers(store.list_for_post("post-a", None, offset=1, limit=2)) == [2, 3]
        assert numbers(store.list_for_post("post-a", None, offset=3)) == [4, 5]
        assert numbers(store.list_for_post("post-a", Status.APPROVED, limit=2)) == [1, 3]
        assert numbers(store.list_for_post("post-a", None, offset=9)) == []
        assert store.list_for_post("no-such-post", None) == []

    def test_count_for_posts(self, store: CommentStore) -> None:
        for post_id, status in [
            ("p1", Status.APPROVED),
            ("p1", Status.APPROVED),
            ("p1", Status.PENDING),
            ("p2", Status.SPAM),
            ("p3", Status.APPROVED),
        ]:
            store.add(new_comment(post_id, status=status))
        ids = ["p1", "p2", "p3", "p4"]
        assert store.count_for_posts(ids) == {"p1": 2, "p2": 0, "p3": 1, "p4": 0}
        assert store.count_for_posts(ids, Status.PENDING) == {"p1": 1, "p2": 0, "p3": 0, "p4": 0}
        assert store.count_for_posts(ids, Status.SPAM)["p2"] == 1
        assert store.count_for_posts([]) == {}

    def test_list_by_status_newest_first(self, store: CommentStore) -> None:
        times = [T0, T0 + timedelta(hours=2), T0 + timedelta(hours=1)]
        for i, when in enumerate(times):
            store.add(
                new_comment(f"post-{i}", body=f"c{i}", status=Status.PENDING, created_at=when)
            )
        store.add(new_comment(body="approved", created_at=T0 + timedelta(hours=9)))
        assert [c.body for c in store.list_by_status(Status.PENDING)] == ["c1", "c2", "c0"]
        assert [c.body for c in store.list_by_status(Status.PENDING, offset=1, limit=1)] == ["c2"]
        assert [c.body for c in store.list_by_status(Status.APPROVED)] == ["approved"]
        assert store.list_by_status(Status.DELETED) == []

    def test_find_by_submission_key(self, store: CommentStore) -> None:
        added = store.add(new_comment(submission_key="abc"))
        assert store.find_by_submission_key("abc") == added
        assert store.find_by_submission_key("other") is None

    def test_count_recent_by_address_and_time(self, store: CommentStore) -> None:
        for minutes, addr, status in [
            (0, "198.51.100.1", Status.APPROVED),
            (10, "198.51.100.1", Status.SPAM),
            (20, "198.51.100.1", Status.PENDING),
            (20, "198.51.100.2", Status.APPROVED),
        ]:
            store.add(
                new_comment(
                    f"p{minutes}",
                    remote_addr=addr,
                    status=status,
                    created_at=T0 + timedelta(minutes=minutes),
                )
            )
        assert store.count_recent("198.51.100.1", T0) == 3
        assert store.count_recent("198.51.100.1", T0 + timedelta(minutes=10)) == 2
        assert store.count_recent("198.51.100.1", T0 + timedelta(minutes=21)) == 0
        assert store.count_recent("198.51.100.2", T0) == 1
        assert store.count_recent("192.0.2.1", T0) == 0

    def test_list_recent_for_post(self, store: CommentStore) -> None:
        store.add(new_comment(body="old", created_at=T0 - timedelta(days=2)))
        store.add(new_comment(body="spam", status=Status.SPAM, created_at=T0))
        store.add(new_comment(body="new", created_at=T0 + timedelta(minutes=1)))
        store.add(new_comment("post-b", body="elsewhere", created_at=T0))
        recent = store.list_recent_for_post("post-a", T0 - timedelta(hours=1))
        assert [c.body for c in recent] == ["spam", "new"]
        assert store.list_recent_for_post("post-a", T0 + timedelta(hours=1)) == []

    # -- changing -------------------------------------------------------------------------
    def test_set_status(self, store: CommentStore) -> None:
        added = store.add(new_comment(status=Status.PENDING))
        changed = store.set_status(added.id, Status.APPROVED)
        assert changed.status is Status.APPROVED
        assert changed == store.get(added.id)
        assert changed.number == added.number and changed.body == added.body
        assert store.list_by_status(Status.PENDING) == []
        assert store.count_for_posts(["post-a"]) == {"post-a": 1}
        store.set_status(added.id, Status.DELETED)
        assert store.list_for_post("post-a") == []
        assert [c.id for c in store.list_for_post("post-a", Status.DELETED)] == [added.id]

    def test_set_status_unknown_is_key_error(self, store: CommentStore) -> None:
        with pytest.raises(KeyError):
            store.set_status(uuid.uuid4().hex, Status.SPAM)

    def test_delete(self, store: CommentStore) -> None:
        keep = store.add(new_comment(body="keep"))
        gone = store.add(new_comment(body="gone", submission_key="gone-key"))
        store.delete(gone.id)
        assert store.get(gone.id) is None
        assert store.find_by_submission_key("gone-key") is None
        assert store.list_for_post("post-a", None) == [keep]
        with pytest.raises(KeyError):
            store.delete(gone.id)

    def test_delete_unknown_is_key_error(self, store: CommentStore) -> None:
        with pytest.raises(KeyError):
            store.delete(uuid.uuid4().hex)

    def test_delete_for_post(self, store: CommentStore) -> None:
        for status in (Status.APPROVED, Status.SPAM, Status.PENDING):
            store.add(new_comment("post-a", status=status))
        other = store.add(new_comment("post-b"))
        assert store.delete_for_post("post-a") == 3
        assert store.list_for_post("post-a", None) == []
        assert store.list_for_post("post-b", None) == [other]
        assert store.delete_for_post("post-a") == 0
        # Re-importing numbers from one again.
        assert store.add(new_comment("post-a")).number == 1

    def test_delete_never_gives_a_number_again(self, store: CommentStore) -> None:
        """An old ``#comment-N`` must not come to point at another comment."""
        added = [store.add(new_comment(body=f"c{i}")) for i in range(3)]
        store.delete(added[-1].id)
        assert store.add(new_comment(body="after")).number == 4
        assert [c.number for c in store.add_many([new_comment(), new_comment()])] == [5, 6]
        for comment in store.list_for_post("post-a", None):
            store.delete(comment.id)
        assert store.add(new_comment(body="alone")).number == 7
        assert store.add(new_comment("post-b")).number == 1

    def test_delete_for_post_numbers_from_one_again(self, store: CommentStore) -> None:
        """A re-import may reset numbering, even when the highest comment was deleted first."""
        added = [store.add(new_comment(body=f"c{i}")) for i in range(3)]
        store.delete(added[-1].id)
        assert store.delete_for_post("post-a") == 2
        assert store.add(new_comment()).number == 1
        for comment in store.list_for_post("post-a", None):
            store.delete(comment.id)
        assert store.delete_for_post("post-a") == 0
        kept = store.add_many([new_comment(number=2), new_comment()])
        assert [c.number for c in kept] == [2, 3]

    # -- many writers ---------------------------------------------------------------------
    def test_concurrent_adds_are_numbered_once_each(self, store: CommentStore) -> None:
        """4 threads x 25 adds on one post: numbers 1..100, each exactly once."""

        def work(i: int) -> None:
            for j in range(25):
                store.add(new_comment(body=f"thread {i} comment {j}"))

        errors = run_in_threads(4, work)
        assert errors == []
        comments = store.list_for_post("post-a", None)
        assert sorted(c.number for c in comments) == list(range(1, 101))
        assert len({c.body for c in comments}) == 100

    def test_concurrent_same_submission_key_keeps_one(self, store: CommentStore) -> None:
        results: list[StoredComment] = []

        def work(i: int) -> None:
            results.append(store.add(new_comment(submission_key="double-click")))

        assert run_in_threads(4, work) == []
        assert len({c.id for c in results}) == 1
        assert store.count_for_posts(["post-a"]) == {"post-a": 1}


class MemoryNonceLedger:
    """A NonceLedger in a dict, for testing CAPTCHA backends without a database."""

    def __init__(self) -> None:
        self.claimed: dict[str, tuple[datetime, str | None]] = {}
        self._lock = threading.Lock()

    def claim(self, nonce: str, expires_at: datetime, holder: str | None = None) -> bool:
        with self._lock:
            earlier = self.claimed.get(nonce)
            if earlier is None:
                self.claimed[nonce] = (expires_at, holder)
                return True
            return bool(holder) and earlier[1] == holder


def plugin_backend(folder: str | Path, slot: str, name: str) -> type:
    """A backend class loaded from a plugins folder the way a site loads it (its register())."""
    from .comments.registry import Registry

    registry = Registry()
    registry.load_plugin_folder(Path(folder))
    return registry.backend_class(slot, name)
