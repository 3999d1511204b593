"""blogengine: a Flask blog whose comments pass through swappable, trusted backends."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, the comment backends; nothing else."""
    from . import blog, cli, dbfaults, desk, fastpage, owner, security, slowclients
    from .comments import init_comments, views
    from .config import load_config
    from .extensions import init_extensions
    from .mail import init_mail

    app = Flask(__name__, instance_path=_instance_path(), instance_relative_config=True)
    load_config(app, test_config)
    init_extensions(app)
    fastpage.init_app(app)  # inside ProxyFix (security) and BodyDeadline (slowclients)
    dbfaults.init_app(app)
    owner.init_app(app)
    security.init_app(app)
    slowclients.init_app(app)
    app.register_blueprint(blog.bp)
    app.register_blueprint(views.bp)
    desk.init_app(app)
    cli.init_app(app)
    init_comments(app)
    init_mail(app)
    return app


def _instance_path() -> str:
    """The project's instance/ folder (a checkout install), whatever the working directory."""
    import os
    from pathlib import Path

    override = os.environ.get("BLOGENGINE_INSTANCE_PATH")
    if override:
        return str(Path(override).resolve())
    return str(Path(__file__).resolve().parent.parent / "instance")
