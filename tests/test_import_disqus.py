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
    "  comments: 5 on 2 posts (4 approved, 1 deleted)",
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
    # Only the published take a number (in order); the deleted one would take its own later.
    assert deleted.number is None
    for slug, post in posts.items():
        shown = [c.number for c in comments if c.post_id == post.uid and c.number is not None]
        assert sorted(shown) == list(range(1, len(shown) + 1)), slug
    hello = next(c for c in comments if c.body == "<p>Hello, World.</p>")
    assert hello.body_html == "<p>Hello, World.</p>"
    assert hello.email == "foo@bar.com" and hello.remote_addr == "127.0.0.1"
    again = ok(app, "import", "disqus", ISSO_DISQUS)
    assert again[-1] == "  comments that were added: 0"
    assert len(every_comment(app)) == 5


def test_comments_go_to_an_existing_post_with_the_threads_slug(app: Flask) -> None:
    mine = add_post(app, "My own post", "some-id")
    lines = ok(app, "import", "disqus", ISSO_DISQUS)
    assert "  posts that were attached to an existing post: 1" in lines
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


TWO_THREADS = """<?xml version="1.0"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
<thread dsq:id="1"><link>http://blog.example/posts/hello/</link><title>Hello</title></thread>
<thread dsq:id="2"><link>https://blog.example/posts/hello</link><title>Hello</title></thread>
<post dsq:id="10"><message>on http</message><createdAt>2013-01-01T00:00:00Z</createdAt>
<author><name>A</name></author><thread dsq:id="1"/></post>
<post dsq:id="11"><message>on https</message><createdAt>2013-01-02T00:00:00Z</createdAt>
<author><name>B</name></author><thread dsq:id="2"/><parent dsq:id="10"/></post>
</disqus>
"""


def test_threads_of_one_page_end_on_one_post(app: Flask, tmp_path: Path) -> None:
    """Disqus keeps a page's http and https (or slash) URLs as two threads: one post here.

    A reply across the two threads cannot name its parent (another thread) and is kept at
    the top level, reported.
    """
    path = tmp_path / "two.xml"
    path.write_text(TWO_THREADS)
    for dry in (["--dry-run"], []):
        lines = ok(app, "import", "disqus", *dry, path)
        verb = "would be" if dry else "were"
        assert f"  posts that {verb} imported: 1" in lines
        assert f"  posts that {verb} attached to an existing post: 1" in lines
        assert lines[-1] == f"  comments that {verb} added: 2"
    assert post_count(app) == 1
    assert sorted(c.body for c in every_comment(app)) == ["on http", "on https"]
    assert ok(app, "import", "disqus", path)[-1] == "  comments that were added: 0"
