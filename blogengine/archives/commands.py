"""``blogengine import wxr|disqus|jsonl FILE`` and ``blogengine export PATH``: thin wrappers."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from ..comments import get_service
from ..comments.contracts import StoreError
from . import disqus, jsonl, wxr
from .export import export_jsonl, export_wxr
from .importer import Reader, run_import
from .model import ArchiveError

READERS = {"wxr": wxr.read, "disqus": disqus.read, "jsonl": jsonl.read}


@click.group("import", cls=AppGroup)
def import_group() -> None:
    """Import posts and comments from WordPress, Disqus or a blogengine export."""


def _import_command(fmt: str, help_text: str) -> None:
    @import_group.command(fmt, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
    def command(file: str, dry_run: bool) -> None:
        reader: Reader = partial(READERS[fmt], file)
        try:
            report = run_import(file, reader, get_service().store, dry_run=dry_run)
        except ArchiveError as exc:
            raise click.ClickException(f"{exc}; nothing was imported") from exc
        except (StoreError, SQLAlchemyError) as exc:
            what = "the comment store" if isinstance(exc, StoreError) else "the database"
            raise click.ClickException(
                f"{file}: {what} failed ({exc}); what was imported stays, "
                "run the same command again to finish"
            ) from exc
        for line in report.lines(dry_run=dry_run):
            click.echo(line)


_import_command("wxr", "Import a WordPress export (WXR 1.0-1.2): posts, pages, comments.")
_import_command("disqus", "Import a Disqus export: comments, onto posts with the thread's slug.")
_import_command("jsonl", "Import a `blogengine export` JSON Lines file.")


@click.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "wxr"]), default="jsonl", show_default=True
)
@click.option(
    "--include-private",
    is_flag=True,
    help="Also write readers' email and IP addresses (and user agents).",
)
@with_appcontext
def export_command(path: Path, fmt: str, include_private: bool) -> None:
    """Write every post and comment to PATH (JSON Lines, or WXR 1.2 for WordPress)."""
    write = export_jsonl if fmt == "jsonl" else export_wxr
    try:
        posts, comments = write(path, get_service().store, include_private=include_private)
    except (OSError, StoreError) as exc:
        raise click.ClickException(f"{path}: {exc}; no export written") from exc
    click.echo(f"exported {posts} posts and {comments} comments to {path} ({fmt})")
