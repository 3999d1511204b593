"""A reader in Chromium reads the archived article that `blogengine seed` imported."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from e2e_support import SEED_TITLE, Reader
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

BROKEN_IMAGES_JS = """() => Array.from(document.images)
    .filter(img => !img.complete || img.naturalWidth === 0)
    .map(img => img.currentSrc || img.src || img.outerHTML)"""


def test_archived_article_reads_whole(reader: Reader) -> None:
    """Title, byline, figure placeholder, 11 numbered comments; nothing broken or noisy."""
    page = reader.page
    page.goto(reader.server.url + "/")
    page.get_by_role("link", name=SEED_TITLE).first.click()
    page.wait_for_load_state("load")

    expect(page.get_by_role("heading", level=1)).to_have_text(SEED_TITLE)
    article = page.locator("article").first
    expect(article).to_contain_text(
        re.compile(r"by\s+Hillary Mann Leverett\s+for\s+The Washington Note")
    )
    figure = article.get_by_role("figure")
    expect(figure).to_have_count(1)
    expect(figure).to_be_visible()
    expect(figure).to_contain_text(re.compile(r"hillary mann leverett", re.IGNORECASE))

    expect(page.get_by_role("heading", name=re.compile(r"^11 comments on "))).to_be_visible()
    expect(page.locator('#comments [id^="comment-"]')).to_have_count(11)
    for number in range(1, 12):
        item = page.locator(f"#comment-{number}")
        expect(item).to_be_visible()
        expect(item.get_by_role("link", name=re.compile(rf"(^|\s){number}$"))).to_have_count(1)
    expect(page.locator("#comment-4")).to_contain_text("daCascadian says:")
    expect(page.locator("#comment-1")).to_contain_text("Everything will be Utopic is myopic says:")

    assert page.evaluate(BROKEN_IMAGES_JS) == []
    assert reader.console_errors == [], reader.server.failed_requests()
    reader.screenshot("post-page.png")
    page.set_viewport_size({"width": 390, "height": 844})
    reader.screenshot("post-page-narrow.png")
    assert reader.console_errors == [], reader.server.failed_requests()


def test_index_lists_the_article(reader: Reader) -> None:
    """The front page links the article and counts its comments."""
    page = reader.page
    answer = page.goto(reader.server.url + "/")
    assert answer is not None and answer.status == 200
    expect(page.get_by_role("link", name=SEED_TITLE).first).to_be_visible()
    expect(page.locator("body")).to_contain_text(re.compile(r"\b11 comments\b"))
    assert page.evaluate(BROKEN_IMAGES_JS) == []
    assert reader.console_errors == [], reader.server.failed_requests()
    reader.screenshot("index.png")


def test_site_has_an_icon(reader: Reader) -> None:
    """The page's icon resolves: Chromium asks for /favicon.ico otherwise, and a 404 is a
    console error on a reader's first page."""
    page = reader.page
    reader.open()
    links = page.locator('link[rel~="icon"]')
    href = (links.first.get_attribute("href") if links.count() else None) or "/favicon.ico"
    if href.startswith("data:"):
        return
    answer = page.request.get(urljoin(page.url, href))
    assert answer.ok, f"the site's icon {href} answers {answer.status}"
