"""The owner's commands: plugins, comments (list/approve/spam/delete), posts, create-admin."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Add the owner's commands to ``app.cli``."""
