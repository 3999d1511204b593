"""The owner's commands, run through Flask's CLI runner (and once through the console script)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import support
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from support import make_post

from blogengine.comments import get_service
from blogengine.comments.contracts import (
    Action,
    Status,
    StoredComment,
    Verdict,
)
from blogengine.extensions import db
from blogengine.models import Post, User

LEARNER_PLUGIN = """
class Learner:
    \"\"\"Remembers what the moderator decided, as a learning filter would.\"\"\"

    def __init__(self):
        self.learned = []

    def check(self, draft, ctx):
        return None

    def learn(self, comment, is_spam):
        self.learned.append((comment.id, is_spam))


def register(registry):
    registry.register_spam_filter("learner", Learner)
"""


def with_learner(tmp_path: Path) -> dict[str, Any]:
    """Config for a site whose chain ends with the `learner` plugin (in tmp_path/plugins)."""
    plugins = tmp_path / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "learner.py").write_text(LEARNER_PLUGIN)
    return {
        "PLUGINS_FOLDER": str(plugins),
        "COMMENTS_SPAM_FILTERS": ["honeypot", "links", "learner"],
    }


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return with_learner(tmp_path)


def invoke(runner: FlaskCliRunner, *args: str, **kwargs: Any) -> Any:
    """Run a command; the result, whatever its exit code (tests check it)."""
    return runner.invoke(args=list(args), **kwargs)


def ok(runner: FlaskCliRunner, *args: str, **kwargs: Any) -> str:
    result = invoke(runner, *args, **kwargs)
    assert result.exit_code == 0, result.output
    return result.output


def rows(output: str) -> list[dict[str, str]]:
    """A table's rows cut at the header's column starts, which also checks the alignment."""
    lines = output.splitlines()
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
    names = [header[s:e].strip() for s, e in zip(starts, [*starts[1:], None], strict=True)]
    table = []
    for line in lines[1:]:
        if not line.strip():
            break
        for start in starts[1:]:
            assert line[start - 2 : start] == "  ", f"column not aligned at {start}: {line!r}"
        cells = [line[s:e].strip() for s, e in zip(starts, [*starts[1:], None], strict=True)]
        table.append(dict(zip(names, cells, strict=True)))
    return table


def add_comment(
    app: Flask,
    post_uid: str,
    body: str = "A comment.",
    *,
    status: Status = Status.PENDING,
    minutes_ago: int = 0,
    **fields: Any,
) -> StoredComment:
    """Pending by default: the moderation queue is what these commands work on."""
    created_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return support.add_comment(app, post_uid, body, status=status, created_at=created_at, **fields)


def stored(app: Flask, comment_id: str) -> StoredComment | None:
    with app.app_context():
        return get_service().store.get(comment_id)


def learned(app: Flask) -> list[tuple[str, bool]]:
    with app.app_context():
        return dict(get_service().chain.filters)["learner"].learned  # type: ignore[attr-defined]


# -- blogengine plugins ------------------------------------------------------------------
def test_plugins_lists_every_backend_its_origin_and_whether_active(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    output = ok(runner, "plugins")
    table = {(r["SLOT"], r["NAME"]): r for r in rows(output)}
    assert table["captcha", "fixed"]["ACTIVE"] == "yes"
    assert table["captcha", "math"]["ACTIVE"] == "no"
    assert table["captcha", "none"]["ORIGIN"] == "built-in"
    assert table["spam filter", "honeypot"]["ACTIVE"] == "yes, #1"
    assert table["spam filter", "links"]["ACTIVE"] == "yes, #2"
    assert table["spam filter", "learner"]["ACTIVE"] == "yes, #3"
    assert table["spam filter", "duplicate"]["ACTIVE"] == "no"
    assert table["spam filter", "learner"]["ORIGIN"] == (
        f"plugin file {tmp_path / 'plugins' / 'learner.py'}"
    )
    assert table["store", "sql"] == {
        "SLOT": "store",
        "NAME": "sql",
        "ACTIVE": "yes",
        "ORIGIN": "built-in",
    }
    slots = [r["SLOT"] for r in rows(output)]
    assert slots == sorted(slots, key=["captcha", "spam filter", "store"].index)
    assert "spam-filter chain, in order: honeypot -> links -> learner" in output


# -- blogengine comments list ------------------------------------------------------------
def test_comments_list_shows_each_comment_with_its_verdict_trail(
    app: Flask, runner: FlaskCliRunner, post: Any
) -> None:
    long_body = "Word " * 30
    held = add_comment(
        app,
        post.uid,
        body=long_body,
        author="Grace",
        verdicts=(
            Verdict(Action.MODERATE, "3 links (more than 2) in the comment", "links"),
            Verdict(Action.ACCEPT, "looks fine", "learner"),
        ),
    )
    [row] = rows(ok(runner, "comments", "list"))
    assert row["ID"] == held.id
    assert row["POST"] == post.slug
    assert row["#"] == "-", "a held comment has no number until it is published"
    assert row["AUTHOR"] == "Grace"
    assert row["STATUS"] == "pending"
    assert row["TIME (UTC)"] == held.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    assert row["TEXT"] == long_body.strip()[:59] + "…"
    assert len(row["TEXT"]) == 60
    assert row["VERDICTS"] == ("links: 3 links (more than 2) in the comment; learner: looks fine")


def test_comments_list_of_a_comment_posted_through_the_form(
    app: Flask, runner: FlaskCliRunner, post: Any, poster: Any
) -> None:
    body = "See http://a.example http://b.example http://c.example"
    assert poster.post(post.slug, body=body).status_code == 303
    [row] = rows(ok(runner, "comments", "list", "--status", "pending"))
    assert row["TEXT"] == body
    assert row["VERDICTS"] == "links: 3 links (more than 2) in the comment"


def test_comments_list_filters_by_status_post_and_limit(
    app: Flask, runner: FlaskCliRunner, post: Any
) -> None:
    with app.app_context():
        other_uid = make_post(title="Another", slug="another").uid
    old = add_comment(
        app, post.uid, body="old and approved", status=Status.APPROVED, minutes_ago=30
    )
    new = add_comment(app, post.uid, body="new and pending", minutes_ago=1)
    spam = add_comment(app, other_uid, body="buy things", status=Status.SPAM, minutes_ago=10)

    everything = rows(ok(runner, "comments", "list"))
    assert [r["ID"] for r in everything] == [new.id, spam.id, old.id]  # newest first
    assert [r["ID"] for r in rows(ok(runner, "comments", "list", "--status", "spam"))] == [spam.id]
    for_post = rows(ok(runner, "comments", "list", "--post", post.slug))
    assert [r["ID"] for r in for_post] == [old.id, new.id]  # number order, then the held
    assert [r["#"] for r in for_post] == ["1", "-"]
    assert [r["ID"] for r in rows(ok(runner, "comments", "list", "--limit", "1"))] == [new.id]
    approved_here = rows(
        ok(runner, "comments", "list", "--post", post.slug, "--status", "approved")
    )
    assert [r["ID"] for r in approved_here] == [old.id]
    assert ok(runner, "comments", "list", "--status", "deleted").strip() == "No comments."


def test_comments_list_rejects_an_unknown_post_and_status(
    runner: FlaskCliRunner, post: Any
) -> None:
    result = invoke(runner, "comments", "list", "--post", "no-such-post")
    assert result.exit_code != 0
    assert "no post with slug 'no-such-post'" in result.output
    result = invoke(runner, "comments", "list", "--status", "published")
    assert result.exit_code == 2
    assert "'published' is not one of" in result.output


def test_comments_list_does_not_pass_terminal_escapes_through(
    app: Flask, runner: FlaskCliRunner, post: Any
) -> None:
    add_comment(app, post.uid, body="red\x1b[31m text\nnext line", author="Eve\x1b]0;pwned\x07")
    output = ok(runner, "comments", "list")
    assert "\x1b" not in output
    assert "\x07" not in output
    [row] = rows(output)
    assert row["AUTHOR"] == "Eve?]0;pwned?"
    assert row["TEXT"] == "red?[31m text next line"


# -- blogengine comments approve / spam / delete -------------------------------------------
def test_approve_publishes_and_the_learning_filter_learns(
    app: Flask, runner: FlaskCliRunner, post: Any
) -> None:
    first, second = add_comment(app, post.uid), add_comment(app, post.uid)
    output = ok(runner, "comments", "approve", first.id, second.id)
    assert f"approved: {first.id} ({post.slug} #1 by Ada)" in output
    assert stored(app, first.id).status is Status.APPROVED  # type: ignore[union-attr]
    assert stored(app, second.id).status is Status.APPROVED  # type: ignore[union-attr]
    assert learned(app) == [(first.id, False), (second.id, False)]
    page = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "A comment." in page


def test_spam_marks_it_and_the_learning_filter_learns(
    app: Flask, runner: FlaskCliRunner, post: Any
) -> None:
    comment = add_comment(app, post.uid, status=Status.APPROVED)
    ok(runner, "comments", "spam", comment.id)
    assert stored(app, comment.id).status is Status.SPAM  # type: ignore[union-attr]
    assert learned(app) == [(comment.id, True)]


def test_delete_hides_and_purge_removes(app: Flask, runner: FlaskCliRunner, post: Any) -> None:
    hidden, purged = add_comment(app, post.uid), add_comment(app, post.uid)
    assert "moved to trash:" in ok(runner, "comments", "delete", hidden.id)
    assert stored(app, hidden.id).status is Status.DELETED  # type: ignore[union-attr]
    assert "deleted for good:" in ok(runner, "comments", "delete", "--purge", purged.id)
    assert stored(app, purged.id) is None
    assert learned(app) == [], "deleting is not a lesson about spam"


@pytest.mark.parametrize(
    ("command", "purge"), [("approve", False), ("spam", False), ("delete", False), ("delete", True)]
)
def test_an_unknown_id_fails_and_changes_nothing(
    app: Flask, runner: FlaskCliRunner, post: Any, command: str, purge: bool
) -> None:
    real = add_comment(app, post.uid)
    args = ["comments", command, *(["--purge"] if purge else []), real.id, "nope123"]
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert "no comment with id nope123; nothing was changed" in result.output
    after = stored(app, real.id)
    assert after is not None
    assert after.status is Status.PENDING


def test_not_spam_publishes_and_teaches_restore_takes_out_of_the_trash(
    app: Flask, runner: FlaskCliRunner, post: Any
) -> None:
    spam = add_comment(app, post.uid, status=Status.SPAM)
    trashed = add_comment(app, post.uid, status=Status.DELETED)
    assert "marked as not spam" in ok(runner, "comments", "not-spam", spam.id)
    assert stored(app, spam.id).status is Status.APPROVED  # type: ignore[union-attr]
    assert learned(app) == [(spam.id, False)]
    assert "restored to pending" in ok(runner, "comments", "restore", trashed.id)
    assert stored(app, trashed.id).status is Status.PENDING  # type: ignore[union-attr]


def test_a_unique_id_prefix_is_enough(app: Flask, runner: FlaskCliRunner, post: Any) -> None:
    comment = add_comment(app, post.uid)
    output = ok(runner, "comments", "approve", comment.id[:8])
    assert f"approved: {comment.id}" in output
    assert stored(app, comment.id).status is Status.APPROVED  # type: ignore[union-attr]


def test_a_too_short_or_ambiguous_prefix_changes_nothing(
    app: Flask, runner: FlaskCliRunner, post: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uuid

    given = iter([uuid.UUID("abcd1234" + "0" * 23 + "1"), uuid.UUID("abcd1234" + "0" * 23 + "2")])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(given))
    first, second = add_comment(app, post.uid), add_comment(app, post.uid)
    monkeypatch.undo()
    assert (first.id[:8], second.id[:8]) == ("abcd1234", "abcd1234")
    result = invoke(runner, "comments", "spam", "abcd1234")
    assert result.exit_code == 1
    assert "more than one comment's id starts with abcd1234; nothing was changed" in result.output
    result = invoke(runner, "comments", "spam", "abc")  # shorter than 4: no prefix match
    assert "no comment with id abc" in result.output
    assert [stored(app, c.id).status for c in (first, second)] == [Status.PENDING] * 2  # type: ignore[union-attr]
    assert learned(app) == []


def test_moderation_commands_need_an_id(runner: FlaskCliRunner) -> None:
    result = invoke(runner, "comments", "approve")
    assert result.exit_code == 2
    assert "Missing argument 'IDS...'" in result.output


# -- blogengine posts add / list -----------------------------------------------------------
MARKDOWN = """\
# Hello, Wörld

Some **bold** words and a [link](https://example.org).

<script>alert("x")</script>

## A section

More text.
"""


def test_posts_add_renders_once_and_takes_the_title_from_the_heading(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source = tmp_path / "hello.md"
    source.write_text(MARKDOWN, encoding="utf-8")
    output = ok(runner, "posts", "add", str(source))
    assert "added post 'hello-world': Hello, Wörld" in output
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "hello-world"))
        assert post is not None
        assert post.title == "Hello, Wörld"
        assert post.body_format == "markdown"
        assert post.body_source.startswith("Some **bold** words")
        assert "<strong>bold</strong>" in post.body_html
        assert "<h2>A section</h2>" in post.body_html
        assert "<script" not in post.body_html
        assert "Hello, Wörld" not in post.body_html, "the heading became the title"
        assert post.excerpt.startswith("Some bold words and a link.")
        assert post.published_at is not None
        assert post.published_at.tzinfo is not None
    page = app.test_client().get("/posts/hello-world")
    assert page.status_code == 200
    assert "<strong>bold</strong>" in page.get_data(as_text=True)


def test_posts_add_with_every_option(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    source = tmp_path / "plain.md"
    source.write_text("Just a paragraph, no heading.\n", encoding="utf-8")
    args = ["--title", "Given", "--slug", "given-slug", "--author", "Lin"]
    ok(runner, "posts", "add", str(source), *args, "--publish-date", "2024-03-05")
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "given-slug"))
        assert post is not None
        assert (post.title, post.author) == ("Given", "Lin")
        assert post.published_at == datetime(2024, 3, 5, tzinfo=UTC)
        assert post.body_html == "<p>Just a paragraph, no heading.</p>\n"


def test_posts_add_refuses_no_title_a_taken_slug_a_bad_date_and_bad_bytes(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, post: Any
) -> None:
    source = tmp_path / "untitled.md"
    source.write_text("No heading here.\n", encoding="utf-8")
    result = invoke(runner, "posts", "add", str(source))
    assert result.exit_code == 1
    assert "has no '# ' heading: give the title with --title" in result.output

    result = invoke(runner, "posts", "add", str(source), "--title", "X", "--slug", post.slug)
    assert result.exit_code == 1
    assert f"a post with slug {post.slug!r} exists" in result.output

    result = invoke(runner, "posts", "add", str(source), "--title", "X", "--publish-date", "5/3")
    assert result.exit_code == 2

    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes("# Caf\xe9\n".encode("latin-1"))
    result = invoke(runner, "posts", "add", str(latin1))
    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Post)) == 1


def test_posts_list_shows_posts_newest_first_with_comment_counts(
    app: Flask, runner: FlaskCliRunner, post: Any, tmp_path: Path
) -> None:
    assert ok(runner, "posts", "list")  # the fixture's post
    add_comment(app, post.uid, status=Status.APPROVED)
    add_comment(app, post.uid, status=Status.PENDING)
    source = tmp_path / "old.md"
    source.write_text("# An old one\n\nText.\n", encoding="utf-8")
    ok(runner, "posts", "add", str(source), "--publish-date", "2001-01-01")
    table = rows(ok(runner, "posts", "list"))
    assert [r["SLUG"] for r in table] == [post.slug, "an-old-one"]
    assert table[0]["COMMENTS"] == "1", "only approved comments count"
    assert table[1] == {
        "SLUG": "an-old-one",
        "STATUS": "published",
        "DATE": "2001-01-01",
        "COMMENTS": "0",
        "AUTHOR": "-",
        "TITLE": "An old one",
    }


def status_and_date(app: Flask, slug: str) -> tuple[str, datetime | None]:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        assert post is not None
        return post.status, post.published_at


def test_posts_add_twice_is_refused_and_says_so(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source = tmp_path / "once.md"
    source.write_text("# Only once\n\nThe text.\n", encoding="utf-8")
    ok(runner, "posts", "add", str(source))
    result = invoke(runner, "posts", "add", str(source))
    assert result.exit_code == 1
    assert "is already the post 'only-once' (published): nothing was added" in result.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Post)) == 1
    # Another text under the same title is a new post.
    source.write_text("# Only once\n\nA different text.\n", encoding="utf-8")
    assert "added post 'only-once-2'" in ok(runner, "posts", "add", str(source))


def test_posts_add_with_a_future_date_schedules_and_draft_keeps_it_hidden(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    source = tmp_path / "later.md"
    source.write_text("# Later\n\nSoon.\n", encoding="utf-8")
    output = ok(runner, "posts", "add", str(source), "--publish-date", later)
    assert f"(scheduled for {later} 00:00 UTC)" in output
    client = app.test_client()
    assert client.get("/posts/later").status_code == 404
    assert "/posts/later" not in client.get("/").get_data(as_text=True)
    assert "/posts/later" not in client.get("/feed.atom").get_data(as_text=True)
    draft = tmp_path / "draft.md"
    draft.write_text("# Drafty\n\nNot yet.\n", encoding="utf-8")
    assert "(draft)" in ok(runner, "posts", "add", str(draft), "--draft")
    assert client.get("/posts/drafty").status_code == 404
    table = {r["SLUG"]: r["STATUS"] for r in rows(ok(runner, "posts", "list"))}
    assert table == {"later": "scheduled", "drafty": "draft"}


def test_posts_publish_unpublish_edit_and_delete(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source = tmp_path / "p.md"
    source.write_text("# Scripted\n\nBody.\n", encoding="utf-8")
    ok(runner, "posts", "add", str(source), "--draft")
    client = app.test_client()
    assert "'scripted': published" in ok(runner, "posts", "publish", "scripted")
    assert client.get("/posts/scripted").status_code == 200
    assert "draft" in ok(runner, "posts", "unpublish", "scripted")
    assert client.get("/posts/scripted").status_code == 404
    ok(runner, "posts", "publish", "scripted", "--at", "2030-01-02 03:04")
    assert status_and_date(app, "scripted") == ("published", datetime(2030, 1, 2, 3, 4, tzinfo=UTC))
    ok(runner, "posts", "publish", "scripted")
    body = tmp_path / "new.md"
    body.write_text("New **text**.\n", encoding="utf-8")
    output = ok(
        runner,
        "posts",
        "edit",
        "scripted",
        "--new-slug",
        "renamed",
        "--title",
        "Renamed",
        "--comments",
        "closed",
        "--body-file",
        str(body),
        "--excerpt",
        "Short.",
    )
    assert "edited post 'renamed' (was 'scripted', which now redirects)" in output
    assert client.get("/posts/scripted").headers["Location"] == "/posts/renamed"
    page = client.get("/posts/renamed").get_data(as_text=True)
    assert "<strong>text</strong>" in page and "Comments are closed." in page
    post_uid = db_uid(app, "renamed")
    support.add_comment(app, post_uid, "a reply")

    result = invoke(runner, "posts", "delete", "renamed", "--for-good")
    assert result.exit_code == 1 and "is not in the trash" in result.output
    assert "moved to the trash" in ok(runner, "posts", "delete", "renamed")
    result = invoke(runner, "posts", "delete", "renamed", "--for-good")
    assert result.exit_code == 1
    assert "has 1 comment" in result.output and "--with-comments 1" in result.output
    output = ok(runner, "posts", "delete", "renamed", "--for-good", "--with-comments", "1")
    assert "deleted for good, with 1 comment(s)" in output
    assert ok(runner, "posts", "list").strip() == "No posts."
    with app.app_context():
        assert get_service().store.list_for_post(post_uid, None) == []


def db_uid(app: Flask, slug: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(Post.uid).where(Post.slug == slug)))


# -- blogengine create-admin ---------------------------------------------------------------
def password_ok(app: Flask, username: str, password: str) -> bool:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return user is not None and user.check_password(password)


def test_create_admin_prompts_twice_without_echo(app: Flask, runner: FlaskCliRunner) -> None:
    output = ok(runner, "create-admin", "owner", input="long enough pw\nlong enough pw\n")
    assert "created owner account 'owner'" in output
    assert "long enough pw" not in output, "the password is not echoed"
    assert output.count("Password") == 1 and "Repeat for confirmation" in output
    assert password_ok(app, "owner", "long enough pw")
    assert not password_ok(app, "owner", "something else")


def test_create_admin_with_password_on_stdin(app: Flask, runner: FlaskCliRunner) -> None:
    ok(runner, "create-admin", "robot", "--password-stdin", input="from a secret store\n")
    assert password_ok(app, "robot", "from a secret store")


def test_create_admin_refuses_mismatch_short_password_and_existing_user(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = invoke(runner, "create-admin", "a", input="first pass\nsecond pass\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    result = invoke(runner, "create-admin", "b", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0
    ok(runner, "create-admin", "c", "--password-stdin", input="a good password\n")
    result = invoke(runner, "create-admin", "c", "--password-stdin", input="another one\n")
    assert result.exit_code == 1
    assert "user 'c' exists already" in result.output
    assert password_ok(app, "c", "a good password")


# -- the real console script -------------------------------------------------------------
@pytest.mark.slow
def test_the_console_script_runs_the_commands(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("blogengine")
    if not script.exists():
        script = Path(shutil.which("blogengine") or "blogengine")
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        textwrap.dedent(f"""
        SECRET_KEY = "console"
        SQLALCHEMY_DATABASE_URI = "sqlite:///{tmp_path / "site.db"}"
        COMMENTS_CAPTCHA = "none"
        """)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLOGENGINE_", "FLASK_"))}
    env["BLOGENGINE_INSTANCE_PATH"] = str(instance)

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(script), *args], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    table = {r["NAME"]: r for r in rows(run("plugins"))}
    assert table["none"]["ACTIVE"] == "yes"
    assert table["math"]["ACTIVE"] == "no"
    run("db", "upgrade")
    assert run("comments", "list").strip() == "No comments."
    assert run("posts", "list").strip() == "No posts."
