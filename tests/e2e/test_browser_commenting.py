"""A reader in Chromium comments: every failure keeps the text exactly and says what happened."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from e2e_support import (
    COMMENT_ANCHOR,
    SEED_TITLE,
    LiveServer,
    Reader,
    published_number,
    typed_text,
)
from playwright.sync_api import Request, expect
from support import solve_math

from blogengine.comments.builtin.captcha_math import WRONG
from blogengine.comments.service import PENDING_MESSAGE, PUBLISHED_MESSAGE, STORE_FAILED_MESSAGE
from blogengine.comments.views import INVALID_FORM

pytestmark = pytest.mark.e2e

NAME = "Zoë “Z” O’Brien"


def assert_kept(reader: Reader, *, name: str, text: str) -> None:
    """The form still holds exactly what the reader typed."""
    assert reader.comment_field.input_value() == text
    assert reader.name_field.input_value() == name


def assert_shown(reader: Reader, number: int, *, name: str, text: str) -> None:
    """Comment ``number`` is in the public list with its author and every line, as text."""
    item = reader.page.locator(f"#comments #comment-{number}")
    expect(item).to_be_visible()
    expect(item).to_contain_text(f"{name} says:")
    for line in filter(None, (line.strip() for line in text.splitlines())):
        expect(item).to_contain_text(line)
    # Nothing the reader typed became markup (the avatar <img> beside the name is the site's).
    for part in (".comment-author", ".comment-body"):
        expect(item.locator(part).first.locator("script, img, b")).to_have_count(0)


def test_comment_is_published(reader: Reader) -> None:
    """Published: the reader is told so, lands on the comment's anchor and sees it numbered."""
    text = typed_text("published")
    reader.open()
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    answer = reader.submit()

    assert answer.status == 200
    number = published_number(reader)
    assert PUBLISHED_MESSAGE in reader.status_text()
    assert_shown(reader, number, name=NAME, text=text)
    item = reader.page.locator(f"#comment-{number}")
    expect(item.get_by_role("link", name=re.compile(rf"(^|\s){number}$"))).to_have_count(1)
    expect(item).to_be_in_viewport()
    assert reader.server.comments_with_body(text) == [(number, "approved")]
    assert reader.console_errors == [], reader.server.failed_requests()


def test_wrong_captcha_keeps_text_and_asks_again(reader: Reader) -> None:
    """A wrong answer: 422, the message, a new question, the text as typed; then it goes through."""
    text = typed_text("wrong-captcha")
    reader.open()
    reader.fill(name=NAME, text=text)
    token_before = reader.captcha_token()
    reader.answer_captcha(right=False)
    answer = reader.submit()

    assert answer.status == 422
    assert WRONG in reader.alert_text()
    assert_kept(reader, name=NAME, text=text)
    assert reader.captcha_field.input_value() == ""
    assert reader.captcha_token() != token_before, "the same question came back"
    assert solve_math(reader.captcha_question()) >= 0, "no new question"
    assert reader.server.comments_with_body(text) == []
    reader.screenshot("wrong-captcha-422.png")

    reader.answer_captcha()
    assert reader.submit().status == 200
    assert_shown(reader, published_number(reader), name=NAME, text=text)


def test_expired_captcha_keeps_text(
    short_ttl_site: LiveServer, reader_on: Callable[[LiveServer], Reader]
) -> None:
    """A question left open past its ttl (2 s here): told it expired, text kept, then sent."""
    reader = reader_on(short_ttl_site)
    text = typed_text("expired-captcha")
    reader.open()
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    reader.page.wait_for_timeout(3_200)  # tokens carry whole seconds: > ttl + 1 s is expired
    answer = reader.submit()

    assert answer.status == 422
    assert "expired" in reader.alert_text()
    assert_kept(reader, name=NAME, text=text)
    assert short_ttl_site.comments_with_body(text) == []

    reader.answer_captcha()  # at once: well inside the new question's 2 s
    assert reader.submit().status == 200
    assert_shown(reader, published_number(reader), name=NAME, text=text)


def test_missing_name_keeps_text(reader: Reader) -> None:
    """No name: 422, the form's message and the field's own error, the text as typed."""
    text = typed_text("missing-name")
    reader.open()
    reader.fill(name="", text=text)
    reader.answer_captcha()
    answer = reader.submit()

    assert answer.status == 422
    assert INVALID_FORM in reader.alert_text()
    expect(reader.respond.get_by_text("Please enter your name.")).to_be_visible()
    expect(reader.name_field).to_have_accessible_description(re.compile("Please enter your name"))
    assert_kept(reader, name="", text=text)
    assert reader.server.comments_with_body(text) == []


def test_over_long_comment_keeps_every_character(reader: Reader) -> None:
    """Over COMMENT_MAX_BODY (500 here): 422, the limit named, all of the text still there."""
    text = typed_text("too-long") + "\n" + "Still going – “more”… " * 30
    assert len(text) > 700
    reader.open()
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    answer = reader.submit()

    assert answer.status == 422
    assert INVALID_FORM in reader.alert_text()
    expect(reader.comment_field).to_have_accessible_description(re.compile(r"the limit is 500"))
    assert_kept(reader, name=NAME, text=text)
    assert reader.server.comments_with_body(text) == []
    reader.screenshot("too-long-422.png")


def test_comment_held_for_moderation(
    reader: Reader, reader_on: Callable[[LiveServer], Reader]
) -> None:
    """Three links (the links filter allows 2): told it awaits moderation, shown only to them."""
    tag = "moderated-7c1e"
    text = (
        f"[{tag}] Sources: https://one.example/a and https://two.example/b\n"
        "and https://three.example/c – “worth reading”…"
    )
    reader.open()
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    assert reader.submit().status == 200

    assert PENDING_MESSAGE in reader.status_text()
    assert reader.page.url.endswith("#your-comment")
    own = reader.page.locator("#your-comment")
    expect(own).to_be_visible()
    expect(own).to_contain_text(re.compile("awaiting moderation", re.IGNORECASE))
    expect(own).to_contain_text(tag)
    expect(reader.page.locator("#comments")).not_to_contain_text(tag)
    assert [status for _, status in reader.server.comments_with_body(text)] == ["pending"]

    other = reader_on(reader.server)
    other.open()
    expect(other.page.locator("body")).not_to_contain_text(tag)


def test_store_failure_is_503_and_resubmits_once(
    flaky_site: LiveServer, reader_on: Callable[[LiveServer], Reader]
) -> None:
    """The store fails: 503, the message, text kept; resubmitted later, it is kept once."""
    reader = reader_on(flaky_site)
    text = typed_text("store-fails")
    reader.open()
    key = reader.respond.locator('[name="submission_key"]')
    key_before = key.input_value()
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    flaky_site.fail_marker.touch()
    try:
        answer = reader.submit()
        assert answer.status == 503
        assert STORE_FAILED_MESSAGE in reader.alert_text()
        assert_kept(reader, name=NAME, text=text)
        assert key.input_value() == key_before, "the resubmission would not be recognised"
        assert flaky_site.comments_with_body(text) == []
        reader.screenshot("store-failed-503.png")
    finally:
        flaky_site.fail_marker.unlink(missing_ok=True)

    reader.answer_captcha()
    assert reader.submit().status == 200
    number = published_number(reader)
    assert_shown(reader, number, name=NAME, text=text)
    assert flaky_site.comments_with_body(text) == [(number, "approved")]
    expect(
        reader.page.locator('#comments [id^="comment-"]', has_text="[store-fails]")
    ).to_have_count(1)


def test_double_click_makes_one_comment(reader: Reader) -> None:
    """Two quick clicks on "Post comment": one comment, in the page and in the database.

    Chromium sends one POST for Playwright's dblclick(), and a second Playwright click lands
    on the next page; two clicks 20 ms apart in the page send the same form twice (the first
    request aborted by the browser, yet handled by the server): the case that matters.
    """
    text = typed_text("double-click")
    reader.open()
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    posts: list[Request] = []
    reader.page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    reader.submit_button.evaluate("b => { b.click(); setTimeout(() => b.click(), 20); }")
    expect(reader.page).to_have_url(COMMENT_ANCHOR)
    reader.page.wait_for_load_state("load")

    sent = [r.post_data for r in posts]
    assert len(sent) == 2 and sent[0] == sent[1], "the form was not sent twice: proves nothing"
    assert PUBLISHED_MESSAGE in reader.status_text()
    rows = reader.server.comments_with_body(text)
    assert rows == [(published_number(reader), "approved")]
    reader.page.reload()
    items = reader.page.locator('#comments [id^="comment-"]', has_text="[double-click]")
    expect(items).to_have_count(1)


def test_markup_in_a_comment_never_runs(reader: Reader) -> None:
    """Script and an onerror image, in the name and the text, are shown as text; no dialog."""
    name = "<img src=x onerror=alert(1)>"
    text = "[xss] <script>alert(1)</script>\n<img src=x onerror=alert(1)>"
    reader.open()
    reader.fill(name=name, text=text)
    reader.answer_captcha()
    assert reader.submit().status == 200

    number = published_number(reader)
    assert_shown(reader, number, name=name, text=text)
    reader.page.reload()
    reader.page.wait_for_load_state("load")
    assert reader.dialogs == []
    # A CSP-blocked inline script would show up here as a console error.
    assert reader.console_errors == [], reader.server.failed_requests()


def test_comment_of_exactly_the_limit_is_accepted(reader: Reader) -> None:
    """500 characters as typed (COMMENT_MAX_BODY here), line breaks included, is not too long."""
    lines = [typed_text("at-the-limit").splitlines()[0], "Second line.", "Third line."]
    text = "\n".join(lines)
    text += "\n" + "x" * (500 - len(text) - 1)
    assert len(text) == 500
    reader.open()
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    answer = reader.submit()
    assert answer.status == 200, reader.alert_text()
    assert len(reader.server.comments_with_body(text)) == 1


def test_refused_comment_opens_at_the_problem(reader: Reader) -> None:
    """On a long post, the reader whose comment was refused sees the problem without scrolling."""
    page = reader.page
    page.goto(reader.server.url + "/")
    page.get_by_role("link", name=SEED_TITLE).first.click()
    reader.fill(name="", text=typed_text("lands-at-problem"))
    reader.answer_captcha()
    assert reader.submit().status == 422
    expect(page.get_by_role("alert").first).to_be_in_viewport(timeout=1_000)
