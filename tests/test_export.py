"""`blogengine export`: JSON Lines and WXR 1.2, private fields only on request, and the round
trip export -> import into an empty site -> export giving the same file, for both formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from archive_support import CC_LABS, ok, shared
from flask import Flask
from support import PROJECT, add_post, build_app

from blogengine.comments import get_service
from blogengine.comments.contracts import (
    Action,
    CommentDraft,
    CommentKind,
    NewComment,
    Status,
    Verdict,
)
from blogengine.extensions import db
from blogengine.rendering import comment_html
from blogengine.timeutil import utcnow

SEEDS = sorted((PROJECT / "seeds").glob("*.txt"))
WP = "{http://wordpress.org/export/1.2/}"


def add(app: Flask, post_uid: str, body: str, **fields: object) -> str:
    """A reader's comment with everything a comment can carry; its id."""
    with app.app_context():
        draft = CommentDraft(
            post_id=post_uid,
            author=str(fields.get("author", "Reader")),
            body=body,
            email="reader@example.org",
            website="https://reader.example.org/",
            remote_addr="203.0.113.7",
            user_agent="Mozilla/5.0",
            submission_key=f"key-{body}",
            parent_id=fields.get("parent_id"),  # type: ignore[arg-type]
            kind=fields.get("kind", CommentKind.COMMENT),  # type: ignore[arg-type]
        )
        stored = get_service().store.add(
            NewComment(
                draft=draft,
                status=fields.get("status", Status.APPROVED),  # type: ignore[arg-type]
                body_html=comment_html(body),
                created_at=utcnow() - timedelta(minutes=5),
                verdicts=(Verdict(Action.MODERATE, "2 links", "links"),),
            )
        )
        return stored.id


@pytest.fixture
def site(app: Flask) -> Flask:
    """The seeded site, a post of the owner's with a thread of readers' comments on it."""
    ok(app, "seed", *SEEDS)
    post = add_post(app, "Readers talk", "readers-talk")
    first = add(app, post.uid, "First, with a link https://example.org/x?a=1&b='2'")
    reply = add(app, post.uid, "A reply <b>not bold</b>", parent_id=first, status=Status.PENDING)
    add(app, post.uid, "A reply to the reply", parent_id=reply, status=Status.SPAM)
    add(app, post.uid, "Linked", kind=CommentKind.PINGBACK, status=Status.DELETED)
    return app


@pytest.fixture
def empty_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    (tmp_path / "empty").mkdir()
    app = build_app(tmp_path / "empty", monkeypatch)
    yield app
    with app.app_context():
        db.engine.dispose()


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_jsonl_export_holds_every_post_and_comment(site: Flask, tmp_path: Path) -> None:
    path = tmp_path / "site.jsonl"
    (line,) = ok(site, "export", path)
    assert line == f"exported 2 posts and 15 comments to {path} (jsonl)"
    header, *rest = records(path)
    assert header == {"format": "blogengine-export", "version": 1}
    posts = [r for r in rest if r["type"] == "post"]
    comments = [r for r in rest if r["type"] == "comment"]
    assert [p["slug"] for p in posts] == sorted(p["slug"] for p in posts)
    talk = [c for c in comments if c["body"].startswith(("First", "A reply", "Linked"))]
    # Only the published comment has a number (numbers are given on publish); the others are
    # named "h1", "h2"... in the export, and a parent is named by its ref.
    assert [(c["ref"], c["number"], c["parent"], c["status"], c["kind"]) for c in talk] == [
        ("1", 1, None, "approved", "comment"),
        ("h1", None, "1", "pending", "comment"),
        ("h2", None, "h1", "spam", "comment"),
        ("h3", None, None, "deleted", "pingback"),
    ]
    assert talk[0]["verdicts"] == [{"action": "moderate", "reason": "2 links", "source": "links"}]
    assert talk[0]["created_at"].endswith("+00:00")
    for comment in comments:  # no reader's address without --include-private
        assert not {"email", "remote_addr", "user_agent"} & comment.keys()
    assert "reader@example.org" not in path.read_text()


def test_private_fields_only_with_include_private(site: Flask, tmp_path: Path) -> None:
    jsonl, wxr = tmp_path / "all.jsonl", tmp_path / "all.xml"
    ok(site, "export", "--include-private", jsonl)
    ok(site, "export", "--format", "wxr", "--include-private", wxr)
    talk = [r for r in records(jsonl) if r.get("author") == "Reader"]
    assert {(r["email"], r["remote_addr"], r["user_agent"]) for r in talk} == {
        ("reader@example.org", "203.0.113.7", "Mozilla/5.0")
    }
    assert "reader@example.org" in wxr.read_text() and "203.0.113.7" in wxr.read_text()
    ok(site, "export", "--format", "wxr", wxr)
    assert "reader@example.org" not in wxr.read_text()
    assert "203.0.113.7" not in wxr.read_text()


def test_wxr_export_is_wxr_1_2(site: Flask, tmp_path: Path) -> None:
    """What WordPress's importer reads: version, items with post fields and comments."""
    path = tmp_path / "site.xml"
    ok(site, "export", "--format", "wxr", path)
    channel = ElementTree.parse(path).getroot().find("channel")
    assert channel is not None
    assert channel.findtext(WP + "wxr_version") == "1.2"
    items = channel.findall("item")
    assert len(items) == 2
    talk = next(i for i in items if i.findtext(WP + "post_name") == "readers-talk")
    assert talk.findtext(WP + "post_type") == "post"
    assert talk.findtext(WP + "status") == "publish"
    comments = talk.findall(WP + "comment")
    ids = [c.findtext(WP + "comment_id") for c in comments]
    assert [c.findtext(WP + "comment_parent") for c in comments] == ["0", ids[0], ids[1], "0"]
    assert [c.findtext(WP + "comment_approved") for c in comments] == ["1", "0", "spam", "trash"]
    assert [c.findtext(WP + "comment_type") for c in comments] == ["", "", "", "pingback"]


@pytest.mark.parametrize("fmt", ["jsonl", "wxr"])
def test_round_trip_gives_the_same_file(
    site: Flask, empty_site: Flask, tmp_path: Path, fmt: str
) -> None:
    """The seeded site plus the CC Labs import: export, import into an empty site, export."""
    ok(site, "import", "wxr", shared(CC_LABS))
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    ok(site, "export", "--format", fmt, "--include-private", first)
    lines = ok(empty_site, "import", fmt, first)
    assert lines[-1] == "  comments that were added: 196"
    ok(empty_site, "export", "--format", fmt, "--include-private", second)
    assert second.read_bytes() == first.read_bytes()
    again = ok(empty_site, "import", fmt, first)  # and into a site that has it: nothing
    assert again[-1] == "  comments that were added: 0"


def test_import_jsonl_refuses_a_bad_line_and_imports_nothing(
    site: Flask, empty_site: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "site.jsonl"
    ok(site, "export", path)
    lines = path.read_text().splitlines()
    lines[3] = lines[3][:-5]  # a torn record
    path.write_text("\n".join(lines) + "\n")
    result = empty_site.test_cli_runner().invoke(args=["import", "jsonl", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4: not JSON" in result.output and "nothing was imported" in result.output
    assert ok(empty_site, "posts", "list") == ["No posts."]
