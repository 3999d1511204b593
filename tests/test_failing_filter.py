"""A spam filter that raises or hangs: the reader is answered in time and the comment is held.

The filters are a real plugin file (tests/plugins_failing/), posted to through the real form.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from support import CommentPoster, PostInfo

from blogengine.comments import get_service
from blogengine.comments.contracts import Action, Status, Verdict

PLUGINS = Path(__file__).parent / "plugins_failing"
TIMEOUT = 0.5
RAISED = "filter failed: FilterExploded('spam service unreachable')"
TIMED_OUT = "filter timed out after 0.5s"
BODY = "A comment that must be held, not lost."


def failing_config(*filters: str) -> dict[str, Any]:
    return {
        "PLUGINS_FOLDER": str(PLUGINS),
        "COMMENTS_SPAM_FILTERS": ["links", *filters],
        "COMMENTS_FILTER_TIMEOUT": TIMEOUT,
    }


@pytest.fixture(autouse=True)
def release_hung_filters(app: Flask) -> Iterator[threading.Event]:
    """The hanging filter blocks until released; release it after each test, not during."""
    release = sys.modules["blogengine_plugins.failing_filters"].RELEASE
    release.clear()
    yield release
    release.set()


def hung_filter_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "spam-filter-hanging" and t.is_alive()]


def post_timed(poster: CommentPoster, post: PostInfo) -> tuple[Any, float]:
    form = poster.form_for(post.slug)  # loading the page is not part of the answer's time
    start = time.monotonic()
    response = poster.post(post.slug, reuse=form, author="Ada", body=BODY)
    return response, time.monotonic() - start


def assert_held_and_told(app: Flask, poster: CommentPoster, post: PostInfo, response: Any) -> Any:
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/posts/{post.slug}#your-comment")
    page = poster.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your comment is awaiting moderation" in page
    assert BODY in page, "its author sees what they wrote"
    with app.app_context():
        [comment] = get_service().store.list_for_post(post.uid, status=None)
    assert comment.status is Status.PENDING
    assert comment.body == BODY
    return comment


@pytest.mark.parametrize("app_config", [failing_config("raising")], ids=["raising"])
def test_raising_filter_holds_the_comment(
    app: Flask, post: PostInfo, poster: CommentPoster
) -> None:
    response, elapsed = post_timed(poster, post)
    assert elapsed < TIMEOUT + 2
    comment = assert_held_and_told(app, poster, post, response)
    assert Verdict(Action.MODERATE, RAISED, "raising") in comment.verdicts


@pytest.mark.parametrize("app_config", [failing_config("hanging")], ids=["hanging"])
def test_hanging_filter_is_cut_off_and_holds_the_comment(
    app: Flask, post: PostInfo, poster: CommentPoster
) -> None:
    response, elapsed = post_timed(poster, post)
    assert TIMEOUT <= elapsed < TIMEOUT + 2, "waited for the timeout, not for the filter"
    assert hung_filter_threads(), "the filter is still blocked: the reader did not wait for it"
    comment = assert_held_and_told(app, poster, post, response)
    assert Verdict(Action.MODERATE, TIMED_OUT, "hanging") in comment.verdicts


@pytest.mark.parametrize("app_config", [failing_config("raising", "hanging")], ids=["both"])
def test_both_failures_are_in_the_trail(app: Flask, post: PostInfo, poster: CommentPoster) -> None:
    response, elapsed = post_timed(poster, post)
    assert elapsed < TIMEOUT + 2
    comment = assert_held_and_told(app, poster, post, response)
    assert [(v.source, v.reason) for v in comment.verdicts] == [
        ("raising", RAISED),
        ("hanging", TIMED_OUT),
    ]
