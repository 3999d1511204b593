"""The blog owner's account: Flask-Login's user loading (the web desk builds on this)."""

from __future__ import annotations

from flask import Flask

from .extensions import db, login_manager
from .models import User


def init_app(app: Flask) -> None:
    login_manager.login_message = "Please sign in as the blog's owner."


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None
