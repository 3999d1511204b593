"""Size limits: a too-large request gets an honest 413, an over-long field a 422 that keeps all."""

from __future__ import annotations

from typing import Any

import pytest
from support import textarea
from test_rate_limit import stored_addresses
from test_security import TYPED, input_values

TOO_LONG: dict[str, tuple[str, str]] = {
    # field: (config key, the words the message uses)
    "author": ("COMMENT_MAX_AUTHOR", "Your name"),
    "email": ("COMMENT_MAX_EMAIL", "The email address"),
    "website": ("COMMENT_MAX_WEBSITE", "The web address"),
    "body": ("COMMENT_MAX_BODY", "Your comment"),
}


def over_long(field: str, limit: int) -> str:
    """A value one character over ``limit`` (shaped like the field, where it matters)."""
    if field == "email":
        domain = "@example.org"
        return "r" * (limit + 1 - len(domain)) + domain
    if field == "website":
        base = "https://example.org/"
        return base + "p" * (limit + 1 - len(base))
    if field == "body":
        line = "Every word of this matters.\n"
        return (line * (limit // len(line) + 2))[:limit] + "!"
    return "N" * (limit + 1)


def assert_kept(page: str, typed: dict[str, str]) -> None:
    values = input_values(page)
    for name in ("author", "email", "website"):
        assert values.get(name) == typed[name], name
    assert textarea(page) == typed["body"]


@pytest.mark.parametrize("field", sorted(TOO_LONG))
def test_an_over_long_field_gets_422_naming_the_limit_and_keeps_every_field(
    app, post, poster, field: str
) -> None:
    key, words = TOO_LONG[field]
    limit = app.config[key]
    typed = dict(TYPED, **{field: over_long(field, limit)})
    assert len(typed[field]) == limit + 1
    response = poster.post(post.slug, **typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"{words} is {limit + 1:,} characters long; the limit is {limit:,}." in page
    assert "everything you typed is still here" in page
    assert_kept(page, typed)
    assert stored_addresses(app, post.uid) == []


@pytest.mark.parametrize("app_config", [{"COMMENT_MAX_AUTHOR": 5, "COMMENT_MAX_BODY": 20}])
def test_limits_come_from_config_and_every_message_shows(app, post, poster) -> None:
    response = poster.post(post.slug, **dict(TYPED, author="Abcdefg", body="x" * 21))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Your name is 7 characters long; the limit is 5." in page
    assert "Your comment is 21 characters long; the limit is 20." in page


def test_a_field_exactly_at_the_limit_is_accepted(app, post, poster) -> None:
    limit = app.config["COMMENT_MAX_AUTHOR"]
    response = poster.post(post.slug, **dict(TYPED, author="N" * limit))
    assert response.status_code == 303


def big_form(poster: Any, slug: str, size: int) -> dict[str, str]:
    form = poster.form_for(slug)
    form.update(TYPED, captcha_answer="human", body="x" * size)
    return form


def test_a_request_over_max_content_length_gets_an_honest_413(app, post, poster) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 256 * 1024
    form = big_form(poster, post.slug, 300 * 1024)
    response = poster.client.post(f"/posts/{post.slug}/comments", data=form)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than the 256 KB this site accepts" in page
    assert "none of it could be read" in page, "honest: the text could not be kept"
    assert "shorten it" in page
    values = input_values(page)
    assert values["csrf_token"], "the form on the page can be used straight away"
    assert values.get("author", "") == "", "nothing pretends to be kept"
    assert stored_addresses(app, post.uid) == []
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 8 * 1024}])
def test_the_413_names_the_configured_limit(app, post, poster) -> None:
    response = poster.client.post(
        f"/posts/{post.slug}/comments", data=big_form(poster, post.slug, 9 * 1024)
    )
    assert response.status_code == 413
    assert "larger than the 8 KB this site accepts" in response.get_data(as_text=True)


def test_just_under_the_request_limit_is_parsed_and_meets_the_field_limit(
    app, post, poster
) -> None:
    response = poster.client.post(
        f"/posts/{post.slug}/comments", data=big_form(poster, post.slug, 200 * 1024)
    )
    assert response.status_code == 422, "parsed: the field limit answers, with the text kept"
    assert "the limit is 10,000" in response.get_data(as_text=True)
    assert_text_kept_except_body(response.get_data(as_text=True))


def assert_text_kept_except_body(page: str) -> None:
    values = input_values(page)
    for name in ("author", "email", "website"):
        assert values.get(name) == TYPED[name], name


def test_a_413_elsewhere_gets_a_plain_page(app, post, poster) -> None:
    form = big_form(poster, post.slug, 300 * 1024)
    response = poster.client.post("/posts/no-such-post/comments", data=form)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than the 256 KB this site accepts" in page
    assert "<html" in page
