"""`blogengine import disqus`: threads matched to posts by slug, statuses, replies (even to a
deleted comment), orphans skipped with why, and a second run adding nothing."""

from __future__ import annotations

from pathlib import Path

from archive_support import ISSO_DISQUS, every_comment, ok, post_count, run
from flask import Flask
from sqlalchemy import select
from support import add_post

from blogengine.comments.contracts import Status
from blogengine.extensions import db
from blogengine.models import Post, PostStatus

REPORT = [
    "  posts: 2, pages: 0",
    "  comments: 5 (4 approved, 1 deleted)",
    "  of which pingbacks: 0, trackbacks: 0",
    "  replies: 2 (threads nested up to 2 levels deep)",
    "  skipped: 1 comments whose thread is not in the export: comment 6 (thread 1337)",
]


def test_dry_run_reports_and_changes_nothing(app: Flask) -> None:
    lines = ok(app, "import", "disqus", "--dry-run", ISSO_DISQUS)
    assert lines[1:6] == REPORT
    assert lines[-2:] == ["  posts that would be imported: 2", "  comments that would be added: 5"]
    assert post_count(app) == 0 and every_comment(app) == []


def test_threads_without_a_post_become_drafts_and_replies_keep_parents(app: Flask) -> None:
    lines = ok(app, "import", "disqus", ISSO_DISQUS)
    assert lines[1:6] == REPORT
    with app.app_context():
        posts = {p.slug: p for p in db.session.scalars(select(Post))}
    assert sorted(posts) == ["redacted", "some-id"]  # the thread's id, else its link's path
    assert posts["some-id"].title == "Hello, World!"
    assert {p.status for p in posts.values()} == {PostStatus.DRAFT}
    comments = every_comment(app)
    assert len(comments) == 5
    by_id = {c.id: c for c in comments}
    deleted = next(c for c in comments if c.status is Status.DELETED)
    answers = [c for c in comments if c.parent_id is not None]
    assert sorted(by_id[c.parent_id].author for c in answers) == ["peter", "peter"]
    assert deleted.id in {c.parent_id for c in answers}  # a reply to a deleted comment
    hello = next(c for c in comments if c.body == "<p>Hello, World.</p>")
    assert hello.body_html == "<p>Hello, World.</p>"
    assert hello.email == "foo@bar.com" and hello.remote_addr == "127.0.0.1"
    again = ok(app, "import", "disqus", ISSO_DISQUS)
    assert again[-1] == "  comments that were added: 0"
    assert len(every_comment(app)) == 5


def test_comments_go_to_an_existing_post_with_the_threads_slug(app: Flask) -> None:
    mine = add_post(app, "My own post", "some-id")
    lines = ok(app, "import", "disqus", ISSO_DISQUS)
    assert "  posts that were existing posts given comments: 1" in lines
    assert "  posts that were imported: 1" in lines
    on_mine = [c for c in every_comment(app) if c.post_id == mine.uid]
    assert len(on_mine) == 4
    with app.app_context():
        post = db.session.get(Post, mine.id)
        assert post is not None and post.title == "My own post"  # the post itself untouched
    ok(app, "import", "disqus", ISSO_DISQUS)
    assert len(every_comment(app)) == 5


def test_not_a_disqus_export(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text('<?xml version="1.0"?>\n\n<rss version="2.0"><channel/></rss>')
    result = run(app, "import", "disqus", path)
    assert result.exit_code == 1
    assert f"{path}:3: not a Disqus export: the root element is <rss>" in result.output
