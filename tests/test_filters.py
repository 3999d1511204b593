"""The built-in spam filters: honeypot, links, duplicate and blocklist."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from support import make_config

from blogengine import create_app
from blogengine.comments.builtin.filter_blocklist import Blocklist, BlocklistFilter
from blogengine.comments.builtin.filter_duplicate import DuplicateFilter
from blogengine.comments.builtin.filter_honeypot import HoneypotFilter
from blogengine.comments.builtin.filter_links import LinksFilter, count_links
from blogengine.comments.contracts import (
    Action,
    CommentDraft,
    FilterContext,
    FormFieldsProvider,
    PostRef,
    SpamFilter,
    Status,
)
from blogengine.comments.registry import COMMENT_STORES
from blogengine.config import PROJECT_ROOT
from blogengine.testing import T0, SpamFilterContract, new_comment, plugin_backend


@pytest.fixture
def ctx(tmp_path: Path) -> FilterContext:
    jsonl = plugin_backend(PROJECT_ROOT / "plugins", COMMENT_STORES, "jsonl")
    store = jsonl(path=tmp_path / "comments.jsonl")
    return FilterContext(now=T0, post=PostRef("post-a", "A post"), store=store)


def draft(body: str = "A fine comment.", **fields: object) -> CommentDraft:
    return CommentDraft(post_id="post-a", author="Ada", body=body, **fields)  # type: ignore[arg-type]


def test_builtins_keep_the_protocol(tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text("")
    for spam_filter in (
        HoneypotFilter(),
        LinksFilter(),
        DuplicateFilter(),
        BlocklistFilter(path=str(tmp_path / "list.txt")),
    ):
        assert isinstance(spam_filter, SpamFilter)


class TestHoneypot(SpamFilterContract):
    @pytest.fixture
    def spam_filter(self) -> HoneypotFilter:
        return HoneypotFilter()

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft:
        return draft(fields={"homepage_url": "http://spam.example"})

    def test_empty_field_has_no_opinion(self, ctx: FilterContext) -> None:
        assert HoneypotFilter().check(draft(fields={"homepage_url": "  "}), ctx) is None
        assert HoneypotFilter().check(draft(), ctx) is None

    def test_filled_field_is_spam(self, ctx: FilterContext) -> None:
        verdict = HoneypotFilter(field="hp").check(draft(fields={"hp": "http://x"}), ctx)
        assert verdict is not None and verdict.action is Action.SPAM
        assert "'hp'" in verdict.reason and verdict.source == "honeypot"

    def test_adds_its_field_to_the_form(self) -> None:
        honeypot = HoneypotFilter(field="hp")
        assert isinstance(honeypot, FormFieldsProvider)
        html = honeypot.form_fields()
        assert 'name="hp"' in html and 'tabindex="-1"' in html and "aria-hidden" in html


class TestLinks(SpamFilterContract):
    @pytest.fixture
    def spam_filter(self) -> LinksFilter:
        return LinksFilter()

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft:
        return draft("http://a.example http://b.example http://c.example")

    @pytest.mark.parametrize(
        ("text", "count"),
        [
            ("no links here", 0),
            ("see http://www.example.com/page", 1),
            ('<a href="https://a.example">a</a>', 1),
            ("www.a.example, https://b.example/x and http://c.example", 3),
            ("[url=http://a.example]a[/url] [url]http://b.example[/url]", 2),
            ("write to me@www.example.com", 0),
        ],
    )
    def test_counts_each_link_once(self, text: str, count: int) -> None:
        assert count_links(text) == count

    def test_more_than_max_links_is_moderated(self, ctx: FilterContext) -> None:
        links = LinksFilter(max_links=2)
        assert links.check(draft("http://a.example http://b.example"), ctx) is None
        verdict = links.check(draft("http://a.example http://b.example www.c.example"), ctx)
        assert verdict is not None and verdict.action is Action.MODERATE
        assert verdict.reason == "3 links (more than 2) in the comment"

    def test_negative_max_links_fails_at_start_up(self) -> None:
        with pytest.raises(ValueError):
            LinksFilter(max_links=-1)


LONG = "Great post! I tried the second recipe last night and it worked for all of us."


class TestDuplicate(SpamFilterContract):
    @pytest.fixture
    def spam_filter(self) -> DuplicateFilter:
        return DuplicateFilter()

    @pytest.fixture
    def filter_ctx(self, ctx: FilterContext) -> FilterContext:
        return ctx

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft:
        filter_ctx.store.add(new_comment(body=LONG, created_at=T0))
        return draft(LONG)

    def test_same_text_from_another_address_is_held(self, ctx: FilterContext) -> None:
        ctx.store.add(new_comment(body=LONG.upper(), created_at=T0 - timedelta(hours=1)))
        spaced = LONG.replace(" ", "  ").replace("!", " !!") + "\n"
        for address in ("198.51.100.1", None):
            verdict = DuplicateFilter().check(draft(spaced, remote_addr=address), ctx)
            assert verdict is not None and verdict.action is Action.MODERATE
            assert verdict.reason == "same text as comment 1 on this post"

    def test_same_text_from_the_same_address_is_spam(self, ctx: FilterContext) -> None:
        ctx.store.add(new_comment(body="other", remote_addr="192.0.2.1", created_at=T0))
        ctx.store.add(new_comment(body=LONG, remote_addr="198.51.100.9", created_at=T0))
        ctx.store.add(new_comment(body=LONG, remote_addr="192.0.2.1", created_at=T0))
        verdict = DuplicateFilter().check(draft(LONG, remote_addr="192.0.2.1"), ctx)
        assert verdict is not None and verdict.action is Action.SPAM
        assert verdict.reason == "same text as comment 3 on this post, from the same address"

    def test_other_text_or_other_post_is_fine(self, ctx: FilterContext) -> None:
        ctx.store.add(new_comment(body=LONG, created_at=T0))
        ctx.store.add(new_comment("post-b", body=LONG + " Elsewhere.", created_at=T0))
        assert DuplicateFilter().check(draft(LONG + " And more."), ctx) is None
        assert DuplicateFilter().check(draft(LONG + " Elsewhere."), ctx) is None

    def test_outside_the_window_is_fine(self, ctx: FilterContext) -> None:
        ctx.store.add(new_comment(body=LONG, created_at=T0 - timedelta(hours=2)))
        assert DuplicateFilter(window=3600).check(draft(LONG), ctx) is None
        assert DuplicateFilter(window=3 * 3600).check(draft(LONG), ctx) is not None

    def test_retry_with_same_submission_key_is_not_a_duplicate(self, ctx: FilterContext) -> None:
        ctx.store.add(new_comment(body=LONG, submission_key="form-1", created_at=T0))
        assert DuplicateFilter().check(draft(LONG, submission_key="form-1"), ctx) is None
        other = DuplicateFilter().check(draft(LONG, submission_key="form-2"), ctx)
        assert other is not None and other.action is Action.MODERATE

    def test_deleted_comments_are_ignored(self, ctx: FilterContext) -> None:
        soft = ctx.store.add(new_comment(body=LONG, created_at=T0))
        ctx.store.set_status(soft.id, Status.DELETED)
        assert DuplicateFilter().check(draft(LONG), ctx) is None
        other = LONG + " Other words."
        hard = ctx.store.add(new_comment(body=other, created_at=T0))
        ctx.store.delete(hard.id)
        assert DuplicateFilter().check(draft(other), ctx) is None

    @pytest.mark.parametrize("cheer", ["so catchy", "+1 +1", "Great post!", "First!!"])
    def test_short_common_texts_from_others_are_not_duplicates(
        self, ctx: FilterContext, cheer: str
    ) -> None:
        for i in range(3):
            ctx.store.add(new_comment(body=cheer, remote_addr=f"198.51.100.{i}", created_at=T0))
        assert DuplicateFilter().check(draft(cheer, remote_addr="192.0.2.1"), ctx) is None
        assert DuplicateFilter().check(draft(cheer), ctx) is None  # no address known

    def test_short_text_again_from_the_same_address_is_a_duplicate(
        self, ctx: FilterContext
    ) -> None:
        ctx.store.add(new_comment(body="So catchy", remote_addr="192.0.2.1", created_at=T0))
        verdict = DuplicateFilter().check(draft("so catchy!", remote_addr="192.0.2.1"), ctx)
        assert verdict is not None and verdict.action is Action.SPAM
        assert verdict.reason == "same text as comment 1 on this post, from the same address"

    def test_what_is_short_is_an_option(self, ctx: FilterContext) -> None:
        ctx.store.add(new_comment(body="so catchy", remote_addr="198.51.100.1", created_at=T0))
        strict = DuplicateFilter(short_words=0)
        assert strict.check(draft("So catchy", remote_addr="192.0.2.1"), ctx) is not None

    def test_text_without_words_is_never_a_duplicate(self, ctx: FilterContext) -> None:
        ctx.store.add(new_comment(body="!!!", remote_addr="192.0.2.1", created_at=T0))
        assert DuplicateFilter().check(draft("!!!", remote_addr="192.0.2.1"), ctx) is None

    def test_reads_only_the_matching_comments(self, ctx: FilterContext) -> None:
        """One fingerprint lookup: the post's other comments are never read."""
        for i in range(50):
            ctx.store.add(new_comment(body=f"{LONG} number {i}", created_at=T0))
        calls: list[str] = []
        real = ctx.store.find_by_fingerprint

        def spy(*args: object) -> list:  # type: ignore[type-arg]
            found = real(*args)  # type: ignore[arg-type]
            calls.append(f"{len(found)} found")
            return found

        watched = replace(ctx, store=_Spying(ctx.store, spy))
        assert DuplicateFilter().check(draft(f"{LONG} number 7"), watched) is not None
        assert calls == ["1 found"]


class _Spying:
    """A store whose ``find_by_fingerprint`` is watched and whose scans fail the test."""

    def __init__(self, store: object, spy: object) -> None:
        self._store, self.find_by_fingerprint = store, spy

    def list_recent_for_post(self, *args: object) -> None:
        raise AssertionError("the duplicate filter scanned the post's comments")

    def list_for_post(self, *args: object) -> None:
        raise AssertionError("the duplicate filter scanned the post's comments")


BLOCKLIST = """\
# spam we have seen
ip:203.0.113.
ip:2001:DB8:
email:bad@example.com
email:@spam.example
cheap pills
Casino
"""


class TestBlocklist(SpamFilterContract):
    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        path = tmp_path / "blocklist.txt"
        path.write_text(BLOCKLIST)
        return path

    @pytest.fixture
    def spam_filter(self, path: Path) -> BlocklistFilter:
        return BlocklistFilter(path=str(path))

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft:
        return draft("Buy cheap pills here")

    @pytest.mark.parametrize(
        ("fields", "entry"),
        [
            ({"remote_addr": "203.0.113.77"}, "ip:203.0.113."),
            ({"remote_addr": "2001:db8::5"}, "ip:2001:db8:"),
            ({"email": "Bad@Example.com"}, "email:bad@example.com"),
            ({"email": "x@spam.example"}, "email:@spam.example"),
            ({"email": "x@mail.spam.example"}, "email:@spam.example"),
            ({"body": "Buy CHEAP   pills now"}, "cheap pills"),
            ({"author": "casino king"}, "Casino"),
            ({"website": "http://best-casino.example"}, "Casino"),
        ],
    )
    def test_matches_are_spam_with_the_entry(
        self, path: Path, ctx: FilterContext, fields: dict[str, str], entry: str
    ) -> None:
        verdict = BlocklistFilter(path=str(path)).check(replace(draft(), **fields), ctx)
        assert verdict is not None and verdict.action is Action.SPAM
        assert verdict.reason == f"matched blocklist entry {entry!r}"
        assert verdict.source == "blocklist"

    @pytest.mark.parametrize(
        "fields",
        [
            {"remote_addr": "203.0.114.1"},
            {"remote_addr": "10.203.0.113"},
            {"email": "good@example.com"},
            {"email": "x@notspam.example"},
            {"body": "casinos and pills, but not cheap ones"},
            {"body": "# spam we have seen"},
        ],
    )
    def test_non_matches_have_no_opinion(
        self, path: Path, ctx: FilterContext, fields: dict[str, str]
    ) -> None:
        assert BlocklistFilter(path=str(path)).check(replace(draft(), **fields), ctx) is None

    def test_reloads_when_the_file_changes(self, path: Path, ctx: FilterContext) -> None:
        blocklist = BlocklistFilter(path=str(path))
        assert blocklist.check(draft("a lovely widget"), ctx) is None
        path.write_text(BLOCKLIST + "widget\n")
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        verdict = blocklist.check(draft("a lovely widget"), ctx)
        assert verdict is not None and "widget" in verdict.reason

    def test_file_vanishing_keeps_the_last_list(self, path: Path, ctx: FilterContext) -> None:
        blocklist = BlocklistFilter(path=str(path))
        path.unlink()
        assert blocklist.check(draft("cheap pills"), ctx) is not None

    def test_relative_path_is_in_the_instance_folder_the_host_gives(
        self, tmp_path: Path, ctx: FilterContext
    ) -> None:
        (tmp_path / "inst").mkdir()
        (tmp_path / "inst" / "words.txt").write_text("forbidden\n")
        blocklist = BlocklistFilter(path="words.txt", instance_path=tmp_path / "inst")
        assert blocklist.path == tmp_path / "inst" / "words.txt"
        assert blocklist.check(draft("a forbidden word"), ctx) is not None

    def test_missing_file_stops_start_up_clearly(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("BLOGENGINE_INSTANCE_PATH", str(tmp_path / "instance"))
        config = make_config(tmp_path, COMMENTS_SPAM_FILTERS=["blocklist"])
        with pytest.raises(Exception, match=r"blocklist file .*blocklist\.txt cannot be read"):
            create_app(config)

    def test_configured_in_the_app(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "instance").mkdir()
        (tmp_path / "instance" / "blocklist.txt").write_text("ip:198.51.100.\n")
        monkeypatch.setenv("BLOGENGINE_INSTANCE_PATH", str(tmp_path / "instance"))
        app: Flask = create_app(make_config(tmp_path, COMMENTS_SPAM_FILTERS=["blocklist"]))
        from blogengine.comments import get_service

        [(name, spam_filter)] = get_service(app).chain.filters
        assert name == "blocklist" and isinstance(spam_filter, BlocklistFilter)

    def test_parse_ignores_comments_and_blanks(self) -> None:
        parsed = Blocklist.parse("# only a comment\n\n   \nword\n")
        assert [entry for entry, _ in parsed.phrases] == ["word"]
        assert parsed.ip_prefixes == () and not parsed.emails and parsed.domains == ()
