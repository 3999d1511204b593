"""Imported pingbacks and trackbacks: on the post page and in its feed, marked as such, only
while COMMENTS_SHOW_PINGBACKS is on (the default)."""

from __future__ import annotations

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import PostInfo

from blogengine.comments import get_service
from blogengine.comments.contracts import CommentDraft, CommentKind, NewComment, Status
from blogengine.timeutil import utcnow


def add(app: Flask, post: PostInfo, author: str, kind: CommentKind) -> None:
    with app.app_context():
        get_service().store.add(
            NewComment(
                draft=CommentDraft(post_id=post.uid, author=author, body="x", kind=kind),
                status=Status.APPROVED,
                body_html=f"<p>{author} wrote</p>",
                created_at=utcnow(),
            )
        )


@pytest.fixture
def talked_about(app: Flask, post: PostInfo) -> PostInfo:
    add(app, post, "Ada", CommentKind.COMMENT)
    add(app, post, "Other Blog", CommentKind.PINGBACK)
    add(app, post, "Third Site", CommentKind.TRACKBACK)
    return post


def test_shown_and_marked_by_default(client: FlaskClient, talked_about: PostInfo) -> None:
    page = client.get(f"/posts/{talked_about.slug}").get_data(as_text=True)
    assert "Ada says:" in page
    assert 'Other Blog <span class="comment-kind">linked here (pingback)</span>:' in page
    assert 'Third Site <span class="comment-kind">linked here (trackback)</span>:' in page
    assert "3 comments on" in page


@pytest.mark.parametrize("app_config", [{"COMMENTS_SHOW_PINGBACKS": False}])
def test_hidden_when_the_setting_is_off(client: FlaskClient, talked_about: PostInfo) -> None:
    page = client.get(f"/posts/{talked_about.slug}").get_data(as_text=True)
    assert "Ada says:" in page and "1 comment on" in page
    assert "Other Blog" not in page and "Third Site" not in page
    feed = feedparser.parse(client.get(f"/posts/{talked_about.slug}/comments.atom").data)
    assert [e.author for e in feed.entries] == ["Ada"]
