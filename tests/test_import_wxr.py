"""`blogengine import wxr`: counts on the shared exports, fields kept, idempotent, resumable,
never destructive, sanitised, and bad files refused with their line."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from archive_support import (
    CC_LABS,
    ISSO_WXR,
    THEME_TEST,
    depth,
    every_comment,
    ok,
    post_count,
    run,
    shared,
)
from flask import Flask
from sqlalchemy import select
from support import build_app, make_post

from blogengine.archives import wxr
from blogengine.archives.importer import run_import
from blogengine.archives.model import Report
from blogengine.comments import get_service
from blogengine.comments.contracts import CommentKind, Status, StoreError
from blogengine.extensions import db
from blogengine.models import Post, PostStatus

CC_LABS_REPORT = [
    "  posts: 219, pages: 5 (224 published)",
    "  comments: 181 on 80 posts (181 approved)",
    "  of which pingbacks: 62, trackbacks: 0",
    "  replies: 3 (threads nested up to 2 levels deep)",
]


@pytest.fixture(params=["sql", "jsonl"])
def store_app(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """An app on each built-in store: imports go through the store's contract only."""
    config: dict[str, Any] = {}
    if request.param == "jsonl":
        config = {
            "COMMENTS_STORE": "jsonl",
            "COMMENTS_STORE_OPTIONS": {"jsonl": {"path": str(tmp_path / "comments.jsonl")}},
        }
    app = build_app(tmp_path, monkeypatch, **config)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_cc_labs_dry_run_reports_and_changes_nothing(app: Flask) -> None:
    lines = ok(app, "import", "wxr", "--dry-run", shared(CC_LABS))
    assert lines[0].endswith("(dry run: nothing was changed)")
    assert lines[1:5] == CC_LABS_REPORT
    assert "  posts that would be imported: 224" in lines
    assert lines[-1] == "  comments that would be added: 181"
    assert post_count(app) == 0
    assert every_comment(app) == []


def test_cc_labs_import_keeps_everything_on_any_store(store_app: Flask) -> None:
    lines = ok(store_app, "import", "wxr", shared(CC_LABS))
    assert lines[1:5] == CC_LABS_REPORT
    assert lines[-1] == "  comments that were added: 181"
    assert post_count(store_app) == 224
    comments = every_comment(store_app)
    assert len(comments) == 181
    assert Counter(c.kind for c in comments) == {CommentKind.COMMENT: 119, CommentKind.PINGBACK: 62}
    assert {c.status for c in comments} == {Status.APPROVED}
    by_id = {c.id: c for c in comments}
    replies = [c for c in comments if c.parent_id is not None]
    assert len(replies) == 3
    for reply in replies:  # the export's parent ids became the store's ids, in the same post
        assert by_id[reply.parent_id].post_id == reply.post_id
    with store_app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "wplicense-076"))
        assert post is not None
        assert post.title == "wpLicense 0.7.6"
        assert post.status == PostStatus.PUBLISHED
        assert post.published_at == datetime(2007, 4, 11, 12, 47, 43, tzinfo=UTC)
        assert post.author == "nathan"
        assert 'rel="nofollow ugc noopener"' in post.body_html
        first = get_service().store.list_for_post(post.uid, status=None)[0]
    assert (first.number, first.author, first.website) == (1, "Eric", "http://www.spinxpress.com")
    assert first.created_at == datetime(2007, 4, 11, 23, 18, 48, tzinfo=UTC)
    assert first.body.startswith("Great to see this")
    assert first.email is None and first.remote_addr is None  # emptied in this export

    again = ok(store_app, "import", "wxr", CC_LABS)
    assert "  posts that were already imported (missing comments added): 224" in again
    assert again[-1] == "  comments that were added: 0"
    assert post_count(store_app) == 224
    assert every_comment(store_app) == comments


def test_theme_unit_test_threads_statuses_and_kinds(app: Flask) -> None:
    lines = ok(app, "import", "wxr", shared(THEME_TEST))
    assert lines[1:5] == [
        "  posts: 58, pages: 21 (2 draft, 77 published)",
        "  comments: 33 on 7 posts (30 approved, 3 pending)",
        "  of which pingbacks: 2, trackbacks: 2",
        "  replies: 10 (threads nested up to 10 levels deep)",
    ]
    assert any(line.startswith("  skipped: 37 attachments") for line in lines)
    assert any(line.startswith("  skipped: 70 menu items") for line in lines)
    assert any(
        line.startswith("  note: 1 password-protected posts (imported as drafts):")
        for line in lines
    )
    comments = every_comment(app)
    by_id = {c.id: c for c in comments}
    assert len(comments) == 33
    assert len({c.post_id for c in comments}) == 7
    assert sum(c.parent_id is not None for c in comments) == 10
    assert max(depth(c, by_id) for c in comments) == 10
    kinds = Counter(c.kind for c in comments)
    assert (kinds[CommentKind.PINGBACK], kinds[CommentKind.TRACKBACK]) == (2, 2)
    with app.app_context():
        statuses = Counter(db.session.scalars(select(Post.status)))
        assert statuses == {PostStatus.PUBLISHED: 77, PostStatus.DRAFT: 2}
        titles = set(db.session.scalars(select(Post.title)))
        future = db.session.scalars(select(Post).where(Post.published_at > datetime.now(UTC))).all()
    assert "Markup: Title With Markup" in titles  # the markup is not shown as tags
    assert [p.status for p in future] == [PostStatus.PUBLISHED]  # "future": scheduled


def test_isso_fixture_without_dates_types_or_statuses(app: Flask) -> None:
    """The hand-edited WXR 1.0 edge cases: a comment with only its GMT date, email with a
    newline, items with neither post type nor status (read as draft posts)."""
    lines = ok(app, "import", "wxr", ISSO_WXR)
    assert "  comments: 8 on 2 posts (8 approved)" in lines
    assert "  replies: 3 (threads nested up to 3 levels deep)" in lines
    comments = every_comment(app)
    dated = {c.body: c.created_at for c in comments}
    assert dated["Drölfter!"] == datetime(2014, 4, 29, 15, 21, 35, tzinfo=UTC)
    assert {c.email for c in comments if c.author == "Ohai"} == {"test@example.org"}


def test_existing_post_with_the_same_slug_is_left_alone(app: Flask) -> None:
    with app.app_context():
        make_post(title="Mine, not WordPress's", slug="the-cc-tech-blog")
    dry = ok(app, "import", "wxr", "--dry-run", shared(CC_LABS))
    assert "  posts that would be left alone: 1" in dry
    lines = ok(app, "import", "wxr", CC_LABS)
    assert "  posts that were left alone: 1" in lines
    assert any(
        "left alone: line " in line and "'the-cc-tech-blog' exists" in line for line in lines
    )
    assert post_count(app) == 224  # 223 imported + the owner's
    with app.app_context():
        mine = db.session.scalar(select(Post).where(Post.slug == "the-cc-tech-blog"))
        assert mine is not None and mine.title == "Mine, not WordPress's"
        assert get_service().store.list_for_post(mine.uid, status=None) == []


class FailingStore:
    """Passes calls to a real store; ``add_many`` fails after ``allowed`` calls (a crash)."""

    def __init__(self, inner: Any, allowed: int) -> None:
        self.inner, self.allowed = inner, allowed

    def add_many(self, news: Any) -> Any:
        if self.allowed == 0:
            raise StoreError("disk full (simulated)")
        self.allowed -= 1
        return self.inner.add_many(news)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_rerun_finishes_an_interrupted_import(store_app: Flask) -> None:
    source = shared(THEME_TEST)
    with store_app.app_context():
        real = get_service().store

        def read(report: Report) -> Any:
            return wxr.read(source, report)

        with pytest.raises(StoreError):
            run_import(str(source), read, FailingStore(real, allowed=4), dry_run=False)
    partial = every_comment(store_app)
    assert 0 < len(partial) < 33
    lines = ok(store_app, "import", "wxr", source)
    assert lines[-1] == f"  comments that were added: {33 - len(partial)}"
    comments = every_comment(store_app)
    by_id = {c.id: c for c in comments}
    assert len(comments) == 33
    assert max(depth(c, by_id) for c in comments) == 10
    assert post_count(store_app) == 79


def test_the_command_says_how_to_finish_after_a_store_failure(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        store = get_service().store

        def broken(news: Any) -> Any:
            raise StoreError("database went away (simulated)")

        monkeypatch.setattr(store, "add_many", broken)
    result = run(app, "import", "wxr", ISSO_WXR)
    assert result.exit_code == 1
    assert "the comment store failed (database went away (simulated))" in result.output
    assert "run the same command again to finish" in result.output


WXR_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<wp:wxr_version>1.2</wp:wxr_version>
"""

HOSTILE_ITEM = """<item><title>Hostile</title><wp:post_id>7</wp:post_id>
<wp:post_name>hostile</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>
<content:encoded><![CDATA[<p onclick="steal()">Hi<script>alert(1)</script></p>]]></content:encoded>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Eve</wp:comment_author>
<wp:comment_date_gmt>2020-01-02 00:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[<b>bold</b> <a href="javascript:alert(1)">x</a>
<a href="https://example.org" rel="follow">ok</a><img src=x onerror=alert(1)>]]>
</wp:comment_content>
<wp:comment_approved>spam</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>
</wp:comment>
<wp:comment><wp:comment_id>2</wp:comment_id><wp:comment_author>Trash</wp:comment_author>
<wp:comment_date_gmt>2020-01-03 00:00:00</wp:comment_date_gmt>
<wp:comment_content>gone</wp:comment_content>
<wp:comment_approved>post-trashed</wp:comment_approved><wp:comment_parent>1</wp:comment_parent>
</wp:comment>
</item>
"""


def test_old_comment_html_is_sanitised_and_statuses_mapped(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(WXR_HEAD + HOSTILE_ITEM + "</channel></rss>\n")
    ok(app, "import", "wxr", path)
    spam, trashed = every_comment(app)
    assert spam.status is Status.SPAM and trashed.status is Status.DELETED
    assert trashed.parent_id == spam.id
    assert "<b>bold</b>" in spam.body_html
    assert "javascript" not in spam.body_html and "onerror" not in spam.body_html
    assert "<img" not in spam.body_html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">ok</a>' in spam.body_html
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "hostile"))
        assert post is not None
        assert "script" not in post.body_html and "onclick" not in post.body_html


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "not well-formed XML: no element found"),
        ("<html>\n<body/></html>", 1, "not a WXR file: the root element is <html>, not <rss>"),
        ('<?xml version="1.0"?>\n<rss version="2.0">\n<channel/></rss>', 2, "not a WXR file"),
        (
            '<rss xmlns:wp="http://wordpress.org/export/1.9/">\n<channel/></rss>',
            1,
            "unknown WXR version 1.9 (namespace http://wordpress.org/export/1.9/); "
            "this importer reads 1.0, 1.1, 1.2",
        ),
        (
            WXR_HEAD + HOSTILE_ITEM + "<item><title>cut he",
            (WXR_HEAD + HOSTILE_ITEM).count("\n") + 1,  # the last line, where it stops
            "not well-formed XML: no element found",
        ),
        (WXR_HEAD + "<item><title>a</titel></item>", 6, "not well-formed XML: mismatched tag"),
    ],
)
def test_bad_files_name_the_line_and_import_nothing(
    app: Flask, tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(text)
    result = run(app, "import", "wxr", path)
    assert result.exit_code == 1
    assert f"{path}:{line}: {message}" in result.output
    assert "nothing was imported" in result.output
    assert post_count(app) == 0 and every_comment(app) == []


def test_a_bad_item_late_in_the_file_imports_nothing_before_it(app: Flask, tmp_path: Path) -> None:
    """The whole file is read before anything is written."""
    path = tmp_path / "late.xml"
    good = HOSTILE_ITEM * 1
    path.write_text(WXR_HEAD + good + "<item><title>x</title><wp:post_type>post</wp:post_type>")
    result = run(app, "import", "wxr", path)
    assert result.exit_code == 1 and "not well-formed XML: no element found" in result.output
    assert post_count(app) == 0


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&lol9;</title></channel></rss>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&secret;</title></channel></rss>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "external"])
def test_hostile_xml_is_refused(app: Flask, tmp_path: Path, text: str) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(text)
    result = run(app, "import", "wxr", "--dry-run", path)
    assert result.exit_code == 1
    assert f"{path}:2: refused: DTD" in result.output
    assert post_count(app) == 0


def wxr_comment(number: int, approved: str, parent: int = 0) -> str:
    return f"""<wp:comment><wp:comment_id>{number}</wp:comment_id>
<wp:comment_author>Reader {number}</wp:comment_author>
<wp:comment_date_gmt>2020-01-{number:02d} 00:00:00</wp:comment_date_gmt>
<wp:comment_content>Comment {number}</wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent>
</wp:comment>"""


def test_only_published_comments_take_numbers_so_readers_see_no_gaps(
    app: Flask, tmp_path: Path
) -> None:
    """Held, spam and trashed comments are numbered when published, as a reader's are."""
    statuses = ["1", "0", "spam", "1", "trash", "1", "0"]
    comments = "\n".join(wxr_comment(i, s) for i, s in enumerate(statuses, start=1))
    item = HOSTILE_ITEM.split("<wp:comment>", 1)[0].replace("hostile", "mixed")
    path = tmp_path / "mixed.xml"
    path.write_text(WXR_HEAD + item + comments + "</item></channel></rss>\n")
    ok(app, "import", "wxr", path)
    numbers = {c.body: (c.status, c.number) for c in every_comment(app)}
    assert numbers == {
        "Comment 1": (Status.APPROVED, 1),
        "Comment 2": (Status.PENDING, None),
        "Comment 3": (Status.SPAM, None),
        "Comment 4": (Status.APPROVED, 2),
        "Comment 5": (Status.DELETED, None),
        "Comment 6": (Status.APPROVED, 3),
        "Comment 7": (Status.PENDING, None),
    }
    ok(app, "import", "wxr", path)  # a re-run adds nothing, numbered or not
    assert len(every_comment(app)) == len(statuses)
    held = next(c for c in every_comment(app) if c.body == "Comment 2")
    with app.app_context():
        get_service().moderate(held.id, Status.APPROVED)
    approved = {c.body: c.number for c in every_comment(app) if c.status is Status.APPROVED}
    assert approved == {"Comment 1": 1, "Comment 4": 2, "Comment 6": 3, "Comment 2": 4}
