"""The owner at the desk in Chromium: sign in, write and publish, schedule, rename, moderate.

The desk gets a site of its own (holding every comment for moderation), so what these tests
publish and moderate never changes what the reading and commenting tests see.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from e2e_support import (
    ARTIFACTS,
    PLAYGROUND_SLUG,
    LiveServer,
    Reader,
    build_database,
    create_admin,
    launch_site,
    stop_sites,
    wait_until_up,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

OWNER, PASSWORD = "owner", "a long desk password"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def desk_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A site of its own from a fresh seeded database, holding every comment, with an owner."""
    database = build_database(tmp_path_factory.mktemp("desk-database"))
    server = launch_site(tmp_path_factory.mktemp("desk"), {"COMMENTS_MODERATE_ALL": True}, database)
    try:
        wait_until_up(server)
        create_admin(server, OWNER, PASSWORD)
        yield server
    finally:
        stop_sites([server])


@dataclass
class Owner:
    """The owner in Chromium, at the desk."""

    reader: Reader

    @property
    def page(self) -> Page:
        return self.reader.page

    @property
    def url(self) -> str:
        return self.reader.server.url

    def sign_in(self) -> None:
        self.page.goto(self.url + "/admin/")
        expect(self.page).to_have_url(re.compile(r"/admin/login\?next="))
        self.page.get_by_label("Name").fill(OWNER)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("heading", level=1, name="Comments")).to_be_visible()

    def new_post(self, title: str, text: str) -> None:
        self.page.goto(self.url + "/admin/posts/new")
        self.page.get_by_label("Title").fill(title)
        self.page.get_by_label("Text (Markdown)").fill(text)

    def press(self, button: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()

    def open_post(self, title: str) -> None:
        self.page.goto(self.url + "/admin/posts")
        self.page.get_by_role("link", name=title, exact=True).click()
        expect(self.page.get_by_role("heading", name="Edit post")).to_be_visible()

    def more_fields(self) -> None:
        details = self.page.locator("details.more-fields")
        if details.get_attribute("open") is None:
            details.locator("summary").click()

    def screenshots(self, name: str) -> list[Path]:
        """The page at desktop and phone size, whole, in tests/e2e/artifacts/."""
        ARTIFACTS.mkdir(exist_ok=True)
        paths = []
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(viewport)
            path = ARTIFACTS / f"desk-{name}-{size}.png"
            self.page.screenshot(path=str(path), full_page=True)
            paths.append(path)
        self.page.set_viewport_size(DESKTOP)
        return paths


@pytest.fixture
def owner(desk_site: LiveServer, reader_on: Callable[[LiveServer], Reader]) -> Iterator[Owner]:
    at_desk = Owner(reader_on(desk_site))
    at_desk.page.set_viewport_size(DESKTOP)
    yield at_desk
    assert at_desk.reader.console_errors == [], at_desk.reader.console_errors


@pytest.fixture
def visitor(desk_site: LiveServer, reader_on: Callable[[LiveServer], Reader]) -> Reader:
    return reader_on(desk_site)


def unique(word: str) -> str:
    return f"{word} {uuid.uuid4().hex[:6]}"


def slug_of(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def status_for(visitor: Reader, path: str) -> int:
    answer = visitor.page.request.get(visitor.server.url + path, max_redirects=0)
    return answer.status


def test_sign_in_and_out(owner: Owner, visitor: Reader) -> None:
    owner.page.goto(owner.url + "/admin/login")
    owner.screenshots("login")
    owner.page.get_by_label("Name").fill(OWNER)
    owner.page.get_by_label("Password").fill("not the password")
    owner.page.get_by_role("button", name="Sign in").click()
    expect(owner.page.get_by_role("alert")).to_contain_text("do not match")
    owner.sign_in()
    expect(owner.page.get_by_role("navigation", name="Desk")).to_be_visible()
    owner.press("Sign out")
    expect(owner.page.get_by_role("status")).to_contain_text("You are signed out.")
    owner.page.goto(owner.url + "/admin/settings")
    expect(owner.page).to_have_url(re.compile(r"/admin/login\?next=%2Fadmin%2Fsettings"))
    assert status_for(visitor, "/admin/comments") == 302


def focus_by_tab(page: Page, element_id: str, most: int = 10) -> None:
    """Press Tab until the element with ``element_id`` has the focus, as a keyboard user does."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} never got the focus by Tab")


def test_sign_in_and_approve_with_the_keyboard_only(owner: Owner, visitor: Reader) -> None:
    text = unique("Approved by keyboard")
    leave_comment(visitor, text)
    owner.page.goto(owner.url + "/admin/login")
    focus_by_tab(owner.page, "name")
    owner.page.keyboard.type(OWNER)
    owner.page.keyboard.press("Tab")
    owner.page.keyboard.type(PASSWORD)
    with owner.page.expect_navigation():
        owner.page.keyboard.press("Enter")
    expect(owner.page.get_by_role("heading", level=1, name="Comments")).to_be_visible()
    owner.page.get_by_label("Search text, author, email or address").focus()
    owner.page.keyboard.type(text)
    with owner.page.expect_navigation():
        owner.page.keyboard.press("Enter")
    expect(owner.page.locator(".queue-item")).to_have_count(1)
    approve = owner.page.get_by_role("button", name=re.compile(r"^Approve"))
    for _ in range(40):  # past the header's links, the tabs, the search and the bulk bar
        owner.page.keyboard.press("Tab")
        if approve.evaluate("el => el === document.activeElement"):
            break
    assert approve.evaluate("el => el === document.activeElement"), "Tab reaches Approve"
    with owner.page.expect_navigation():
        owner.page.keyboard.press("Enter")
    expect(owner.page.get_by_role("status")).to_contain_text("1 comment approved.")


def test_write_a_draft_preview_publish_and_see_it_on_the_index(
    owner: Owner, visitor: Reader
) -> None:
    owner.sign_in()
    title = unique("Written at the desk")
    owner.new_post(title, "Some **bold** words.\n\n- a list\n- of two")
    owner.press("Preview")
    preview = owner.page.get_by_role("region", name="Preview")
    expect(preview.locator("strong")).to_have_text("bold")
    expect(preview.locator("li")).to_have_count(2)
    owner.screenshots("post-preview")
    owner.press("Save draft")
    expect(owner.page.get_by_role("status")).to_contain_text("Saved as a draft")
    assert status_for(visitor, f"/posts/{slug_of(title)}") == 404
    owner.press("Publish now")
    expect(owner.page.get_by_role("status")).to_contain_text("Published")
    visitor.page.goto(visitor.server.url + "/")
    expect(visitor.page.get_by_role("link", name=title, exact=True)).to_be_visible()
    visitor.page.get_by_role("link", name=title, exact=True).click()
    expect(visitor.page.locator(".post-body strong")).to_have_text("bold")
    owner.page.goto(owner.url + "/admin/posts")
    expect(owner.page.get_by_role("row", name=re.compile(re.escape(title)))).to_contain_text(
        "published"
    )
    owner.screenshots("posts")


def test_a_scheduled_post_is_404_for_readers(owner: Owner, visitor: Reader) -> None:
    owner.sign_in()
    title = unique("Coming later")
    owner.new_post(title, "Not yet.")
    owner.more_fields()
    later = datetime.now(UTC) + timedelta(days=2)
    owner.page.get_by_label("Date (UTC)").fill(later.strftime("%Y-%m-%dT%H:%M"))
    owner.press("Schedule")
    expect(owner.page.get_by_role("status")).to_contain_text("Scheduled: readers see it from")
    assert status_for(visitor, f"/posts/{slug_of(title)}") == 404
    visitor.page.goto(visitor.server.url + "/")
    expect(visitor.page.get_by_role("link", name=title, exact=True)).to_have_count(0)
    feed = visitor.page.request.get(visitor.server.url + "/feed.atom").text()
    assert title not in feed


def test_a_new_slug_and_the_old_address_answers_301(owner: Owner, visitor: Reader) -> None:
    owner.sign_in()
    title = unique("Renamed later")
    owner.new_post(title, "Text.")
    owner.press("Publish now")
    old = slug_of(title)
    owner.more_fields()
    owner.page.get_by_label("Slug (the address)").fill(old + "-renamed")
    owner.screenshots("post-edit")
    owner.press("Save changes")
    moved = visitor.page.request.get(f"{visitor.server.url}/posts/{old}", max_redirects=0)
    assert moved.status == 301
    assert moved.headers["location"] == f"/posts/{old}-renamed"
    answer = visitor.page.goto(f"{visitor.server.url}/posts/{old}")
    assert answer is not None and answer.status == 200
    assert visitor.page.url.endswith(f"/posts/{old}-renamed")
    expect(visitor.page.get_by_role("heading", level=1)).to_have_text(title)


def test_trash_and_restore_a_post(owner: Owner, visitor: Reader) -> None:
    owner.sign_in()
    title = unique("Into the trash")
    owner.new_post(title, "Text.")
    owner.press("Publish now")
    owner.press("Move to trash")
    expect(owner.page.get_by_role("status")).to_contain_text("moved to the trash")
    assert status_for(visitor, f"/posts/{slug_of(title)}") == 404
    owner.page.get_by_role("link", name=title, exact=True).click()
    owner.page.get_by_role("link", name="Delete for good…").click()
    expect(owner.page.get_by_role("heading", level=1)).to_contain_text("for good?")
    owner.screenshots("post-delete")
    owner.page.go_back()
    owner.press("Restore as a draft")
    expect(owner.page.get_by_role("status")).to_contain_text("restored as a draft")
    owner.press("Publish now")
    assert status_for(visitor, f"/posts/{slug_of(title)}") == 200


def leave_comment(visitor: Reader, text: str) -> None:
    visitor.open(PLAYGROUND_SLUG)
    visitor.fill(name="A reader", text=text)
    visitor.answer_captcha()
    visitor.submit()
    expect(visitor.page.get_by_role("status").first).to_contain_text("awaiting moderation")


def queue_item(owner: Owner, text: str):  # type: ignore[no-untyped-def]
    return owner.page.locator(".queue-item", has_text=text)


def test_moderate_approve_and_spam_one_by_one(owner: Owner, visitor: Reader) -> None:
    keep, junk = unique("Worth publishing"), unique("Buy cheap things")
    leave_comment(visitor, keep)
    leave_comment(visitor, junk)
    owner.sign_in()
    badge = owner.page.locator("#badge-pending")
    expect(badge).to_be_visible()
    item = queue_item(owner, keep)
    expect(item).to_contain_text("A post for the browser tests")
    expect(item).to_contain_text("127.0.0.1")
    expect(item).to_contain_text("CAPTCHA: passed (math)")
    owner.screenshots("comments")
    with owner.page.expect_navigation():
        item.get_by_role("button", name=re.compile(r"^Approve")).click()
    expect(owner.page.get_by_role("status")).to_contain_text("1 comment approved.")
    with owner.page.expect_navigation():
        queue_item(owner, junk).get_by_role("button", name=re.compile(r"^Spam")).click()
    expect(owner.page.get_by_role("status")).to_contain_text("1 comment marked as spam.")
    visitor.open(PLAYGROUND_SLUG)
    expect(visitor.page.locator("#comments")).to_contain_text(keep)
    expect(visitor.page.locator("#comments")).not_to_contain_text(junk)
    owner.page.get_by_role("link", name=re.compile(r"^Spam")).click()
    expect(queue_item(owner, junk)).to_be_visible()


def test_bulk_select_all_on_the_page(owner: Owner, visitor: Reader) -> None:
    texts = [unique("Bulk comment") for _ in range(3)]
    for text in texts:
        leave_comment(visitor, text)
    owner.sign_in()
    owner.page.get_by_label("Search text, author, email or address").fill("Bulk comment")
    owner.press("Search")
    expect(owner.page.locator(".queue-item")).to_have_count(3)
    select_all = owner.page.get_by_label("Select all on this page")
    expect(select_all).to_be_visible()  # desk.js shows it (no inline script: CSP holds)
    select_all.check()
    for box in owner.page.locator('.queue-item input[name="ids"]').all():
        expect(box).to_be_checked()
    owner.page.get_by_label("Decision for the selected comments").select_option("trash")
    owner.press("Apply to selected")
    expect(owner.page.get_by_role("status")).to_contain_text("3 comments moved to trash.")
    owner.page.goto(owner.url + "/admin/comments?status=deleted&q=Bulk+comment")
    expect(owner.page.locator(".queue-item")).to_have_count(3)


def test_the_settings_page(owner: Owner) -> None:
    owner.sign_in()
    owner.page.get_by_role("navigation", name="Desk").get_by_role("link", name="Settings").click()
    expect(owner.page.get_by_role("heading", name=re.compile("CAPTCHA"))).to_be_visible()
    expect(owner.page.locator("main")).to_contain_text("math")
    expect(owner.page.locator("main")).to_contain_text("built-in")
    owner.screenshots("settings")


def test_change_the_password_on_the_account_page(
    desk_site: LiveServer, reader_on: Callable[[LiveServer], Reader]
) -> None:
    """A second owner account (the shared one's password stays as the other tests need it)."""
    name, old, new = unique("keeper"), "the first password", "the second password"
    create_admin(desk_site, name, old)
    page = reader_on(desk_site).page

    def sign_in(password: str) -> None:
        page.goto(desk_site.url + "/admin/login")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    sign_in(old)
    page.get_by_role("link", name="Account").click()
    page.get_by_label("Current password").fill("not it at all")
    page.get_by_label(re.compile(r"^New password(?! again)")).fill(new)
    page.get_by_label("New password again").fill(new)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("your current password is not right")
    page.get_by_label("Current password").fill(old)
    page.get_by_label(re.compile(r"^New password(?! again)")).fill(new)
    page.get_by_label("New password again").fill(new)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    page.get_by_role("button", name="Sign out").click()
    sign_in(old)
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    sign_in(new)
    expect(page.get_by_role("heading", level=1, name="Comments")).to_be_visible()
