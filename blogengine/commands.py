"""The owner's commands: plugins, comments (list/approve/spam/delete), posts, create-admin.

Each command works through the same objects the site uses (the registry, the comment service,
the models), so what the terminal shows and changes is what readers see.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .backup import backup_command
from .blog import newest_first
from .comments.contracts import Status, StoredComment
from .comments.moderation import Decision, UnknownComments
from .extensions import db
from .models import Post
from .rendering import markdown_html, plain_excerpt
from .slugs import unique_slug
from .spam.commands import spam_group
from .timeutil import utcnow

SLOT_TITLES = {"captcha": "captcha", "spam_filters": "spam filter", "comment_stores": "store"}
TEXT_PREVIEW = 60


def register_commands(app: Flask) -> None:
    """Add the owner's commands to ``app.cli``."""
    app.cli.add_command(plugins_command)
    app.cli.add_command(comments_group)
    app.cli.add_command(posts_group)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(spam_group)


# -- output helpers ----------------------------------------------------------------------
def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is not padded (no trailing blanks)."""
    rows = [list(row) for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths, strict=False)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


def printable(text: str | None) -> str:
    """A reader's text made safe for the owner's terminal: no escape codes, one line."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return "".join(
        "?" if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") else ch for ch in flat
    )


def preview(text: str, limit: int = TEXT_PREVIEW) -> str:
    flat = printable(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- blogengine plugins ------------------------------------------------------------------
@click.command("plugins")
@with_appcontext
def plugins_command() -> None:
    """Show every comment backend and its origin.

    Also whether it is in use and, for spam filters, its place in the chain: what to check
    when a plugin seems to be ignored.
    """
    from .comments import get_registry, get_service
    from .comments.registry import SLOTS

    registry, service = get_registry(), get_service()
    config = current_app.config
    chain = service.chain.names
    active = {"captcha": {config["COMMENTS_CAPTCHA"]}, "comment_stores": {config["COMMENTS_STORE"]}}
    rows = []
    for slot in SLOTS:
        for entry in registry.entries(slot):
            if slot == "spam_filters":
                used = f"yes, #{chain.index(entry.name) + 1}" if entry.name in chain else "no"
            else:
                used = "yes" if entry.name in active[slot] else "no"
            rows.append([SLOT_TITLES[slot], entry.name, used, entry.origin])
    click.echo(table(["SLOT", "NAME", "ACTIVE", "ORIGIN"], rows))
    if chain:
        click.echo(f"\nspam-filter chain, in order: {' -> '.join(chain)}")


# -- blogengine comments ...  ------------------------------------------------------------
@click.group("comments", cls=AppGroup)
def comments_group() -> None:
    """List and moderate comments from the terminal."""


@comments_group.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in Status]),
    help="Only this status (default: every status).",
)
@click.option("--post", "slug", metavar="SLUG", help="Only this post's comments.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def comments_list(status: str | None, slug: str | None, limit: int) -> None:
    """List comments, newest first.

    With --post, that post's comments in number order. The verdict trail says which filter
    said what, so the owner sees why a comment was held.
    """
    from .comments import get_service

    store = get_service().store
    wanted = Status(status) if status else None
    if slug is not None:
        post = _post_by_slug(slug)
        comments = store.list_for_post(post.uid, status=wanted, limit=limit)
    else:
        statuses = [wanted] if wanted else list(Status)
        found = [c for s in statuses for c in store.list_by_status(s, limit=limit)]
        comments = sorted(found, key=lambda c: c.created_at, reverse=True)[:limit]
    if not comments:
        click.echo("No comments.")
        return
    slugs = _slugs_by_uid({c.post_id for c in comments})
    rows = [
        [
            c.id,
            slugs.get(c.post_id, f"? {c.post_id}"),
            str(c.number),
            preview(c.author, 24),
            c.status.value,
            c.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            preview(c.body),
            printable("; ".join(f"{v.source}: {v.reason}" for v in c.verdicts)) or "-",
        ]
        for c in comments
    ]
    headers = ["ID", "POST", "#", "AUTHOR", "STATUS", "TIME (UTC)", "TEXT", "VERDICTS"]
    click.echo(table(headers, rows))


def _decide(decision: Decision, ids: Sequence[str]) -> None:
    """Apply the owner's decision through the moderation service (learning filters learn).

    Ids may be shortened to a unique start (at least 4 characters); every id is checked
    before anything changes, so a typo leaves the store as it was.
    """
    from .comments import get_moderation

    try:
        comments = get_moderation().decide(decision, ids, prefixes=True)
    except UnknownComments as exc:
        raise click.ClickException(f"{exc} (`blogengine comments list` shows the ids)") from exc
    for comment in comments:
        click.echo(f"{decision.done}: {_describe(comment)}")


@comments_group.command("approve")
@click.argument("ids", nargs=-1, required=True)
def comments_approve(ids: tuple[str, ...]) -> None:
    """Publish comments (ids or their first characters).

    Held ones, or ones marked spam by mistake; learning filters learn from the decision.
    """
    _decide(Decision.APPROVE, ids)


@comments_group.command("spam")
@click.argument("ids", nargs=-1, required=True)
def comments_spam(ids: tuple[str, ...]) -> None:
    """Mark comments as spam.

    They stay in the store for review; learning filters learn from the decision.
    """
    _decide(Decision.SPAM, ids)


@comments_group.command("not-spam")
@click.argument("ids", nargs=-1, required=True)
def comments_not_spam(ids: tuple[str, ...]) -> None:
    """Publish comments wrongly marked as spam; learning filters learn from the decision."""
    _decide(Decision.NOT_SPAM, ids)


@comments_group.command("delete")
@click.argument("ids", nargs=-1, required=True)
@click.option("--purge", is_flag=True, help="Remove for good instead of moving to the trash.")
def comments_delete(ids: tuple[str, ...], purge: bool) -> None:
    """Move comments to the trash (status deleted, text kept), or purge them for good."""
    _decide(Decision.DELETE if purge else Decision.TRASH, ids)


@comments_group.command("restore")
@click.argument("ids", nargs=-1, required=True)
def comments_restore(ids: tuple[str, ...]) -> None:
    """Take comments out of the trash; they wait in pending for approval."""
    _decide(Decision.RESTORE, ids)


def _describe(comment: StoredComment) -> str:
    slug = _slugs_by_uid({comment.post_id}).get(comment.post_id, comment.post_id)
    return f"{comment.id} ({slug} #{comment.number} by {preview(comment.author, 40)})"


# -- blogengine posts ... ----------------------------------------------------------------
@click.group("posts", cls=AppGroup)
def posts_group() -> None:
    """Add and list posts."""


@posts_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", help="Default: the file's first '# ' heading.")
@click.option("--slug", help="Default: made from the title.")
@click.option("--author")
@click.option(
    "--publish-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="YYYY-MM-DD (UTC). Default: now.",
)
def posts_add(
    file: Path,
    title: str | None,
    slug: str | None,
    author: str | None,
    publish_date: datetime | None,
) -> None:
    """Add a post from a Markdown file, rendered and sanitised once, now."""

    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text: {exc}") from exc
    heading, body = split_title(source)
    title = (title or heading or "").strip()
    if not title:
        raise click.ClickException(f"{file} has no '# ' heading: give the title with --title")
    if not slug:  # made from the title by the seed importer's rules, -2 on a clash
        slug = unique_slug(title, _slug_taken)
    elif _slug_taken(slug):
        raise click.ClickException(f"a post with slug {slug!r} exists; choose another --slug")
    html = markdown_html(body)
    post = Post(
        title=title,
        slug=slug,
        author=author,
        body_format="markdown",
        body_source=body,
        body_html=html,
        excerpt=plain_excerpt(html),
        published_at=publish_date.replace(tzinfo=UTC) if publish_date else utcnow(),
    )
    db.session.add(post)
    db.session.commit()
    click.echo(f"added post {post.slug!r}: {post.title}")


def split_title(source: str) -> tuple[str | None, str]:
    """The first line's '# ' heading (the title) and the rest; the page shows the title itself."""
    lines = source.lstrip("\ufeff").splitlines()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.startswith("# "):
            return line[2:].strip().rstrip("#").strip(), "\n".join(lines[i + 1 :]).strip("\n")
        break
    return None, source


def _slug_taken(slug: str) -> bool:
    """Slugs are the posts' URLs, so no two posts share one."""
    return db.session.scalar(select(Post.id).where(Post.slug == slug)) is not None


@posts_group.command("list")
def posts_list() -> None:
    """Posts newest first, with their approved comment counts."""
    from .comments import get_service

    posts = db.session.scalars(select(Post).order_by(*newest_first())).all()
    if not posts:
        click.echo("No posts.")
        return
    counts = get_service().store.count_for_posts([p.uid for p in posts])
    rows = [
        [
            p.slug,
            p.sort_time.strftime("%Y-%m-%d"),
            str(counts.get(p.uid, 0)),
            p.author or "-",
            p.title,
        ]
        for p in posts
    ]
    click.echo(table(["SLUG", "DATE", "COMMENTS", "AUTHOR", "TITLE"], rows))


# -- blogengine create-admin -------------------------------------------------------------
PASSWORD_ENV = "BLOGENGINE_ADMIN_PASSWORD"


@click.command("create-admin")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_admin_command(username: str, password_stdin: bool) -> None:
    """Create an owner account (to sign in at /admin/).

    The password is asked twice, unseen. When standard input is not a terminal it is read
    from the BLOGENGINE_ADMIN_PASSWORD environment variable if set (for scripts), or from
    standard input with --password-stdin.
    """
    from .owner import AccountError, create_owner

    from_env = os.environ.get(PASSWORD_ENV)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif from_env is not None and not sys.stdin.isatty():
        password = from_env
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        create_owner(username, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created owner account {username.strip()!r}: sign in at /admin/login")


# -- shared lookups ----------------------------------------------------------------------
def _post_by_slug(slug: str) -> Post:
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    if post is None:
        raise click.ClickException(f"no post with slug {slug!r} (`blogengine posts list`)")
    return post


def _slugs_by_uid(uids: set[str]) -> dict[str, str]:
    rows = db.session.execute(select(Post.uid, Post.slug).where(Post.uid.in_(uids)))
    return {uid: slug for uid, slug in rows}
