"""A reader in Chromium answers comments: nested replies, without JavaScript's help."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from e2e_support import ARTIFACTS, SEED_TITLE, LiveServer, Reader, typed_text
from playwright.sync_api import expect

from blogengine.comments.service import PUBLISHED_MESSAGE, REPLY_REFUSED_MESSAGE

pytestmark = pytest.mark.e2e

ANCHOR = re.compile(r"#comment-(\d+)$")


def open_seeded_post(reader: Reader) -> None:
    answer = reader.page.goto(reader.server.url)
    assert answer is not None and answer.status == 200
    reader.page.get_by_role("link", name=SEED_TITLE).first.click()
    expect(reader.page.get_by_role("heading", level=1)).to_have_text(SEED_TITLE)


def reply_to(reader: Reader, number: int, *, name: str, text: str) -> int:
    """Click comment ``number``'s Reply link, fill the reply form, send it; the new number."""
    item = reader.page.locator(f"#comment-{number}")
    with reader.page.expect_navigation():
        item.locator(":scope > .comment-card").get_by_role("link", name="Reply").click()
    expect(reader.respond.locator(".replying-to")).to_contain_text(f"(#{number})")
    reader.fill(name=name, text=text)
    reader.answer_captcha()
    with reader.page.expect_navigation():
        reader.respond.get_by_role("button", name="Post reply").click()
    match = ANCHOR.search(reader.page.url)
    assert match, f"not sent to the reply's anchor: {reader.page.url}"
    return int(match.group(1))


def test_reply_to_comment_3_then_to_the_reply(
    threads_site: LiveServer, reader_on: Callable[[LiveServer], Reader]
) -> None:
    reader = reader_on(threads_site)
    reader.page.emulate_media(reduced_motion="reduce")
    open_seeded_post(reader)
    expect(reader.page.locator("#comment-3 time")).to_have_count(0)  # the archive has none

    first_text = typed_text("reply-to-3")
    first = reply_to(reader, 3, name="Zoë", text=first_text)
    nested = reader.page.locator(f"#comment-3 > ol.comment-replies > #comment-{first}")
    expect(nested).to_be_visible()
    expect(nested).to_contain_text("In reply to")
    expect(nested).to_contain_text("(#3)")
    expect(nested.locator(".notice-published")).to_have_text(PUBLISHED_MESSAGE)
    expect(nested).to_be_in_viewport()
    expect(nested.locator("time")).to_have_attribute("datetime", re.compile(r"\+0[12]:00$"))
    assert threads_site.comments_with_body(first_text) == [(first, "approved")]

    second = reply_to(reader, first, name="Ada", text=typed_text("reply-to-the-reply"))
    deeper = reader.page.locator(f"#comment-{first} > ol.comment-replies > #comment-{second}")
    expect(deeper).to_be_visible()
    expect(deeper).to_contain_text(f"Zoë (#{first})")

    # Three levels at most here: an answer to the answer's answer sits beside it, saying whom.
    third = reply_to(reader, second, name="Bea", text=typed_text("third-level"))
    beside = reader.page.locator(f"#comment-{first} > ol.comment-replies > #comment-{third}")
    expect(beside).to_be_visible()
    expect(beside).to_contain_text(f"Ada (#{second})")
    expect(reader.page.locator(f"#comment-{second} ol")).to_have_count(0)
    reader.screenshot("threads-nested-replies.png")
    reader.page.locator("#comment-3").screenshot(path=str(ARTIFACTS / "threads-comment-3.png"))
    assert reader.console_errors == [], threads_site.failed_requests()


def test_a_refused_reply_keeps_the_text(
    threads_site: LiveServer, reader_on: Callable[[LiveServer], Reader]
) -> None:
    """The comment answered is taken down while the reader writes: 422, the text kept."""
    writer = reader_on(threads_site)
    open_seeded_post(writer)
    target = reply_to(writer, 5, name="Soon gone", text=typed_text("to-be-removed"))

    reader = reader_on(threads_site)
    open_seeded_post(reader)
    with reader.page.expect_navigation():
        reader.page.locator(f"#comment-{target} .comment-reply a").click()
    text = typed_text("refused-reply")
    reader.fill(name="Zoë", text=text)
    reader.answer_captcha()
    threads_site.set_status(target, "spam")
    with reader.page.expect_navigation() as navigation:
        reader.respond.get_by_role("button", name="Post reply").click()

    assert navigation.value is not None and navigation.value.status == 422
    assert REPLY_REFUSED_MESSAGE in reader.alert_text()
    assert reader.comment_field.input_value() == text
    assert reader.name_field.input_value() == "Zoë"
    expect(reader.respond.locator(".replying-to")).to_have_count(0)
    assert threads_site.comments_with_body(text) == []
    reader.screenshot("threads-refused-reply-422.png")

    reader.answer_captcha()  # sent again, it is a new comment: nothing was lost
    assert reader.submit().status == 200
    assert threads_site.comments_with_body(text)[0][1] == "approved"
