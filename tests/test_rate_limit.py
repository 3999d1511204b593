"""The comment rate limit: per address, configurable, and a 429 that keeps the reader's text."""

from __future__ import annotations

import os
import re
import time
import uuid
from typing import Any

import pytest
from flask import Flask
from support import CommentPoster, build_app, hidden_fields, make_post
from test_security import TYPED, assert_text_kept

from blogengine.comments import get_service
from blogengine.config import DefaultConfig
from blogengine.security import duration_words

REDIS_URL = os.environ.get("BLOGENGINE_TEST_REDIS_URL")
NO_FILTERS: dict[str, Any] = {"COMMENTS_SPAM_FILTERS": []}


def limited(rate: str, **more: Any) -> dict[str, Any]:
    return {**NO_FILTERS, "COMMENTS_RATE_LIMIT": rate, **more}


def post_from(poster: CommentPoster, slug: str, addr: str, forwarded: str | None = None, **kw):
    """A comment from peer ``addr``, optionally claiming ``forwarded`` in X-Forwarded-For."""
    env = poster.client.environ_base
    env["REMOTE_ADDR"] = addr
    env.pop("HTTP_X_FORWARDED_FOR", None)
    if forwarded:
        env["HTTP_X_FORWARDED_FOR"] = forwarded
    kw.setdefault("body", f"Comment {uuid.uuid4().hex}")
    return poster.post(slug, **kw)


def stored_addresses(app: Flask, post_uid: str) -> list[str | None]:
    with app.app_context():
        return [c.remote_addr for c in get_service().store.list_for_post(post_uid)]


@pytest.mark.parametrize("app_config", [NO_FILTERS])
def test_the_tests_config_switches_the_limit_off(app, post, poster) -> None:
    assert app.config["COMMENTS_RATE_LIMIT"] == ""
    codes = [post_from(poster, post.slug, "10.0.0.1").status_code for _ in range(8)]
    assert codes == [303] * 8


def test_a_site_is_limited_by_default() -> None:
    """Tests switch it off in their config (support.make_config); a site keeps this."""
    assert DefaultConfig.COMMENTS_RATE_LIMIT == "5 per minute; 50 per day"


@pytest.mark.parametrize("app_config", [limited("", TESTING=False)])
def test_an_empty_limit_switches_it_off(app, post, poster) -> None:
    codes = [post_from(poster, post.slug, "10.0.0.1").status_code for _ in range(7)]
    assert codes == [303] * 7


def test_a_misspelt_limit_stops_start_up(tmp_path, monkeypatch) -> None:
    with pytest.raises(ValueError):
        build_app(tmp_path, monkeypatch, COMMENTS_RATE_LIMIT="5 per fortnight")


@pytest.mark.parametrize("app_config", [limited("3 per minute")])
def test_the_limited_reader_gets_a_429_that_keeps_the_text(app, post, poster) -> None:
    for _ in range(3):
        assert post_from(poster, post.slug, "10.0.0.1").status_code == 303
    form = poster.form_for(post.slug)
    response = post_from(poster, post.slug, "10.0.0.1", reuse=form, **TYPED)
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    page = response.get_data(as_text=True)
    match = re.search(r"You can post again in (\d+) seconds?\.", page)
    assert match, "the page says when to try again"
    assert abs(int(match.group(1)) - retry_after) <= 1
    assert "3 comments in 1 minute" in page
    assert_text_kept(page)
    kept = hidden_fields(page)
    assert kept["submission_key"] == form["submission_key"], "a retry is the same submission"
    assert kept["csrf_token"], "the form can be sent again as it is"
    assert len(stored_addresses(app, post.uid)) == 3, "nothing stored from the refused post"


@pytest.mark.parametrize("app_config", [limited("2 per minute")])
def test_reading_is_never_limited(app, post, poster) -> None:
    for _ in range(2):
        assert post_from(poster, post.slug, "10.0.0.1").status_code == 303
    assert post_from(poster, post.slug, "10.0.0.1").status_code == 429
    for path in ("/", f"/posts/{post.slug}", f"/posts/{post.slug}/comments.atom"):
        for _ in range(5):
            assert poster.client.get(path).status_code == 200, path


@pytest.mark.parametrize("app_config", [limited("2 per 2 seconds")])
def test_the_kept_form_goes_through_once_the_window_passes(app, post, poster) -> None:
    for _ in range(2):
        assert post_from(poster, post.slug, "10.0.0.1").status_code == 303
    refused = post_from(poster, post.slug, "10.0.0.1", **TYPED)
    assert refused.status_code == 429
    time.sleep(int(refused.headers["Retry-After"]) + 0.1)
    again = hidden_fields(refused.get_data(as_text=True))
    again.update(TYPED, captcha_answer="human")
    sent = poster.client.post(f"/posts/{post.slug}/comments", data=again)
    assert sent.status_code == 303
    assert len(stored_addresses(app, post.uid)) == 3


@pytest.mark.parametrize("app_config", [limited("2 per minute")])
def test_the_limit_is_per_address_and_shared_across_posts(app, post, poster) -> None:
    with app.app_context():
        other = make_post(title="Another", slug="another").slug
    for _ in range(2):
        assert post_from(poster, post.slug, "10.0.0.1").status_code == 303
    assert post_from(poster, other, "10.0.0.1").status_code == 429, "per address"
    assert post_from(poster, other, "10.0.0.2").status_code == 303, "others still post"


@pytest.mark.parametrize("app_config", [limited("2 per minute")])
def test_forged_forwarded_for_is_ignored_without_trusted_proxies(app, post, poster) -> None:
    codes = [
        post_from(poster, post.slug, "10.0.0.1", forwarded=f"203.0.113.{n}").status_code
        for n in range(3)
    ]
    assert codes == [303, 303, 429], "a made-up X-Forwarded-For does not reset the count"
    assert set(stored_addresses(app, post.uid)) == {"10.0.0.1"}


@pytest.mark.parametrize("app_config", [limited("2 per minute", TRUSTED_PROXIES=1)])
def test_forwarded_for_names_the_reader_behind_one_trusted_proxy(app, post, poster) -> None:
    proxy = "10.0.0.1"
    for n in range(3):
        assert post_from(poster, post.slug, proxy, forwarded=f"203.0.113.{n}").status_code == 303
    assert post_from(poster, post.slug, proxy, forwarded="203.0.113.0").status_code == 303
    assert post_from(poster, post.slug, proxy, forwarded="203.0.113.0").status_code == 429
    # Only the address the trusted proxy appended counts, not what the client put before it.
    forged = "198.51.100.9, 203.0.113.0"
    assert post_from(poster, post.slug, proxy, forwarded=forged).status_code == 429
    assert "203.0.113.1" in stored_addresses(app, post.uid)
    assert proxy not in stored_addresses(app, post.uid)


@pytest.mark.parametrize("app_config", [limited("1 per minute")])
def test_a_limited_unknown_post_gets_a_plain_429(app, post, poster) -> None:
    assert post_from(poster, post.slug, "10.0.0.1").status_code == 303
    response = poster.client.post("/posts/gone/comments", data=poster.form_for(post.slug))
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert "try again in" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "1 second"), (1, "1 second"), (42, "42 seconds"), (119, "119 seconds"),
     (120, "2 minutes"), (121, "3 minutes"), (7200, "2 hours"), (86399, "24 hours")],
)  # fmt: skip
def test_duration_words(seconds: int, words: str) -> None:
    assert duration_words(seconds) == words


@pytest.mark.parametrize(
    "app_config", [limited("2 per minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")]
)
def test_a_dead_limit_storage_never_loses_a_comment(app, post, poster, caplog) -> None:
    """Nothing listens on port 1: the limiter counts in memory and the comments go through."""
    codes = [post_from(poster, post.slug, "10.0.0.1").status_code for _ in range(3)]
    assert codes == [303, 303, 429], "stored, and still limited by the in-memory fallback"
    assert "falling back to in-memory storage" in caplog.text


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="set BLOGENGINE_TEST_REDIS_URL to test with Redis")
def test_redis_storage_counts_across_workers(tmp_path, monkeypatch) -> None:
    """Two apps on one Redis (two workers) share one count; keys carry the test's prefix."""
    import redis

    prefix = f"blogengine-test-{uuid.uuid4().hex}"
    config = limited("2 per minute", RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    client = redis.Redis.from_url(str(REDIS_URL))
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    try:
        first = build_app(tmp_path / "one", monkeypatch, **config)
        with first.app_context():
            slug = make_post(title="Shared", slug="shared").slug
        for _ in range(2):
            assert (
                post_from(CommentPoster(first.test_client()), slug, "10.9.0.1").status_code == 303
            )
        assert list(client.scan_iter(match=f"*{prefix}*")), "the count lives in Redis"

        second = build_app(tmp_path / "two", monkeypatch, **config)
        with second.app_context():
            make_post(title="Shared", slug="shared")
        poster = CommentPoster(second.test_client())
        assert post_from(poster, slug, "10.9.0.1").status_code == 429, "the other worker knows"
        assert post_from(poster, slug, "10.9.0.2").status_code == 303
    finally:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()


@pytest.mark.parametrize("app_config", [limited("5 per minute")])
def test_refused_attempts_are_not_counted_as_comments_sent(app, post, poster) -> None:
    for _ in range(5):  # five wrong CAPTCHA answers: nothing is stored, nothing is "sent"
        wrong = post_from(poster, post.slug, "10.0.0.1", captcha_answer="robot")
        assert wrong.status_code == 422
    for _ in range(5):
        assert post_from(poster, post.slug, "10.0.0.1").status_code == 303
    refused = post_from(poster, post.slug, "10.0.0.1", **TYPED)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "this address has sent 5 comments in 1 minute" in page
    assert len(stored_addresses(app, post.uid)) == 5  # exactly what the page says
    assert_text_kept(page)
