"""Test helpers shared by every test module (import them with `from support import ...`)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blogengine import create_app
from blogengine.comments import get_service
from blogengine.comments.builtin.captcha_math import NUMBER_WORDS, QUESTIONS
from blogengine.comments.contracts import CommentDraft, NewComment, Status, StoredComment, Verdict
from blogengine.extensions import db
from blogengine.models import Post
from blogengine.rendering import comment_html, paragraphs_html
from blogengine.timeutil import utcnow

PROJECT = Path(__file__).resolve().parent.parent
TEST_FILTERS = ["honeypot", "impersonation", "links", "duplicate"]
SHARED = PROJECT.parent / "shared"


def make_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """The test config: its own database, a fixed secret, the deterministic CAPTCHA."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-not-for-production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
        "COMMENTS_CAPTCHA": "fixed",
        "SERVER_NAME": "blog.test",
        # The default chain without its statistical model, so a test of the comment flow
        # does not depend on what the model thinks of its sample text; the learning filter
        # is tested in the default chain by tests/test_filter_learning.py.
        "COMMENTS_SPAM_FILTERS": TEST_FILTERS,
        # Many comments come from one test client; the rate limit's tests switch it on.
        "COMMENTS_RATE_LIMIT": "",
    }
    config.update(overrides)
    return config


def build_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> Flask:
    """A migrated app; instance/ is the test's own folder."""
    from flask_migrate import upgrade

    monkeypatch.setenv("BLOGENGINE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_config(tmp_path, **overrides))
    with app.app_context():
        upgrade()
    return app


@dataclass(frozen=True)
class PostInfo:
    id: int
    uid: str
    slug: str
    title: str


def make_post(title: str, slug: str, paragraphs: list[str] | None = None, **fields: Any) -> Post:
    """Add and commit a post (needs an app context)."""
    paragraphs = paragraphs or ["First paragraph.", "Second paragraph."]
    post = Post(
        title=title,
        slug=slug,
        body_format="text",
        body_source="\n".join(paragraphs),
        body_html=paragraphs_html(paragraphs),
        excerpt=paragraphs[0],
        **fields,
    )
    db.session.add(post)
    db.session.commit()
    return post


def hidden_fields(html: str) -> dict[str, str]:
    """The named inputs a browser would send as they are (csrf_token, submission_key, tokens)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if re.search(r'\btype="(checkbox|radio)"', tag) and not re.search(r"\bchecked\b", tag):
            continue  # a browser sends a box only when it is ticked
        name = re.search(r'\bname="([^"]+)"', tag)
        value = re.search(r'\bvalue="([^"]*)"', tag)
        if name and value:
            fields[name.group(1)] = value.group(1).replace("&amp;", "&")
    return fields


class CommentPoster:
    """Posts a comment the way a browser does: load the page, fill the form, send it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def form_for(self, slug: str) -> dict[str, str]:
        page = self.client.get(f"/posts/{slug}")
        assert page.status_code == 200, page.status_code
        return hidden_fields(page.get_data(as_text=True))

    def post(self, slug: str, *, reuse: dict[str, str] | None = None, **fields: str) -> Any:
        form = dict(reuse) if reuse is not None else self.form_for(slug)
        form.update({"author": "Ada", "body": "A thoughtful comment.", "captcha_answer": "human"})
        form.update(fields)
        return self.client.post(f"/posts/{slug}/comments", data=form)


def add_comment(
    app: Flask,
    post_uid: str,
    body: str = "A thoughtful comment.",
    *,
    author: str = "Ada",
    website: str | None = None,
    email: str | None = None,
    status: Status = Status.APPROVED,
    verdicts: tuple[Verdict, ...] = (),
    created_at: datetime | None = None,
) -> StoredComment:
    """Put a comment straight into the store, as an import or a judged submission would."""
    with app.app_context():
        return get_service().store.add(
            NewComment(
                draft=CommentDraft(
                    post_id=post_uid, author=author, body=body, website=website, email=email
                ),
                status=status,
                body_html=comment_html(body),
                created_at=created_at or utcnow(),
                verdicts=verdicts,
            )
        )


def add_post(app: Flask, title: str, slug: str, **fields: Any) -> PostInfo:
    with app.app_context():
        post = make_post(title=title, slug=slug, **fields)
        return PostInfo(post.id, post.uid, post.slug, post.title)


def textarea(page: str) -> str:
    """The comment textarea's text as the browser would show it."""
    match = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    assert match, "the page has no textarea"
    # Browsers drop exactly one newline right after <textarea>; WTForms writes one for that.
    text = html.unescape(match.group(1))
    return text[2:] if text.startswith("\r\n") else text.removeprefix("\n")


def input_value(page: str, name: str) -> str | None:
    """The value of the input called ``name`` ("" when it has none), None if there is none."""
    for tag in re.findall(r"<input[^>]*>", page):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(value.group(1)) if value else ""
    return None


_NUMBER = "|".join([r"\d+", *NUMBER_WORDS])


def solve_math(question: str) -> int:
    """The answer a person gives to any wording of the math CAPTCHA's question."""
    for template, operation in QUESTIONS:
        pattern = re.escape(template)
        for name in ("a", "b"):
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>{_NUMBER})")
        match = re.search(pattern, question, re.IGNORECASE)
        if match:
            a, b = (_value(match.group(name)) for name in ("a", "b"))
            return a + b if operation == "+" else a - b
    raise AssertionError(f"a math question no wording matches: {question!r}")


def _value(number: str) -> int:
    return int(number) if number.isdigit() else NUMBER_WORDS.index(number.lower())


@contextmanager
def app_in_postgres_schema(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> Iterator[Flask]:
    """A migrated app on PostgreSQL ``url``, in a schema of its own dropped afterwards."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    scoped = f"{url}{sep}options=-csearch_path%3D{schema}"
    try:
        app = build_app(tmp_path, monkeypatch, SQLALCHEMY_DATABASE_URI=scoped, **overrides)
        yield app
        with app.app_context():
            get_service().store.dispose()
            db.engine.dispose()
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
