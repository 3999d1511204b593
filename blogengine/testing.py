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
import copy
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .comments.contracts import (
    Action,
    CaptchaBackend,
    CaptchaContext,
    CommentDraft,
    CommentKind,
    CommentStore,
    FilterContext,
    FormFieldsProvider,
    LearningSpamFilter,
    NewComment,
    PostRef,
    Role,
    SpamFilter,
    Status,
    StoredComment,
    StoreError,
    Verdict,
    text_fingerprint,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def new_comment(
    post_id: str = "post-a",
    *,
    author: str = "Ada",
    body: str = "A comment.",
    status: Status = Status.APPROVED,
    created_at: datetime | None = T0,
    number: int | None = None,
    submission_key: str | None = None,
    remote_addr: str | None = "203.0.113.9",
    verdicts: tuple[Verdict, ...] = (),
    kind: CommentKind = CommentKind.COMMENT,
    role: Role | None = None,
    **draft_fields: str | None,
) -> NewComment:
    """A NewComment with plain defaults; every field can be set."""
    draft = CommentDraft(
        post_id=post_id,
        author=author,
        body=body,
        remote_addr=remote_addr,
        submission_key=submission_key,
        kind=kind,
        role=role,
        **draft_fields,  # type: ignore[arg-type]  # a test names only str | None fields
    )
    return NewComment(
        draft=draft,
        status=status,
        body_html=f"<p>{body}</p>",
        created_at=created_at,
        verdicts=verdicts,
        number=number,
    )


def run_in_threads(count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run ``work(i)`` on ``count`` threads at once (in the caller's context); the errors."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def target(i: int) -> None:
        try:
            start.wait()
            work(i)
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
                status=Status.APPROVED,
                role=Role.OWNER,
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
            assert comment.status is Status.APPROVED
            assert comment.role is Role.OWNER
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
        assert got.kind is CommentKind.COMMENT
        assert got.role is None

    def test_add_many_keeps_kind_and_parent(self, store: CommentStore) -> None:
        """Imports bring pingbacks and threads: each comment's kind and parent come back."""
        parent = store.add(new_comment(body="the question"))
        kept = store.add_many(
            [
                new_comment(body="an answer", parent_id=parent.id, number=5),
                new_comment(body="linked from", kind=CommentKind.PINGBACK),
                new_comment("post-b", body="tracked", kind=CommentKind.TRACKBACK),
            ]
        )
        assert [(c.kind, c.parent_id) for c in kept] == [
            (CommentKind.COMMENT, parent.id),
            (CommentKind.PINGBACK, None),
            (CommentKind.TRACKBACK, None),
        ]
        assert [(c.kind, c.parent_id) for c in store.list_for_post("post-a")] == [
            (CommentKind.COMMENT, None),
            (CommentKind.COMMENT, parent.id),
            (CommentKind.PINGBACK, None),
        ]
        for comment in kept:
            assert store.get(comment.id) == comment
        changed = store.set_status(kept[1].id, Status.SPAM)
        assert changed.kind is CommentKind.PINGBACK

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

        def numbers(comments: list[StoredComment]) -> list[int | None]:
            return [c.number for c in comments]

        def statuses_of(comments: list[StoredComment]) -> list[Status]:
            return [c.status for c in comments]

        # Numbers are given on publish: the held and the spam comment have none.
        assert numbers(store.list_for_post("post-a")) == [1, 2, 3]
        assert numbers(store.list_for_post("post-a", Status.PENDING)) == [None]
        every = store.list_for_post("post-a", None)
        assert numbers(every) == [1, 2, 3, None, None], "numbered, then the rest by time"
        assert statuses_of(every)[3:] == [Status.SPAM, Status.PENDING]
        assert numbers(store.list_for_post("post-a", None, offset=1, limit=2)) == [2, 3]
        assert statuses_of(store.list_for_post("post-a", None, offset=3)) == [
            Status.SPAM,
            Status.PENDING,
        ]
        assert numbers(store.list_for_post("post-a", Status.APPROVED, limit=2)) == [1, 2]
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
        store.add(new_comment("p3", kind=CommentKind.PINGBACK))
        store.add(new_comment("p3", kind=CommentKind.TRACKBACK, status=Status.SPAM))
        assert store.count_for_posts(["p1", "p3"]) == {"p1": 2, "p3": 2}
        assert store.count_for_posts(["p1", "p3"], kinds=[CommentKind.COMMENT]) == {
            "p1": 2,
            "p3": 1,
        }
        pings = [CommentKind.PINGBACK, CommentKind.TRACKBACK]
        assert store.count_for_posts(["p3"], Status.SPAM, kinds=pings) == {"p3": 1}

    def test_count_for_posts_follows_moderation_and_deletion(self, store: CommentStore) -> None:
        held = store.add(new_comment("p1", body="held", status=Status.PENDING))
        shown = store.add(new_comment("p1", body="shown"))
        assert store.count_for_posts(["p1"]) == {"p1": 1}
        store.set_status(held.id, Status.APPROVED)
        assert store.count_for_posts(["p1"]) == {"p1": 2}
        store.set_status(held.id, Status.APPROVED)  # again: no change
        store.set_status(shown.id, Status.SPAM)
        assert store.count_for_posts(["p1"]) == {"p1": 1}
        store.delete(held.id)
        store.delete(shown.id)
        assert store.count_for_posts(["p1"]) == {"p1": 0}
        store.add(new_comment("p1", body="after"))
        store.delete_for_post("p1")
        assert store.count_for_posts(["p1"]) == {"p1": 0}

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
        assert [c.body for c in recent] == ["new", "spam"], "numbered first, then the rest"
        assert store.list_recent_for_post("post-a", T0 + timedelta(hours=1)) == []

    def test_find_by_fingerprint(self, store: CommentStore) -> None:
        """Equal texts (but for case, spacing, punctuation) of one post, since a time."""
        old = store.add(new_comment(body="So catchy!", created_at=T0 - timedelta(days=2)))
        spam = store.add(new_comment(body="so  CATCHY", status=Status.SPAM, created_at=T0))
        store.add(new_comment(body="So catchy, really", created_at=T0))
        store.add(new_comment("post-b", body="So catchy!", created_at=T0))
        later = store.add(new_comment(body="so catchy...", created_at=T0 + timedelta(minutes=1)))
        print_ = text_fingerprint("So catchy")
        assert print_ == text_fingerprint(" so\tcatchy !") != text_fingerprint("so catchy 2")
        found = store.find_by_fingerprint("post-a", print_, T0 - timedelta(hours=1))
        assert [c.id for c in found] == [spam.id, later.id]
        assert found[0] == spam
        everything = store.find_by_fingerprint("post-a", print_, T0 - timedelta(days=3))
        assert [c.id for c in everything] == [old.id, spam.id, later.id]
        assert store.find_by_fingerprint("post-c", print_, T0 - timedelta(days=3)) == []
        store.set_status(spam.id, Status.DELETED)
        found = store.find_by_fingerprint("post-a", print_, T0 - timedelta(hours=1))
        assert [c.status for c in found] == [Status.DELETED, Status.APPROVED]
        store.delete(later.id)
        assert [c.id for c in store.find_by_fingerprint("post-a", print_, T0)] == [spam.id]

    def test_count_by_status(self, store: CommentStore) -> None:
        assert store.count_by_status() == dict.fromkeys(Status, 0)
        for status in (Status.PENDING, Status.PENDING, Status.SPAM, Status.APPROVED):
            store.add(new_comment(status=status))
        assert store.count_by_status() == {
            Status.APPROVED: 1,
            Status.PENDING: 2,
            Status.SPAM: 1,
            Status.DELETED: 0,
        }

    def test_search_by_text_author_email_or_address(self, store: CommentStore) -> None:
        plans = [
            ("Ada", "Cheap PILLS here 100%_off", Status.SPAM, "198.51.100.7", None),
            ("Grace Hopper", "A kind word about pills.", Status.PENDING, "203.0.113.5", None),
            ("Linus", "Nothing to see", Status.APPROVED, "2001:db8::77", "linus@example.org"),
        ]
        for minutes, (author, body, status, addr, email) in enumerate(plans):
            store.add(
                new_comment(
                    author=author,
                    body=body,
                    status=status,
                    remote_addr=addr,
                    email=email,
                    created_at=T0 + timedelta(minutes=minutes),
                )
            )

        def authors(comments: list[StoredComment]) -> list[str]:
            return [c.author for c in comments]

        assert authors(store.search("pills")) == ["Grace Hopper", "Ada"]  # newest first
        assert authors(store.search("PILLS", Status.SPAM)) == ["Ada"]
        assert authors(store.search("hopper")) == ["Grace Hopper"]
        assert authors(store.search("203.0.113")) == ["Grace Hopper"]
        assert authors(store.search("db8::77")) == ["Linus"]
        assert authors(store.search("@example.org")) == ["Linus"]
        # LIKE wildcards are plain characters in a query.
        assert authors(store.search("100%_off")) == ["Ada"]
        assert authors(store.search("%")) == ["Ada"]
        assert authors(store.search("_")) == ["Ada"]
        assert authors(store.search("")) == ["Linus", "Grace Hopper", "Ada"]
        assert authors(store.search("", offset=1, limit=1)) == ["Grace Hopper"]
        assert authors(store.search("", Status.APPROVED)) == ["Linus"]
        assert store.search("no such words") == []

    def test_find_by_id_prefix(self, store: CommentStore) -> None:
        added = [store.add(new_comment(body=f"c{i}")) for i in range(3)]
        one = added[0]
        assert store.find_by_id_prefix(one.id) == [one]
        found = store.find_by_id_prefix(one.id[:12])
        assert one in found and all(c.id.startswith(one.id[:12]) for c in found)
        assert len(store.find_by_id_prefix("", limit=5)) == 0
        assert len(store.find_by_id_prefix(one.id[:1], limit=1)) == 1
        assert store.find_by_id_prefix("zz-not-an-id") == []
        assert store.find_by_id_prefix("%") == []

    # -- changing -------------------------------------------------------------------------
    def test_set_status(self, store: CommentStore) -> None:
        added = store.add(new_comment(status=Status.PENDING))
        assert added.number is None, "a held comment has no number yet"
        changed = store.set_status(added.id, Status.APPROVED)
        assert changed.status is Status.APPROVED
        assert changed == store.get(added.id)
        assert changed.number == 1 and changed.body == added.body
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

    # -- numbers on publish, unknown times -----------------------------------------------
    def test_numbers_are_given_on_publish_without_gaps(self, store: CommentStore) -> None:
        """Held and spam comments get no number; approving one gives the next, for good."""
        first = store.add(new_comment(body="first"))
        spam = store.add(new_comment(body="spam", status=Status.SPAM))
        held = store.add(new_comment(body="held", status=Status.PENDING))
        second = store.add(new_comment(body="second"))
        assert (first.number, spam.number, held.number, second.number) == (1, None, None, 2)
        assert store.set_status(held.id, Status.APPROVED).number == 3
        assert store.set_status(held.id, Status.SPAM).number == 3, "a number stays given"
        assert store.set_status(held.id, Status.APPROVED).number == 3
        assert store.add(new_comment(body="third")).number == 4
        kept_spam = store.get(spam.id)
        assert kept_spam is not None and kept_spam.number is None
        store.delete(second.id)
        assert store.set_status(spam.id, Status.APPROVED).number == 5, "never reused"
        assert store.get_by_number("post-a", 5) == store.get(spam.id)

    def test_add_many_numbers_only_the_published(self, store: CommentStore) -> None:
        kept = store.add_many(
            [new_comment(), new_comment(status=Status.SPAM), new_comment(number=7)]
        )
        assert [c.number for c in kept] == [1, None, 7]
        assert store.add(new_comment()).number == 8

    def test_unknown_time_stays_unknown(self, store: CommentStore) -> None:
        """An archive without times: None is kept, never recent, last in the queue."""
        timeless = store.add(new_comment(body="archived", created_at=None, status=Status.PENDING))
        dated = store.add(new_comment(body="dated", status=Status.PENDING))
        assert timeless.created_at is None
        assert store.get(timeless.id) == timeless
        assert [c.body for c in store.list_by_status(Status.PENDING)] == ["dated", "archived"]
        assert store.count_recent("203.0.113.9", T0 - timedelta(days=1)) == 1
        assert store.list_recent_for_post("post-a", T0 - timedelta(days=1)) == [dated]
        kept = store.add_many([new_comment(body="imported", created_at=None, number=3)])
        assert kept[0].created_at is None and kept[0].number == 3

    # -- lookups ----------------------------------------------------------------------------
    def test_get_many_and_get_by_number(self, store: CommentStore) -> None:
        a = store.add(new_comment(body="a"))
        b = store.add(new_comment("post-b", body="b"))
        held = store.add(new_comment(body="held", status=Status.PENDING))
        assert store.get_many([a.id, b.id, uuid.uuid4().hex]) == {a.id: a, b.id: b}
        assert store.get_many([]) == {}
        assert store.get_by_number("post-a", 1) == a
        assert store.get_by_number("post-b", 1) == b
        assert store.get_by_number("post-a", 2) is None
        store.set_status(held.id, Status.DELETED)
        assert store.get_by_number("post-a", 2) is None, "never approved: never numbered"
        store.set_status(a.id, Status.DELETED)
        deleted = store.get_by_number("post-a", 1)
        assert deleted is not None and deleted.status is Status.DELETED, "any status"

    # -- threads ----------------------------------------------------------------------------
    def _thread_fixture(self, store: CommentStore) -> dict[str, StoredComment]:
        """Three threads: t1 with a reply chain 3 deep, t2 alone, t3 with one reply."""
        c: dict[str, StoredComment] = {}
        c["t1"] = store.add(new_comment(body="t1"))
        c["t2"] = store.add(new_comment(body="t2"))
        c["r1"] = store.add(new_comment(body="r1", parent_id=c["t1"].id))
        c["t3"] = store.add(new_comment(body="t3"))
        c["r2"] = store.add(new_comment(body="r2", parent_id=c["r1"].id))
        c["r3"] = store.add(new_comment(body="r3", parent_id=c["t3"].id))
        c["r4"] = store.add(new_comment(body="r4", parent_id=c["r2"].id))
        return c

    def test_list_threads_pages_whole_threads(self, store: CommentStore) -> None:
        c = self._thread_fixture(store)
        store.add(new_comment("post-b", body="elsewhere"))

        def bodies(comments: list[StoredComment]) -> list[str]:
            return [x.body for x in comments]

        assert store.count_threads("post-a") == 3
        assert bodies(store.list_threads("post-a")) == ["t1", "t2", "r1", "t3", "r2", "r3", "r4"]
        assert bodies(store.list_threads("post-a", 0, 1)) == ["t1", "r1", "r2", "r4"]
        assert bodies(store.list_threads("post-a", 1, 1)) == ["t2"]
        assert bodies(store.list_threads("post-a", 1, 5)) == ["t2", "t3", "r3"]
        assert store.list_threads("post-a", 3, 1) == []
        assert [store.thread_index("post-a", c[k].number or 0) for k in c] == [
            0,
            1,
            0,
            2,
            0,
            2,
            0,
        ]
        assert store.thread_index("post-a", 99) is None
        assert store.count_threads("post-b") == 1 and store.count_threads("none") == 0

    def test_a_thread_index_given_when_stored_is_the_stores_own(self, store: CommentStore) -> None:
        """``StoredComment.thread_index`` from ``add`` (optional) says what ``thread_index``
        says: the redirect after a comment POST trusts it for the comment's page."""
        top = store.add(new_comment(body="first"))
        reply = store.add(new_comment(body="reply", parent_id=top.id))
        held = store.add(new_comment(body="held", status=Status.PENDING))
        later = [store.add(new_comment(body=body)) for body in ("second", "third")]
        for comment in (top, reply, *later):
            if comment.thread_index is not None:
                assert comment.thread_index == store.thread_index("post-a", comment.number or 0)
        assert held.thread_index is None, "a held comment is on no page"

    def test_threads_show_only_the_published(self, store: CommentStore) -> None:
        c = self._thread_fixture(store)
        store.add(new_comment(body="held reply", parent_id=c["t2"].id, status=Status.PENDING))
        store.set_status(c["r2"].id, Status.SPAM)
        assert [x.body for x in store.list_threads("post-a", 0, 1)] == ["t1", "r1", "r4"]
        assert store.thread_index("post-a", c["r2"].number or 0) is None
        store.set_status(c["t1"].id, Status.DELETED)  # the whole thread goes from the pages
        assert store.count_threads("post-a") == 2
        assert [x.body for x in store.list_threads("post-a", 0, 1)] == ["t2"]
        assert store.thread_index("post-a", c["r1"].number or 0) is None
        assert store.thread_index("post-a", c["t3"].number or 0) == 1

    def test_a_reply_held_then_published_joins_its_thread(self, store: CommentStore) -> None:
        c = self._thread_fixture(store)
        held = store.add(new_comment(body="late", parent_id=c["t2"].id, status=Status.PENDING))
        published = store.set_status(held.id, Status.APPROVED)
        assert published.number == 8
        assert [x.body for x in store.list_threads("post-a", 1, 1)] == ["t2", "late"]
        assert store.thread_index("post-a", 8) == 1

    def test_a_parent_elsewhere_starts_a_thread(self, store: CommentStore) -> None:
        """A reply to another post's (or an unknown) comment is a thread of its own."""
        other = store.add(new_comment("post-b", body="other post"))
        stray = store.add(new_comment(body="stray", parent_id=other.id))
        lost = store.add(new_comment(body="lost", parent_id=uuid.uuid4().hex))
        assert store.count_threads("post-a") == 2
        assert [x.body for x in store.list_threads("post-a")] == ["stray", "lost"]
        assert stray.parent_id == other.id, "the parent given is kept as given"
        assert store.thread_index("post-a", lost.number or 0) == 1

    def test_add_many_keeps_replies_to_earlier_comments_of_the_batch(
        self, store: CommentStore
    ) -> None:
        top = store.add(new_comment(body="top"))
        reply, second = store.add_many(
            [new_comment(body="reply", parent_id=top.id), new_comment(body="second")]
        )
        reply_to_reply = store.add_many([new_comment(body="deeper", parent_id=reply.id)])[0]
        assert store.count_threads("post-a") == 2
        assert [x.body for x in store.list_threads("post-a", 0, 1)] == ["top", "reply", "deeper"]
        assert second.parent_id is None and reply_to_reply.parent_id == reply.id

    # -- many writers ---------------------------------------------------------------------
    def test_concurrent_adds_are_numbered_once_each(self, store: CommentStore) -> None:
        """4 threads x 25 adds on one post: numbers 1..100, each exactly once."""

        def work(i: int) -> None:
            for j in range(25):
                store.add(new_comment(body=f"thread {i} comment {j}"))

        errors = run_in_threads(4, work)
        assert errors == []
        comments = store.list_for_post("post-a", None)
        assert sorted(c.number or 0 for c in comments) == list(range(1, 101))
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


# -- CAPTCHA backends -----------------------------------------------------------------------

#: Names the comment form itself uses; a backend's inputs must never take one of them.
FORM_FIELD_NAMES = frozenset(
    {"author", "email", "website", "body", "csrf_token", "submission_key", "parent_id"}
)
_NAMED_INPUT = re.compile(r"<(?:input|select|textarea|button)\b[^>]*\bname=\"([^\"]*)\"", re.I)
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
_INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.I)


#: Each contract's Hypothesis test runs once per subclass, with the subclass's fixtures.
_HEALTH_CHECKS = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.differing_executors,
]


def readable_reason(reason: str) -> bool:
    """A sentence a reader understands: capitalised, a few words, ends like a sentence.

    A provider's error code ("invalid-input-response") or an exception's text is not one.
    """
    text = reason.strip()
    return (
        len(text.split()) >= 4
        and text[:1].isupper()
        and text[-1:] in ".!?)"
        and "Traceback" not in text
    )


def assert_refused_in_words(verdict: Verdict) -> None:
    """The answer was refused, with a reason the reader can act on."""
    assert isinstance(verdict, Verdict)
    assert verdict.action is not Action.ACCEPT, f"accepted: {verdict}"
    assert readable_reason(verdict.reason), f"not a sentence a reader understands: {verdict}"


def captcha_context(**overrides: Any) -> CaptchaContext:
    """A CaptchaContext for backend tests: clock at T0, an in-memory ledger, a form key."""
    values: dict[str, Any] = {
        "now": T0,
        "secret_key": "contract-derived-key-0123456789abcdef",
        "ledger": MemoryNonceLedger(),
        "remote_addr": "203.0.113.5",
        "submission_key": "form-1",
    }
    values.update(overrides)
    return CaptchaContext(**values)


class CaptchaContract:
    """Every promise of the CaptchaBackend protocol, for a backend's test class to inherit.

    A subclass gives a ``captcha`` fixture (the backend, fresh for each test) and overrides
    ``answer(html, ctx)``: the fields a person's browser sends for that rendered challenge.
    Class attributes say which promises the backend makes; the suite checks each one made.
    Tests that run only for some backends are skipped, not passed, for the others.
    """

    #: False for a backend that accepts everything (``none``).
    refuses: ClassVar[bool] = True
    #: True when a right answer is good for one comment only (a double click excepted).
    single_use: ClassVar[bool] = True
    #: True when the challenge is signed with ``ctx.secret_key`` (another site's fails).
    signed: ClassVar[bool] = True
    #: True when each render() holds a new challenge (False when a provider's script makes it).
    challenge_in_page: ClassVar[bool] = True
    #: Seconds a challenge stays good (as the ``captcha`` fixture configures it), or None.
    expires_after: ClassVar[int | None] = None

    @pytest.fixture
    def captcha(self) -> CaptchaBackend:
        raise NotImplementedError("a CaptchaContract subclass provides a `captcha` fixture")

    @pytest.fixture
    def ctx(self) -> CaptchaContext:
        return captcha_context()

    def answer(self, html: str, ctx: CaptchaContext) -> dict[str, str]:
        """The form fields a person sends after answering the challenge in ``html``."""
        raise NotImplementedError("a CaptchaContract subclass says how a person answers")

    def wrong_answer(self, right: dict[str, str]) -> dict[str, str]:
        """Fields with a wrong answer (default: the answer field changed, tokens kept)."""
        answer_keys = [k for k in right if "answer" in k or "response" in k] or list(right)
        return {k: (v + "9x" if k in answer_keys else v) for k, v in right.items()}

    def secrets(self, ctx: CaptchaContext) -> list[str]:
        """Strings that must never appear in the page (keys, the expected answer's key)."""
        return [ctx.secret_key]

    def _skip_unless(self, promise: bool, why: str) -> None:
        if not promise:
            pytest.skip(f"{type(self).__name__}: {why}")

    # -- the protocol and the page -------------------------------------------------------
    def test_keeps_the_protocol(self, captcha: CaptchaBackend) -> None:
        assert isinstance(captcha, CaptchaBackend)

    def test_render_names_its_inputs_captcha(
        self, captcha: CaptchaBackend, ctx: CaptchaContext
    ) -> None:
        """Inputs named ``captcha_*`` (a provider's widget may add its own by script)."""
        html = str(captcha.render(ctx))
        for name in _NAMED_INPUT.findall(html):
            assert name.startswith("captcha_"), f"input {name!r} is not named captcha_*"
            assert name not in FORM_FIELD_NAMES

    def test_render_keeps_the_csp(self, captcha: CaptchaBackend, ctx: CaptchaContext) -> None:
        """No inline script, style or event handler: the site's CSP forbids them."""
        html = str(captcha.render(ctx))
        assert not _INLINE_SCRIPT.search(html), "inline <script> (use a src)"
        assert not _INLINE_STYLE.search(html), "inline style or on* handler"

    def test_no_secret_in_the_page(self, captcha: CaptchaBackend, ctx: CaptchaContext) -> None:
        html = str(captcha.render(ctx))
        for secret in self.secrets(ctx):
            assert secret and secret not in html

    # -- answers -------------------------------------------------------------------------
    def test_right_answer_is_accepted(self, captcha: CaptchaBackend, ctx: CaptchaContext) -> None:
        verdict = captcha.verify(self.answer(str(captcha.render(ctx)), ctx), ctx)
        assert isinstance(verdict, Verdict)
        assert verdict.action is Action.ACCEPT, verdict
        assert verdict.source and verdict.reason

    def test_missing_answer_is_refused_in_words(
        self, captcha: CaptchaBackend, ctx: CaptchaContext
    ) -> None:
        self._skip_unless(self.refuses, "accepts everything")
        captcha.render(ctx)
        for fields in ({}, {"captcha_answer": ""}):
            verdict = captcha.verify(fields, ctx)
            assert_refused_in_words(verdict)

    def test_wrong_answer_is_refused_in_words(
        self, captcha: CaptchaBackend, ctx: CaptchaContext
    ) -> None:
        self._skip_unless(self.refuses, "accepts everything")
        right = self.answer(str(captcha.render(ctx)), ctx)
        verdict = captcha.verify(self.wrong_answer(right), ctx)
        assert_refused_in_words(verdict)

    def test_each_page_gets_a_new_challenge(
        self, captcha: CaptchaBackend, ctx: CaptchaContext
    ) -> None:
        self._skip_unless(
            self.single_use and self.challenge_in_page, "its page holds no challenge of its own"
        )
        assert str(captcha.render(ctx)) != str(captcha.render(ctx))

    def test_tampered_answer_is_refused(self, captcha: CaptchaBackend, ctx: CaptchaContext) -> None:
        self._skip_unless(self.signed, "nothing it renders is signed")
        right = self.answer(str(captcha.render(ctx)), ctx)
        for key, value in right.items():
            if len(value) < 16:
                continue
            middle = len(value) // 2
            flipped = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
            verdict = captcha.verify({**right, key: flipped}, replace(ctx, submission_key=key))
            assert_refused_in_words(verdict)

    def test_another_sites_challenge_is_refused(
        self, captcha: CaptchaBackend, ctx: CaptchaContext
    ) -> None:
        self._skip_unless(self.signed, "nothing it renders is signed")
        elsewhere = replace(ctx, secret_key="another-site-" + ctx.secret_key)
        fields = self.answer(str(captcha.render(elsewhere)), elsewhere)
        verdict = captcha.verify(fields, ctx)
        assert_refused_in_words(verdict)

    def test_expired_challenge_is_refused_in_words(
        self, captcha: CaptchaBackend, ctx: CaptchaContext
    ) -> None:
        self._skip_unless(self.expires_after is not None, "its challenges do not expire")
        assert self.expires_after is not None
        fields = self.answer(str(captcha.render(ctx)), ctx)
        late = replace(ctx, now=ctx.now + timedelta(seconds=self.expires_after + 1))
        verdict = captcha.verify(fields, late)
        assert verdict.action is not Action.ACCEPT
        assert readable_reason(verdict.reason) and "expired" in verdict.reason.lower()
        fresh = self.answer(str(captcha.render(ctx)), ctx)
        in_time = replace(ctx, now=ctx.now + timedelta(seconds=self.expires_after - 1))
        assert captcha.verify(fresh, in_time).action is Action.ACCEPT

    def test_replayed_answer_is_refused_in_words(
        self, captcha: CaptchaBackend, ctx: CaptchaContext
    ) -> None:
        self._skip_unless(self.single_use, "an answer is good for any number of comments")
        fields = self.answer(str(captcha.render(ctx)), ctx)
        assert captcha.verify(fields, ctx).action is Action.ACCEPT
        for other in (replace(ctx, submission_key="form-2"), replace(ctx, submission_key=None)):
            again = captcha.verify(fields, other)
            assert_refused_in_words(again)

    def test_double_click_is_not_a_replay(
        self, captcha: CaptchaBackend, ctx: CaptchaContext
    ) -> None:
        """The same form sent twice (same submission key, same answer) passes both times."""
        fields = self.answer(str(captcha.render(ctx)), ctx)
        first, second = captcha.verify(fields, ctx), captcha.verify(fields, ctx)
        assert (first.action, second.action) == (Action.ACCEPT, Action.ACCEPT)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=_HEALTH_CHECKS,
    )
    @given(
        fields=st.dictionaries(
            st.sampled_from(
                ["captcha_answer", "captcha_token", "captcha_altcha", "captcha_response", "x"]
            ),
            st.text(max_size=300),
        )
    )
    def test_hostile_fields_are_refused_never_raise(
        self, captcha: CaptchaBackend, ctx: CaptchaContext, fields: dict[str, str]
    ) -> None:
        verdict = captcha.verify(fields, ctx)
        assert isinstance(verdict, Verdict) and isinstance(verdict.action, Action)
        if self.refuses:
            assert verdict.action is not Action.ACCEPT, fields


# -- spam filters ---------------------------------------------------------------------------


class _NoStore:
    """The default FilterContext's store: a filter that reads the store needs ``filter_ctx``."""

    def __getattr__(self, name: str) -> Any:
        raise StoreError(
            f"store.{name}: this filter reads the store; give the test class a `filter_ctx` "
            "fixture with a store (e.g. your site's, or plugins/jsonl_store.py's)"
        )


def spam_draft(body: str = "A fine comment.", **fields: Any) -> CommentDraft:
    """A CommentDraft for filter tests (post ``post-a``, author Ada)."""
    values: dict[str, Any] = {"post_id": "post-a", "author": "Ada", "body": body}
    values.update(fields)
    return CommentDraft(**values)


HOSTILE_TEXTS = (
    "",
    " \n\t ",
    "x" * 100_000,
    "word " * 20_000,
    "日本語のコメント 🎉👍🏽 عربى ‏rtl‏ ze\u200bro\u200dwidth",
    "e\u0301\u0301\u0301 combining, \ufeffBOM, \U0001f600 astral",
    "<script>alert(1)</script> [url=http://x.example]x[/url] http://a.example/" * 50,
    "\ud7ff\ue000\uffff",
)


class SpamFilterContract:
    """Every promise of the SpamFilter protocol, for a filter's test class to inherit.

    A subclass gives a ``spam_filter`` fixture; a filter that reads the store also gives a
    ``filter_ctx`` fixture (a FilterContext with a fresh store). ``spam_example`` may return
    a draft the filter must not accept (it may add earlier comments to ``filter_ctx.store``).
    """

    @pytest.fixture
    def spam_filter(self) -> SpamFilter:
        raise NotImplementedError("a SpamFilterContract subclass provides a `spam_filter`")

    @pytest.fixture
    def filter_ctx(self) -> FilterContext:
        return FilterContext(now=T0, post=PostRef("post-a", "A post"), store=_NoStore())

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft | None:
        """A draft this filter must hold or mark as spam; None if it has no such case."""
        return None

    def _check(self, spam_filter: SpamFilter, draft: CommentDraft, ctx: FilterContext) -> None:
        """Run check() and assert the result keeps the contract."""
        before = copy.deepcopy(draft)
        verdict = spam_filter.check(draft, ctx)
        assert draft == before, "check() changed the draft"
        assert verdict is None or isinstance(verdict, Verdict), verdict
        if verdict is not None:
            assert isinstance(verdict.action, Action)
            assert isinstance(verdict.reason, str) and verdict.reason.strip()
            assert isinstance(verdict.source, str) and verdict.source.strip()

    def test_keeps_the_protocol(self, spam_filter: SpamFilter) -> None:
        assert isinstance(spam_filter, SpamFilter)

    def test_says_inline_with_a_plain_bool_if_at_all(self, spam_filter: SpamFilter) -> None:
        """``inline = True``: run on the request's thread (writing-a-plugin.md); anything
        else truthy (a string "no", say) would be ignored, so it is refused here."""
        flag = getattr(spam_filter, "inline", False)
        assert isinstance(flag, bool), f"inline must be True or False, not {flag!r}"

    def test_plain_comment_gives_a_verdict_or_none(
        self, spam_filter: SpamFilter, filter_ctx: FilterContext
    ) -> None:
        self._check(spam_filter, spam_draft(fields={"homepage_url": ""}), filter_ctx)

    @pytest.mark.parametrize("body", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
    def test_empty_huge_and_unicode_text(
        self, spam_filter: SpamFilter, filter_ctx: FilterContext, body: str
    ) -> None:
        draft = spam_draft(
            body, author=body[:100] or "?", website=f"https://example.com/{body[:50]}"
        )
        self._check(spam_filter, draft, filter_ctx)

    def test_never_changes_the_draft_or_its_fields(
        self, spam_filter: SpamFilter, filter_ctx: FilterContext
    ) -> None:
        fields = {"homepage_url": "", "captcha_answer": "7", "body": "A fine comment."}
        draft = spam_draft(email="ada@example.com", remote_addr="198.51.100.7", fields=fields)
        self._check(spam_filter, draft, filter_ctx)
        assert fields == {"homepage_url": "", "captcha_answer": "7", "body": "A fine comment."}

    def test_spam_example_is_not_accepted(
        self, spam_filter: SpamFilter, filter_ctx: FilterContext
    ) -> None:
        example = self.spam_example(filter_ctx)
        if example is None:
            pytest.skip(f"{type(self).__name__} gives no spam_example")
        self._check(spam_filter, example, filter_ctx)
        verdict = spam_filter.check(example, filter_ctx)
        assert verdict is not None and verdict.action is not Action.ACCEPT

    def test_learning_never_raises(
        self, spam_filter: SpamFilter, filter_ctx: FilterContext
    ) -> None:
        if not isinstance(spam_filter, LearningSpamFilter):
            pytest.skip("not a LearningSpamFilter")
        for i, body in enumerate(("Buy cheap pills at http://x.example", "Lovely post", "")):
            stored = StoredComment(
                id=f"c{i}",
                post_id="post-a",
                number=i + 1,
                author="Ada",
                body=body,
                body_html=f"<p>{body}</p>",
                created_at=T0,
                status=Status.SPAM if i == 0 else Status.APPROVED,
            )
            spam_filter.learn(stored, i == 0)
        self._check(spam_filter, spam_draft("Lovely post"), filter_ctx)

    def test_form_fields_keep_the_form(self, spam_filter: SpamFilter) -> None:
        if not isinstance(spam_filter, FormFieldsProvider):
            pytest.skip("adds no form fields")
        html = str(spam_filter.form_fields())
        assert not _INLINE_SCRIPT.search(html), "inline <script>"
        for name in _NAMED_INPUT.findall(html):
            assert name not in FORM_FIELD_NAMES and not name.startswith("captcha_"), name

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=_HEALTH_CHECKS,
    )
    @given(body=st.text(max_size=2000), author=st.text(min_size=1, max_size=100))
    def test_any_text_gives_a_verdict_or_none(
        self, spam_filter: SpamFilter, filter_ctx: FilterContext, body: str, author: str
    ) -> None:
        self._check(spam_filter, spam_draft(body, author=author), filter_ctx)
