"""`blogengine outbox ...` and `blogengine moderation-feed ...`: thin over the mail services."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC
from types import FrameType

import click
from flask.cli import AppGroup

from ..commands import preview, printable, table
from ..timeutil import utcnow
from . import get_mail
from .links import external_url
from .models import MailState

MAIL_OFF = (
    "mail is off (MAIL_SERVER is not set): nothing is queued and the outbox worker has "
    "nothing to do. See MAIL_* in blogengine/config.py."
)


@click.group("outbox", cls=AppGroup)
def outbox_group() -> None:
    """The site's email: send it, list it, retry what failed."""


@outbox_group.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then stop (for scripts).")
def outbox_run(once: bool) -> None:
    """Send queued email, retrying with growing delays; runs until stopped (Ctrl-C, TERM)."""
    mail = get_mail()
    if not mail.settings.enabled:
        click.echo(MAIL_OFF)
        return
    if once:
        report = mail.outbox.run_once()
        click.echo(f"{report.sent} sent, {report.retried} to retry, {report.failed} failed")
        mail.tidy(utcnow())
        return
    # This process only sends: say on the console what each pass did and what failed.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s outbox %(levelname)s %(message)s")
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()  # the message being sent is finished and recorded first

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    s = mail.settings
    click.echo(f"outbox worker: sending through {s.server}:{s.port}, Ctrl-C stops")
    mail.outbox.run_forever(stop, tidy=mail.tidy)


@outbox_group.command("list")
@click.option("--state", type=click.Choice([s.value for s in MailState]), help="Only this state.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def outbox_list(state: str | None, limit: int) -> None:
    """Messages newest first, with their attempts and last error: failures are seen here."""
    mail = get_mail()
    if not mail.settings.enabled:
        click.echo(MAIL_OFF)
    messages = mail.outbox.recent(MailState(state) if state else None, limit=limit)
    if not messages:
        click.echo("The outbox is empty.")
        return
    rows = [
        [
            str(m.id),
            m.state,
            m.kind,
            printable(m.to_addr),
            str(m.attempts),
            (m.sent_at or m.next_attempt_at).astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            preview(m.subject, 50),
            preview(m.last_error or "-", 80),
        ]
        for m in messages
    ]
    headers = ["ID", "STATE", "KIND", "TO", "TRIES", "SENT/NEXT (UTC)", "SUBJECT", "LAST ERROR"]
    click.echo(table(headers, rows))
    counts = mail.outbox.counts()
    click.echo("\n" + ", ".join(f"{n} {state.value}" for state, n in counts.items()))


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, required=True, type=int)
def outbox_retry(ids: tuple[int, ...]) -> None:
    """Queue failed messages again (after fixing MAIL_* settings, say)."""
    queued = get_mail().outbox.retry(ids)
    skipped = sorted(set(ids) - set(queued))
    if queued:
        click.echo(f"queued again: {', '.join(map(str, sorted(queued)))}")
    if skipped:
        raise click.ClickException(
            f"not failed, or no such message: {', '.join(map(str, skipped))} (left as they were)"
        )


@click.group("moderation-feed", cls=AppGroup)
def moderation_feed_group() -> None:
    """The private Atom feed of comments awaiting moderation, at a secret URL."""


@moderation_feed_group.command("rotate")
def moderation_feed_rotate() -> None:
    """Make a new secret URL (and switch the feed on); the old URL stops working at once."""
    token = get_mail().feed_token.rotate()
    click.echo(external_url("mail.moderation_feed", token=token))
    click.echo("Keep it private: whoever has it reads the comments awaiting moderation.")


@moderation_feed_group.command("off")
def moderation_feed_off() -> None:
    """Switch the feed off: its URL answers 404 until the next rotate."""
    was_on = get_mail().feed_token.switch_off()
    click.echo("moderation feed switched off" if was_on else "the moderation feed was off already")
