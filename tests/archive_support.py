"""Helpers for the import and export tests: the shared exports, running the commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select
from support import SHARED

from blogengine.comments import get_service
from blogengine.comments.contracts import StoredComment
from blogengine.extensions import db
from blogengine.models import Post

DATA = Path(__file__).resolve().parent / "data"
CC_LABS = SHARED / "data" / "wxr" / "cc-labs-blog-2014.wordpress.xml"
THEME_TEST = SHARED / "data" / "wxr" / "themeunittestdata.wordpress.xml"
ISSO_WXR = DATA / "isso-tests-wordpress.xml"
ISSO_DISQUS = DATA / "isso-tests-disqus.xml"


def shared(path: Path) -> Path:
    """``path`` in ../shared, or skip the test saying why."""
    if not path.is_file():
        pytest.skip(f"{path} is absent (../shared/data is not here): cannot test on it")
    return path


def run(app: Flask, *args: str | Path) -> Result:
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def ok(app: Flask, *args: str | Path) -> list[str]:
    """Run a command that must succeed; its output lines."""
    result = run(app, *args)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def post_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post)) or 0


def every_comment(app: Flask) -> list[StoredComment]:
    """Every stored comment of every post, in post then number order."""
    with app.app_context():
        store = get_service().store
        uids = db.session.scalars(select(Post.uid).order_by(Post.slug)).all()
        return [c for uid in uids for c in store.list_for_post(uid, status=None)]


def depth(comment: StoredComment, by_id: dict[str, StoredComment]) -> int:
    """1 for a top-level comment, 2 for a reply to it, and so on."""
    level = 1
    while comment.parent_id is not None:
        comment = by_id[comment.parent_id]
        level += 1
    return level
