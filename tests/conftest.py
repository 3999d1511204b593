"""The flaskr fixtures (app, client, runner) on a fresh SQLite file per test, CSRF on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from mail_support import Inbox, smtp_server
from support import CommentPoster, PostInfo, build_app, make_post

from blogengine.extensions import db

# CI runs each Hypothesis test on the same examples every time (a red CI run must be one we
# can reproduce, and a landing must not hang on a lucky draw); a developer's run explores new
# ones and keeps what fails in .hypothesis/. `HYPOTHESIS_PROFILE=ci` gives the CI run locally.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change the app's config."""
    return {}


@pytest.fixture
def app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_config: dict[str, Any]
) -> Iterator[Flask]:
    app = build_app(tmp_path, monkeypatch, **app_config)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def post(app: Flask) -> PostInfo:
    """One plain post to comment on."""
    with app.app_context():
        post = make_post(title="A post to talk about", slug="a-post")
        return PostInfo(post.id, post.uid, post.slug, post.title)


@pytest.fixture
def poster(client: FlaskClient) -> CommentPoster:
    return CommentPoster(client)


@pytest.fixture
def inbox() -> Inbox:
    """What the test SMTP server (``smtp_port``) received."""
    return Inbox()


@pytest.fixture
def smtp_port(inbox: Inbox) -> Iterator[int]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for this test, accepting into ``inbox``."""
    with smtp_server(inbox) as port:
        yield port
