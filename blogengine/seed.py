"""Archive importers: parse an archived article into a post and its comments, import it once."""

from __future__ import annotations

import click


@click.command("seed")
@click.argument("paths", nargs=-1, required=True)
def seed_command(paths: tuple[str, ...]) -> None:
    """Import archived articles (placeholder until the loader lands)."""
    raise click.ClickException("not implemented yet")
