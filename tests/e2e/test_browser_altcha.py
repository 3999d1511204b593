"""The `altcha` CAPTCHA in Chromium: the proof of work with JavaScript, math without, CSP kept."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from e2e_support import LiveServer, Reader, published_number, typed_text
from playwright.sync_api import expect

from blogengine.comments.builtin import captcha_altcha
from blogengine.comments.service import PUBLISHED_MESSAGE

pytestmark = pytest.mark.e2e

NAME = "Ada Lovelace"


def test_reader_with_javascript_posts_through_the_proof_of_work(
    altcha_site: LiveServer, reader_on: Callable[..., Reader]
) -> None:
    """The solver (served by the site, under its CSP) does the work; the question is hidden."""
    reader = reader_on(altcha_site)
    csp_reports: list[str] = []
    reader.page.on(
        "console", lambda m: csp_reports.append(m.text) if "Content Security" in m.text else None
    )
    text = typed_text("altcha-js")
    reader.open()
    status = reader.respond.locator(".altcha-status")
    expect(status).to_have_text(re.compile("Done"), timeout=60_000)
    expect(reader.respond.locator(".altcha-fallback")).to_be_hidden()
    expect(reader.captcha_field).to_be_disabled()
    payload = json.loads(
        base64.b64decode(reader.respond.locator('[name="captcha_altcha"]').input_value())
    )
    # The browser did the real work the default asks for: 5,000 PBKDF2 rounds a try, "00".
    assert payload["challenge"]["parameters"]["cost"] == 5000
    assert payload["solution"]["derivedKey"].startswith("00")
    print(
        f"altcha solved in Chromium: {payload['solution']['counter'] + 1} tries, "
        f"{payload['solution']['time']} ms"
    )
    reader.screenshot("altcha-solved.png")

    reader.fill(name=NAME, text=text)
    answer = reader.submit()

    assert answer.status == 200
    number = published_number(reader)
    assert PUBLISHED_MESSAGE in reader.status_text()
    assert altcha_site.comments_with_body(text) == [(number, "approved")]
    assert csp_reports == []
    assert reader.console_errors == [], altcha_site.failed_requests()


def test_reader_sending_before_the_work_is_done_is_sent_when_it_is(
    altcha_site: LiveServer, reader_on: Callable[..., Reader]
) -> None:
    """Clicking "Post comment" at once never loses the comment nor asks for the question."""
    reader = reader_on(altcha_site)
    text = typed_text("altcha-early")
    reader.open()
    reader.fill(name=NAME, text=text)
    answer = reader.submit()  # whether or not the work is done yet
    assert answer.status == 200
    number = published_number(reader)
    assert altcha_site.comments_with_body(text) == [(number, "approved")]
    assert reader.console_errors == [], altcha_site.failed_requests()


def test_reader_without_javascript_answers_the_question(
    altcha_site: LiveServer, reader_on: Callable[..., Any]
) -> None:
    """No JavaScript: the math question is there, and answering it posts the comment."""
    reader: Reader = reader_on(altcha_site, java_script_enabled=False)
    text = typed_text("altcha-nojs")
    reader.open()
    expect(reader.captcha_field).to_be_visible()
    expect(reader.captcha_field).to_be_enabled()
    expect(reader.respond.locator(".altcha-status")).to_be_hidden()
    reader.screenshot("altcha-no-javascript.png")
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    answer = reader.submit()

    assert answer.status == 200
    number = published_number(reader)
    assert PUBLISHED_MESSAGE in reader.status_text()
    assert altcha_site.comments_with_body(text) == [(number, "approved")]


def test_reader_without_webcrypto_answers_the_question(
    altcha_site: LiveServer, reader_on: Callable[..., Reader]
) -> None:
    """JavaScript but no WebCrypto (a plain-HTTP site): the question stays, and works."""
    reader = reader_on(altcha_site)
    reader.page.add_init_script(
        "Object.defineProperty(window.crypto, 'subtle', {value: undefined})"
    )
    text = typed_text("altcha-no-webcrypto")
    reader.open()
    expect(reader.captcha_field).to_be_visible()
    expect(reader.captcha_field).to_be_enabled()
    reader.fill(name=NAME, text=text)
    reader.answer_captcha()
    answer = reader.submit()

    assert answer.status == 200
    number = published_number(reader)
    assert altcha_site.comments_with_body(text) == [(number, "approved")]
    assert reader.console_errors == [], altcha_site.failed_requests()


def test_after_a_refused_check_the_prompt_is_what_the_reader_sees(
    altcha_site: LiveServer, reader_on: Callable[..., Reader]
) -> None:
    """The work refused (here: garbled after it was done): the page comes back with a new
    challenge, which the browser works on, the question hidden; the prompt says so, not
    "answer this new question". Once done, the comment goes through."""
    reader = reader_on(altcha_site)
    text = typed_text("altcha-refused")
    reader.open()
    expect(reader.respond.locator(".altcha-status")).to_have_text(
        re.compile("Done"), timeout=60_000
    )
    reader.fill(name=NAME, text=text)
    reader.respond.locator('[name="captcha_altcha"]').evaluate("el => { el.value = 'garbled'; }")
    refused = reader.submit()
    assert refused.status == 422
    prompt = reader.respond.locator("#captcha-error")
    expect(prompt.locator(".altcha-retry-work")).to_be_visible()
    expect(prompt.locator(".altcha-retry-question")).to_be_hidden()
    expect(reader.respond.locator(".altcha-fallback")).to_be_hidden()
    assert prompt.inner_text().strip() == captcha_altcha.RETRY_WORK
    reader.screenshot("altcha-refused.png")
    expect(reader.respond.locator(".altcha-status")).to_have_text(
        re.compile("Done"), timeout=60_000
    )
    answer = reader.submit()
    assert answer.status == 200
    number = published_number(reader)
    assert altcha_site.comments_with_body(text) == [(number, "approved")]


def test_without_javascript_a_refused_answer_asks_the_new_question(
    altcha_site: LiveServer, reader_on: Callable[..., Any]
) -> None:
    reader: Reader = reader_on(altcha_site, java_script_enabled=False)
    reader.open()
    reader.fill(name=NAME, text=typed_text("altcha-nojs-wrong"))
    reader.answer_captcha(right=False)
    assert reader.submit().status == 422
    prompt = reader.respond.locator("#captcha-error")
    expect(prompt.locator(".altcha-retry-work")).to_be_hidden()
    assert prompt.inner_text().strip() == "Please answer this new question."  # as rendered
    expect(reader.captcha_field).to_be_visible()
