"""The blog owner's account: creating it, checking a sign-in, and Flask-Login's user loading.

The CLI (`blogengine create-admin`, `set-password`) and the desk's sign-in and account pages
all come here.
"""

from __future__ import annotations

import hmac

from flask import Flask
from sqlalchemy import func, select

from .extensions import db, login_manager
from .models import User
from .passwords import MIN_PASSWORD, burn_time, hash_password, needs_rehash, verify_password


class AccountError(ValueError):
    """An account cannot be made as asked; the message says why, for the owner."""


class WrongPassword(AccountError):
    """The current password given was not the account's (counts as a failed sign-in)."""


def init_app(app: Flask) -> None:
    login_manager.login_view = "desk.login"
    login_manager.login_message = "Please sign in as the blog's owner."
    login_manager.login_message_category = "info"
    # A session cookie used from another browser or address is dropped, not trusted.
    login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The account a session names, if its token is still the account's (see end_sessions)."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.session_token:
        return None
    return user if hmac.compare_digest(user.session_token, token) else None


def find_owner(username: str) -> User | None:
    """The account with this name, ignoring case and surrounding blanks."""
    name = username.strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == name))


def create_owner(username: str, password: str) -> User:
    """Make an owner account with an argon2 hash; AccountError says what is wrong."""
    username = username.strip()
    if not username:
        raise AccountError("the username is empty")
    if find_owner(username) is not None:
        raise AccountError(f"user {username!r} exists already")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    user = User(username=username, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """The owner's new password, once the current one is shown; every other session of the
    account ends (a new session token), so a browser left signed in elsewhere is signed out.
    AccountError says what is wrong, and nothing changes then."""
    if not verify_password(user.password_hash, current):
        raise WrongPassword("your current password is not right")
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    """A new password without the old one (``blogengine set-password``, for a forgotten
    one); every session of the account ends."""
    if len(new) < MIN_PASSWORD:
        raise AccountError(f"the new password must have at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(new)
    user.end_sessions()
    db.session.commit()


def authenticate(username: str, password: str) -> User | None:
    """The owner if name and password match, else None (the same time either way).

    A hash made before argon2 (Werkzeug's) is replaced by an argon2 one on success.
    """
    user = find_owner(username)
    if user is None:
        burn_time(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.session_token:  # an account from before session tokens
        user.end_sessions()
    db.session.commit()
    return user
