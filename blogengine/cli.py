"""The `blogengine` command: Flask's CLI for this app, plus the owner's commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def init_app(app: Flask) -> None:
    """Attach the owner's commands to the app's CLI (each lives beside what it drives)."""
    from .archives.commands import export_command, import_group
    from .commands import register_commands
    from .mail.commands import moderation_feed_group, outbox_group
    from .seed import seed_command

    app.cli.add_command(seed_command)
    app.cli.add_command(import_group)
    app.cli.add_command(export_command)
    app.cli.add_command(outbox_group)
    app.cli.add_command(moderation_feed_group)
    register_commands(app)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """blogengine: serve the blog, import archives, moderate comments, list plugins."""


def _add_app_free_commands() -> None:
    """Commands found without building the app: ``spam train`` rebuilds the model the app
    loads at start-up, so it must run when that file is missing, broken or of another
    version (``spam classify`` and ``eval`` still build the app, when they run)."""
    from .spam.commands import spam_group

    main.add_command(spam_group)


_add_app_free_commands()
