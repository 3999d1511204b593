"""The owner's commands: plugins, comments (list/approve/spam/delete), posts, create-admin.

Each command works through the same objects the site uses (the registry, the comment service,
the models), so what the terminal shows and changes is what readers see.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .backup import backup_command
from .comments.contracts import Status, StoredComment
from .comments.moderation import Decision, UnknownComments
from .extensions import db
from .models import Post
from .posts import service as posts
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
    app.cli.add_command(set_password_command)
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
    from .comments import backend_facts, get_service

    chain = get_service().chain.names
    rows = [
        [
            SLOT_TITLES[fact.slot],
            fact.name,
            (f"yes, #{fact.position}" if fact.position else "yes") if fact.active else "no",
            fact.origin,
        ]
        for fact in backend_facts()
    ]
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
        comments = sorted(found, key=_newest_first)[:limit]
    if not comments:
        click.echo("No comments.")
        return
    slugs = _slugs_by_uid({c.post_id for c in comments})
    rows = [
        [
            c.id,
            slugs.get(c.post_id, f"? {c.post_id}"),
            str(c.number) if c.number is not None else "-",
            preview(c.author, 24),
            c.status.value,
            c.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if c.created_at else "-",
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
    number = f"#{comment.number}" if comment.number is not None else "unnumbered"
    return f"{comment.id} ({slug} {number} by {preview(comment.author, 40)})"


# -- blogengine posts ... ----------------------------------------------------------------
@click.group("posts", cls=AppGroup)
def posts_group() -> None:
    """Add and list posts."""


DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]


@posts_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", help="Default: the file's first '# ' heading.")
@click.option("--slug", help="Default: made from the title.")
@click.option("--author")
@click.option(
    "--publish-date",
    type=click.DateTime(formats=DATE_FORMATS),
    help="YYYY-MM-DD [HH:MM] (UTC). Default: now. A future date schedules the post.",
)
@click.option("--draft", is_flag=True, help="Keep it as a draft (publish it later).")
def posts_add(
    file: Path,
    title: str | None,
    slug: str | None,
    author: str | None,
    publish_date: datetime | None,
    draft: bool,
) -> None:
    """Add a post from a Markdown file, rendered and sanitised once, now.

    A file whose title and text are already a post is refused, so running it twice does
    not make a copy.
    """
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text: {exc}") from exc
    heading, body = split_title(source)
    title = (title or heading or "").strip()
    if not title:
        raise click.ClickException(f"{file} has no '# ' heading: give the title with --title")
    existing = posts.find_duplicate(title, body)
    if existing is not None:
        raise click.ClickException(
            f"{file} is already the post {existing.slug!r} ({posts.display_status(existing)}): "
            "nothing was added (`blogengine posts edit` changes it)"
        )
    when = _utc(publish_date)
    data = posts.PostInput(title=title, body=body, slug=slug, author=author, published_at=when)
    mode = posts.Publish.DRAFT if draft else _publish_mode(when)
    post = _posts_call(posts.create, data, mode)
    click.echo(f"added post {post.slug!r}: {post.title} ({_status_words(post)})")


def _utc(when: datetime | None) -> datetime | None:
    """A date typed on the command line is UTC."""
    return when.replace(tzinfo=UTC) if when is not None else None


def _publish_mode(when: datetime | None) -> posts.Publish:
    return posts.Publish.SCHEDULE if when is not None and when > utcnow() else posts.Publish.NOW


def _status_words(post: Post) -> str:
    status = posts.display_status(post)
    if status == "scheduled" and post.published_at is not None:
        return f"scheduled for {post.published_at:%Y-%m-%d %H:%M} UTC"
    return status


P = ParamSpec("P")
R = TypeVar("R")


def _posts_call(action: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a posts-service action; what it refuses is told as the command's error."""
    try:
        return action(*args, **kwargs)
    except posts.PostError as exc:
        raise click.ClickException(str(exc)) from exc


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


@posts_group.command("author-link")
@click.argument("slug")
def posts_author_link(slug: str) -> None:
    """A link that gives the post's author the "author" mark on their comments there.

    Send it to the author; it works in the browser that opens it, for AUTHOR_LINK_DAYS days.
    """
    from .authors import author_link_path

    post = _post_by_slug(slug)
    with current_app.test_request_context():
        path = author_link_path(post)
    days = current_app.config["AUTHOR_LINK_DAYS"]
    click.echo(f"Give {post.author or 'the author'} this address (after your site's):")
    click.echo(path)
    click.echo(f"It works for {days} days, for this post only.")


@posts_group.command("list")
def posts_list() -> None:
    """Every post newest first (drafts, scheduled and trash too), with approved comments."""
    from .comments import get_service

    found = db.session.scalars(select(Post).order_by(*posts.newest_first())).all()
    if not found:
        click.echo("No posts.")
        return
    counts = get_service().store.count_for_posts([p.uid for p in found])
    rows = [
        [
            printable(p.slug),
            posts.display_status(p),
            p.sort_time.strftime("%Y-%m-%d"),
            str(counts.get(p.uid, 0)),
            printable(p.author) or "-",
            printable(p.title),
        ]
        for p in found
    ]
    click.echo(table(["SLUG", "STATUS", "DATE", "COMMENTS", "AUTHOR", "TITLE"], rows))


@posts_group.command("edit")
@click.argument("slug")
@click.option("--title")
@click.option("--new-slug", help="The old address then redirects (301) to the new one.")
@click.option("--excerpt", help='The index\'s summary; "" makes it from the text again.')
@click.option("--author")
@click.option("--date", type=click.DateTime(formats=DATE_FORMATS), help="YYYY-MM-DD [HH:MM] UTC.")
@click.option("--body-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--comments", type=click.Choice(["open", "closed"]))
def posts_edit(
    slug: str,
    title: str | None,
    new_slug: str | None,
    excerpt: str | None,
    author: str | None,
    date: datetime | None,
    body_file: Path | None,
    comments: str | None,
) -> None:
    """Change a post's title, slug, excerpt, author, date, text or comments open/closed."""
    post = _post_by_slug(slug)
    body = None
    if body_file is not None:
        heading, body = split_title(body_file.read_text(encoding="utf-8"))
        title = title or heading
    data = posts.PostInput(
        title=title,
        body=body,
        slug=new_slug,
        excerpt=excerpt,
        author=author,
        published_at=_utc(date),
        comments_open=None if comments is None else comments == "open",
    )
    _posts_call(posts.update, post, data)
    moved = f" (was {slug!r}, which now redirects)" if post.slug != slug else ""
    click.echo(f"edited post {post.slug!r}{moved}: {post.title} ({_status_words(post)})")


@posts_group.command("publish")
@click.argument("slug")
@click.option(
    "--at",
    type=click.DateTime(formats=DATE_FORMATS),
    help="YYYY-MM-DD [HH:MM] UTC; a future date schedules it. Default: now.",
)
def posts_publish(slug: str, at: datetime | None) -> None:
    """Publish a draft now, or schedule it."""
    post = _posts_call(posts.publish, _post_by_slug(slug), _utc(at))
    click.echo(f"{post.slug!r}: {_status_words(post)}")


@posts_group.command("unpublish")
@click.argument("slug")
def posts_unpublish(slug: str) -> None:
    """Take a post off the site, back to the drafts (its comments are kept)."""
    post = _posts_call(posts.unpublish, _post_by_slug(slug))
    click.echo(f"{post.slug!r}: draft (readers no longer see it)")


@posts_group.command("delete")
@click.argument("slug")
@click.option("--for-good", is_flag=True, help="Delete a post that is in the trash, for good.")
@click.option(
    "--with-comments",
    type=click.IntRange(min=0),
    default=0,
    help="With --for-good: the number of comments it has, to confirm they go too.",
)
def posts_delete(slug: str, for_good: bool, with_comments: int) -> None:
    """Move a post to the trash; with --for-good, delete a trashed post and its comments."""
    from .comments import get_service

    post = _post_by_slug(slug)
    if not for_good:
        _posts_call(posts.trash, post)
        click.echo(f"{slug!r}: moved to the trash (`--for-good` deletes it from there)")
        return
    try:
        deleted = posts.delete_for_good(post, get_service().store, confirmed_comments=with_comments)
    except posts.NeedsConfirmation as exc:
        raise click.ClickException(
            f"{exc} Nothing was deleted: run again with --with-comments {exc.comments}"
        ) from exc
    except posts.PostError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{slug!r}: deleted for good, with {deleted} comment(s)")


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

    password = _read_password(password_stdin)
    try:
        create_owner(username, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created owner account {username.strip()!r}: sign in at /admin/login")


@click.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def set_password_command(username: str, password_stdin: bool) -> None:
    """Give an owner account a new password (a forgotten one); its sessions end.

    The password is read as for create-admin. Signed in, the owner changes it on the desk's
    Account page instead.
    """
    from .owner import AccountError, find_owner, set_password

    user = find_owner(username)
    if user is None:
        raise click.ClickException(f"no owner account {username.strip()!r}")
    try:
        set_password(user, _read_password(password_stdin))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"new password for {user.username!r}; every session of it is signed out")


def _read_password(from_stdin: bool) -> str:
    """Asked twice, unseen; from $BLOGENGINE_ADMIN_PASSWORD when standard input is not a
    terminal; or one line of standard input with --password-stdin."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if from_env is not None and not sys.stdin.isatty():
        return from_env
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


# -- shared lookups ----------------------------------------------------------------------
def _post_by_slug(slug: str) -> Post:
    post = posts.find(slug)
    if post is None:
        raise click.ClickException(f"no post with slug {slug!r} (`blogengine posts list`)")
    return post


def _newest_first(comment: StoredComment) -> tuple[bool, float]:
    """Newest first; comments without a time (archives) last."""
    when = comment.created_at
    return (when is None, -when.timestamp() if when else 0.0)


def _slugs_by_uid(uids: set[str]) -> dict[str, str]:
    rows = db.session.execute(select(Post.uid, Post.slug).where(Post.uid.in_(uids)))
    return {uid: slug for uid, slug in rows}
