"""Email end to end: gunicorn serves, `blogengine outbox run` sends (as `make run` starts them),
a real SMTP server (aiosmtpd) receives, and a reader in Chromium follows the links.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from e2e_support import (
    BIN,
    PLAYGROUND_SLUG,
    PLAYGROUND_TITLE,
    PROJECT,
    LiveServer,
    Reader,
    build_database,
    launch_site,
    stop_sites,
    wait_until_up,
)
from mail_support import Inbox, body_of, link_in, mail_config, smtp_server
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

READER = "zoe@example.org"
OWNER = "owner@blog.test"

_REPLY = f"""
import sys
from blogengine import create_app
from blogengine.comments import get_service
from blogengine.comments.contracts import CommentDraft, PostRef
from blogengine.extensions import db
from blogengine.models import Post
from sqlalchemy import select

parent_id, text = sys.argv[1], sys.argv[2]
app = create_app()
with app.app_context():
    post = db.session.scalar(select(Post).where(Post.slug == {PLAYGROUND_SLUG!r}))
    draft = CommentDraft(post_id=post.uid, author="Grace", body=text, parent_id=parent_id,
                         fields={{"captcha_answer": "human"}})
    print(get_service().submit(draft, PostRef(post.uid, post.title)).kind.value)
"""


class MailSite:
    """A site with mail on, its outbox worker process, and the SMTP server's inbox."""

    def __init__(self, server: LiveServer, worker: subprocess.Popen[bytes], inbox: Inbox) -> None:
        self.server = server
        self.worker = worker
        self.inbox = inbox

    def wait_for(self, to: str, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """The messages to ``to`` once there are ``count`` of them (the worker sends them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.inbox.to(to)
            if len(found) >= count:
                return found
            assert self.worker.poll() is None, "the outbox worker stopped"
            time.sleep(0.1)
        raise AssertionError(f"{count} message(s) to {to} not delivered: {self.inbox.messages}")

    def queued_for(self, to: str) -> int:
        """Messages to ``to`` in the outbox in any state (what the site ever meant to send)."""
        with sqlite3.connect(self.server.db_path, timeout=10) as conn:
            (count,) = conn.execute(
                "SELECT count(*) FROM outbox WHERE to_addr = ?", (to,)
            ).fetchone()
        return int(count)

    def reply(self, parent_id: str, text: str) -> None:
        """A reply to ``parent_id``, stored through the comment service (as the reply form does)."""
        result = subprocess.run(
            [str(BIN / "python"), "-c", _REPLY, parent_id, text],
            cwd=PROJECT,
            # The script answers the `fixed` CAPTCHA (the site's readers get `math`); without
            # a request, links in emails start with SITE_URL.
            env={
                **self.server.env,
                "BLOGENGINE_COMMENTS_CAPTCHA": "fixed",
                "BLOGENGINE_SITE_URL": self.server.url,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.stdout.strip() == "published", result.stderr[-2000:]

    def comment_id(self, body_tag: str) -> str:
        with sqlite3.connect(self.server.db_path, timeout=10) as conn:
            (comment_id,) = conn.execute(
                "SELECT id FROM comments WHERE body LIKE ?", (f"%{body_tag}%",)
            ).fetchone()
        return str(comment_id)


@pytest.fixture(scope="module")
def mail_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSite]:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        database = build_database(tmp_path_factory.mktemp("mail-database"))
        root = tmp_path_factory.mktemp("mail-site")
        config = mail_config(port, MAIL_WORKER_INTERVAL=0.2)
        server = launch_site(root, config, database)
        worker_log = (root / "worker.log").open("wb")
        worker = subprocess.Popen(
            [str(BIN / "blogengine"), "outbox", "run"],
            cwd=PROJECT,
            env=server.env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(server)
            yield MailSite(server, worker, inbox)
        finally:
            stop_sites([server])
            worker.terminate()  # SIGTERM: the worker finishes the message in hand, then exits
            code = worker.wait(timeout=15)
            worker_log.close()
            assert code == 0, (root / "worker.log").read_text()


def test_a_reader_subscribes_confirms_is_told_and_unsubscribes(
    mail_site: MailSite, reader_on: Callable[[LiveServer], Reader]
) -> None:
    reader = reader_on(mail_site.server)
    reader.open()
    reader.fill(name="Zoë", text="[mail-e2e] Tell me when someone answers.")
    reader.respond.get_by_role("textbox", name=re.compile(r"^\s*Email\b")).fill(READER)
    box = reader.respond.get_by_label("Email me replies to my comment", exact=False)
    box.check()
    reader.answer_captcha()
    reader.screenshot("mail-form.png")
    assert reader.submit().status == 200

    (confirmation,) = mail_site.wait_for(READER, 1)
    owner_notice = mail_site.wait_for(OWNER, 1)[0]
    assert "[mail-e2e] Tell me when someone answers." in body_of(owner_notice)
    assert PLAYGROUND_TITLE in str(confirmation["Subject"])
    confirm_url = link_in(confirmation, "/replies/confirm/")

    confirm = reader_on(mail_site.server)  # the link opens in another browser: no cookie needed
    confirm.page.goto(confirm_url)
    confirm.screenshot("mail-confirm.png")
    confirm.page.get_by_role("button", name="Yes, email me replies").click()
    expect(confirm.page.get_by_role("heading", name="Confirmed")).to_be_visible()

    ada = mail_site.comment_id("[mail-e2e]")
    mail_site.reply(ada, "[mail-e2e-reply] Here is an answer.")
    _, notice = mail_site.wait_for(READER, 2)
    assert "[mail-e2e-reply] Here is an answer." in body_of(notice)
    unsubscribe_url = link_in(notice, "/replies/unsubscribe/")
    assert notice["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    leave = reader_on(mail_site.server)
    leave.page.goto(unsubscribe_url)
    leave.page.get_by_role("button", name="Stop emailing me replies").click()
    expect(leave.page.get_by_role("heading", name="Unsubscribed")).to_be_visible()
    leave.screenshot("mail-unsubscribed.png")

    mail_site.reply(ada, "[mail-e2e-reply-2] Another answer, not emailed.")
    assert mail_site.queued_for(READER) == 2  # nothing more was ever queued for Zoë


def test_the_reply_box_needs_an_email(
    mail_site: MailSite, reader_on: Callable[[LiveServer], Reader]
) -> None:
    reader = reader_on(mail_site.server)
    reader.open()
    text = "[mail-e2e-noemail] No address given."
    reader.fill(name="Zoë", text=text)
    reader.respond.get_by_label("Email me replies to my comment", exact=False).check()
    reader.answer_captcha()
    assert reader.submit().status == 422
    assert "please give your email address" in reader.alert_text() + reader.page.content()
    assert reader.comment_field.input_value() == text
    expect(reader.respond.get_by_label("Email me replies", exact=False)).to_be_checked()


def test_worker_log_says_what_it_does(mail_site: MailSite) -> None:
    log = Path(mail_site.server.root / "worker.log")
    mail_site.wait_for(OWNER, 1)
    assert "outbox worker: sending through 127.0.0.1" in log.read_text()
