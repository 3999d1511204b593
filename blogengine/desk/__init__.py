"""The owner's desk under /admin/: sign-in, posts, the moderation queue, the outbox,
the settings (with the private moderation feed), the account (a new password).

Its views call the same services as the CLI (``owner``, ``posts.service``,
``comments.moderation``, ``comments.registry``, ``mail``), never click commands. Every page requires
the signed-in owner (``blueprint.require_owner``).
"""

from __future__ import annotations

from flask import Flask

from . import account, comments, feed, outbox, posts, settings, signin, throttle, views

__all__ = [
    "account",
    "bp",
    "comments",
    "feed",
    "init_app",
    "outbox",
    "posts",
    "settings",
    "signin",
    "throttle",
    "views",
]
from .blueprint import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
