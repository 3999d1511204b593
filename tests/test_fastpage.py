"""The kept post page served before Flask's request machinery (``blogengine/fastpage.py``).

It must answer exactly what Flask answered for the page (status, headers, body but for the
reader's own form parts), serve nothing Flask did not keep, and leave every reader Flask must
see (a session, the owner, a conditional GET, an untrusted Host) to Flask.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, request_started
from support import add_comment, hidden_fields

STAND_INS = re.compile(r'name="(csrf_token|submission_key)"[^>]*value="[^"]*"')


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"CACHE_TYPE": "SimpleCache", "COMMENTS_CAPTCHA": "none"}


@contextmanager
def flask_requests(app: Flask) -> Iterator[list[str]]:
    """The paths Flask's own request machinery handled inside the block."""
    seen: list[str] = []

    def started(sender: Flask, **_: Any) -> None:
        from flask import request

        seen.append(request.full_path)

    request_started.connect(started, app)
    try:
        yield seen
    finally:
        request_started.disconnect(started, app)


def test_a_kept_page_is_served_with_the_headers_flask_gave_it(app, post):
    add_comment(app, post.uid, "Kept with its page.")
    reader = app.test_client()
    url = f"/posts/{post.slug}"
    with flask_requests(app) as seen:
        from_flask = reader.get(url)  # rendered and kept, with this response's headers
        fast = reader.get(url)
    assert seen == [f"{url}?"], "the second read never entered Flask"

    assert fast.status_code == from_flask.status_code == 200
    expected = {k: v for k, v in from_flask.headers.items() if k != "Content-Length"}
    got = {k: v for k, v in fast.headers.items() if k != "Content-Length"}
    assert got == expected
    assert int(fast.headers["Content-Length"]) == len(fast.get_data())
    assert STAND_INS.sub("", fast.get_data(as_text=True)) == STAND_INS.sub(
        "", from_flask.get_data(as_text=True)
    )
    assert "Kept with its page." in fast.get_data(as_text=True)
    # The reader's own parts, fresh, and good for posting.
    mine = hidden_fields(fast.get_data(as_text=True))
    theirs = hidden_fields(from_flask.get_data(as_text=True))
    assert mine["submission_key"] != theirs["submission_key"]
    assert not re.search(r"slot[0-9a-f]{28}", fast.get_data(as_text=True))
    form = {**mine, "author": "Ada", "body": "Sent from the fast page."}
    assert reader.post(f"{url}/comments", data=form).status_code == 303
    assert "Sent from the fast page." in app.test_client().get(url).get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"CACHE_TYPE": "SimpleCache", "COMMENTS_CAPTCHA": "math"}])
def test_a_kept_page_with_a_captcha_gets_each_reader_a_challenge(app, post):
    url = f"/posts/{post.slug}"
    tokens = set()
    for _ in range(4):
        page = app.test_client().get(url).get_data(as_text=True)
        tokens.add(hidden_fields(page)["captcha_token"])
    assert len(tokens) == 4


def test_readers_flask_must_see_are_left_to_flask(app, post):
    url = f"/posts/{post.slug}"
    for _ in range(3):
        app.test_client().get(url)  # kept, headers too
    etag = app.test_client().get(url).headers["ETag"]

    with_session = app.test_client()
    with_session.set_cookie("session", "anything", domain="blog.test")
    remembered = app.test_client()
    remembered.set_cookie("remember_token", "anything", domain="blog.test")
    with flask_requests(app) as seen:
        assert app.test_client().get(url, headers={"If-None-Match": etag}).status_code == 304
        assert with_session.get(url).status_code == 200
        assert remembered.get(url).headers["Cache-Control"] == "private, no-store"
        assert app.test_client().get(f"{url}?cpage=1").status_code == 200
        assert app.test_client().head(url).status_code == 200
        assert app.test_client().get("/posts/no-such-post").status_code == 404
    assert len(seen) == 6


@pytest.mark.parametrize(
    "app_config",
    [{"CACHE_TYPE": "SimpleCache", "COMMENTS_CAPTCHA": "none", "TRUSTED_HOSTS": ["blog.test"]}],
)
def test_an_untrusted_host_is_refused_even_for_a_kept_page(app, post):
    url = f"/posts/{post.slug}"
    for _ in range(3):
        assert app.test_client().get(url).status_code == 200
    assert app.test_client().get(url, headers={"Host": "evil.example"}).status_code == 400


def test_a_change_is_on_the_next_read_of_a_kept_page(app, post):
    url = f"/posts/{post.slug}"
    for _ in range(3):
        app.test_client().get(url)
    add_comment(app, post.uid, "Arrived after the page was kept.")
    assert "Arrived after the page was kept." in app.test_client().get(url).get_data(as_text=True)
