"""Small broken promises, one test each: control characters in a slug and in a post, a form in
too many parts, an over-long subtitle (issue 6, item 6)."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from support import CommentPoster, PostInfo
from test_security import TYPED, assert_text_kept

from blogengine.rendering import CONTROL_CHARACTERS

CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]


def test_a_control_character_in_a_slug_is_a_404(app: Flask, post: PostInfo) -> None:
    client = app.test_client()
    for char in CONTROLS:  # every one of them, percent-encoded as a client sends it
        raw = quote(char)
        for path in (f"/posts/a{raw}b", f"/posts/{post.slug}{raw}/comments.atom"):
            assert client.get(path).status_code == 404, repr(char)


def test_a_form_in_too_many_parts_says_so_and_keeps_the_text(
    app: Flask, post: PostInfo, poster: CommentPoster
) -> None:
    fields = {**poster.form_for(post.slug), **TYPED, "captcha_answer": "human"}
    parts = app.config["MAX_FORM_PARTS"] + 1
    data = {**{f"x{i}": "" for i in range(parts)}, **fields}
    response = poster.client.post(
        f"/posts/{post.slug}/comments", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    assert response.content_length is not None
    page = html.unescape(response.get_data(as_text=True))
    assert "more than 1,000 parts" in page
    assert "larger than" not in page  # the body was well under MAX_CONTENT_LENGTH
    assert_text_kept(response.get_data(as_text=True))


def test_a_body_over_the_size_limit_still_says_it_is_too_large(
    app: Flask, post: PostInfo, poster: CommentPoster
) -> None:
    big = {"body": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}
    response = poster.client.post(
        f"/posts/{post.slug}/comments", data=big, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    assert "larger than the 256 KB" in response.get_data(as_text=True)


@pytest.mark.parametrize("where", ["text", "title option", "author option"])
def test_posts_add_refuses_control_characters(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, where: str
) -> None:
    article = tmp_path / "post.md"
    text = "# A title\n\nA paragraph.\n"
    options: list[str] = []
    if where == "text":
        text = text.replace("paragraph", "para\x1b[31mgraph")
    elif where == "title option":
        options = ["--title", "Evil\x1b]0;owned\x07"]
    else:
        options = ["--author", "Ada\x00"]
    article.write_text(text)
    result = runner.invoke(args=["posts", "add", str(article), *options])
    assert result.exit_code != 0
    assert "control character U+00" in result.output
    listed = runner.invoke(args=["posts", "list"]).output
    assert listed.strip() == "No posts."
    assert app.test_client().get("/feed.atom").status_code == 200


def test_posts_list_prints_no_raw_control_characters(
    app: Flask, runner: FlaskCliRunner, post: PostInfo
) -> None:
    from blogengine.extensions import db
    from blogengine.models import Post

    with app.app_context():  # written before this check existed, or by another tool
        stored = db.session.get(Post, post.id)
        assert stored is not None
        stored.title, stored.author = "Evil\x1b[2J title", "Ada\x07"
        db.session.commit()
    output = runner.invoke(args=["posts", "list"]).output
    assert CONTROL_CHARACTERS.search(output.replace("\n", "")) is None
    assert "Evil?[2J title" in output


def test_an_over_long_subtitle_is_a_clear_error_never_sql(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    archive = tmp_path / "long.txt"
    archive.write_text("A title\n" + "s" * 501 + "\n\nA paragraph.\n")
    result = runner.invoke(args=["seed", str(archive)])
    assert result.exit_code != 0
    assert f"{archive}:2: subtitle is 501 characters, at most 500" in result.output
    assert "SQL" not in result.output


def test_posts_add_checks_lengths_against_the_model(runner: FlaskCliRunner, tmp_path: Path) -> None:
    article = tmp_path / "post.md"
    article.write_text("# " + "t" * 501 + "\n\nText.\n")
    result = runner.invoke(args=["posts", "add", str(article), "--author", "a" * 201])
    assert result.exit_code != 0
    assert "title: 501 characters, at most 500" in result.output
    assert "author: 201 characters, at most 200" in result.output
