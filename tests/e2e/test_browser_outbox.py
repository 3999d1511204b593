"""The owner sees an email that failed, sends it again, and rotates the moderation feed.

A site with mail on whose SMTP port nothing listens at first: a reader's held comment queues
the owner's notice, `blogengine outbox run --once` (the worker's real command) fails to send
it, the desk shows why; then a real SMTP server (aiosmtpd) comes up on that port, the owner
presses "Send again", and the next worker pass delivers it.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Callable, Iterator

import pytest
from e2e_support import (
    BIN,
    PROJECT,
    LiveServer,
    Reader,
    build_database,
    create_admin,
    launch_site,
    stop_sites,
    wait_until_up,
)
from mail_support import Inbox, free_port, mail_config, smtp_server
from playwright.sync_api import expect
from test_browser_desk import DESKTOP, OWNER, PASSWORD, Owner, leave_comment

pytestmark = pytest.mark.e2e

OWNER_ADDRESS = "owner@blog.test"


class OutboxSite:
    """A site with mail on, the SMTP port it sends to, and the worker's one-pass command."""

    def __init__(self, server: LiveServer, smtp_port: int) -> None:
        self.server = server
        self.smtp_port = smtp_port

    def run_worker_once(self) -> str:
        result = subprocess.run(
            [str(BIN / "blogengine"), "outbox", "run", "--once"],
            cwd=PROJECT,
            env=self.server.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout


@pytest.fixture(scope="module")
def outbox_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutboxSite]:
    port = free_port()  # nothing listens here until the test starts a server
    database = build_database(tmp_path_factory.mktemp("outbox-database"))
    config = {**mail_config(port, MAIL_MAX_ATTEMPTS=1), "COMMENTS_MODERATE_ALL": True}
    server = launch_site(tmp_path_factory.mktemp("outbox-site"), config, database)
    try:
        wait_until_up(server)
        create_admin(server, OWNER, PASSWORD)
        yield OutboxSite(server, port)
    finally:
        stop_sites([server])


@pytest.fixture
def owner(outbox_site: OutboxSite, reader_on: Callable[[LiveServer], Reader]) -> Iterator[Owner]:
    at_desk = Owner(reader_on(outbox_site.server))
    at_desk.page.set_viewport_size(DESKTOP)
    yield at_desk
    assert at_desk.reader.console_errors == [], at_desk.reader.console_errors


def test_a_failed_email_is_seen_and_sent_again(
    outbox_site: OutboxSite, owner: Owner, reader_on: Callable[[LiveServer], Reader]
) -> None:
    text = f"Held until the owner reads it {uuid.uuid4().hex[:6]}"
    leave_comment(reader_on(outbox_site.server), text)
    assert "1 failed" in outbox_site.run_worker_once()  # the SMTP port is closed

    owner.sign_in()
    outbox_link = owner.page.get_by_role("navigation", name="Desk").get_by_role(
        "link", name="Outbox"
    )
    expect(outbox_link.locator("#badge-failed")).to_have_text("1 failed")
    outbox_link.click()
    expect(owner.page.get_by_role("heading", level=1, name="Outbox")).to_be_visible()
    owner.page.get_by_role("link", name="Failed (1)").click()
    failed = owner.page.locator(".outbox-item")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text(OWNER_ADDRESS)
    expect(failed).to_contain_text("Held for moderation")
    expect(failed).to_contain_text("refused the connection")
    expect(failed).to_contain_text("ConnectionRefusedError")
    paths = owner.screenshots("outbox")
    assert all(path.stat().st_size > 0 for path in paths)

    inbox = Inbox()
    with smtp_server(inbox, port=outbox_site.smtp_port):
        send_again = failed.get_by_role("button", name=re.compile(r"^Send again message \d+"))
        with owner.page.expect_navigation():
            send_again.click()
        expect(owner.page.get_by_role("status")).to_contain_text("is queued again")
        expect(owner.page.locator(".outbox-item")).to_have_count(0)
        assert "1 sent" in outbox_site.run_worker_once()
    (delivered,) = inbox.to(OWNER_ADDRESS)
    assert "Held for moderation" in delivered["Subject"]

    owner.page.reload()  # the page was drawn before the worker's pass
    owner.page.get_by_role("link", name="Sent (1)").click()
    expect(owner.page.locator(".outbox-item")).to_contain_text("Held for moderation")
    expect(owner.page.locator("#badge-failed")).to_have_count(0)


def test_rotate_the_moderation_feed_address_and_turn_it_off(owner: Owner) -> None:
    owner.sign_in()
    owner.page.get_by_role("navigation", name="Desk").get_by_role("link", name="Settings").click()
    feed = owner.page.locator("#moderation-feed")
    expect(feed).to_contain_text("The feed is off")
    addresses = []
    for _ in range(2):
        owner.press("Make a new secret address")
        address = owner.page.get_by_label("The feed's new address").input_value()
        assert address.startswith(owner.url + "/moderation/") and address.endswith(".atom")
        addresses.append(address)
        if len(addresses) == 1:
            owner.screenshots("moderation-feed")
        expect(feed).to_contain_text("The feed is on")
    old, new = addresses
    assert owner.page.request.get(old).status == 404
    answer = owner.page.request.get(new)
    assert answer.status == 200 and "atom" in answer.headers["content-type"]

    owner.page.goto(owner.url + "/admin/settings")  # the address was shown once, not again
    expect(owner.page.get_by_label("The feed's new address")).to_have_count(0)
    owner.press("Turn off")
    expect(owner.page.get_by_role("status")).to_contain_text("The moderation feed is off")
    expect(feed).to_contain_text("The feed is off")
    assert owner.page.request.get(new).status == 404
