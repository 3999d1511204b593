"""The desk's Account page and `blogengine set-password`: a new password without a shell,
and a forgotten one reset from the server; either ends the account's other sessions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from desk_support import OWNER, PASSWORD, csrf_of, make_owner, sign_in, text
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from blogengine.extensions import db
from blogengine.models import User
from blogengine.passwords import verify_password

NEW = "a brand new passphrase"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_KEY_PREFIX": f"t-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def owner_client(app: Flask, client: FlaskClient) -> FlaskClient:
    make_owner(app)
    assert sign_in(client).status_code == 303
    return client


def change(client: FlaskClient, current: str, new: str, again: str | None = None) -> Any:
    form = csrf_of(client, "/admin/account")
    form.update({"current": current, "new": new, "again": new if again is None else again})
    return client.post("/admin/account", data=form)


def password_hash(app: Flask) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == OWNER))
        assert user is not None
        return user.password_hash


def test_the_page_has_labelled_fields_and_is_in_the_nav(owner_client: FlaskClient) -> None:
    page = text(owner_client.get("/admin/account"))
    for label in ("Current password", "New password", "New password again"):
        assert f">{label}<" in page
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page
    assert '<a href="/admin/account" aria-current="page">Account</a>' in page
    assert "blogengine set-password owner" in page


def test_changing_the_password_signs_out_every_other_browser(
    app: Flask, owner_client: FlaskClient
) -> None:
    elsewhere = app.test_client()
    assert sign_in(elsewhere).status_code == 303
    answer = change(owner_client, PASSWORD, NEW)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin/account")
    page = text(owner_client.get("/admin/account"))
    assert "Your password is changed" in page, "this browser stays signed in"
    assert elsewhere.get("/admin/comments").status_code == 302, "the other one is signed out"
    assert verify_password(password_hash(app), NEW)
    fresh = app.test_client()
    assert "do not match" in text(sign_in(fresh, OWNER, PASSWORD))
    assert sign_in(fresh, OWNER, NEW).status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("not my password", NEW, None, "your current password is not right"),
        (PASSWORD, "short", None, "must have at least 8 characters"),
        (PASSWORD, NEW, "a different one", "The two new passwords differ."),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    app: Flask,
    owner_client: FlaskClient,
    current: str,
    new: str,
    again: str | None,
    message: str,
) -> None:
    before = password_hash(app)
    answer = change(owner_client, current, new, again)
    assert answer.status_code == 200
    page = text(answer)
    assert message in page
    assert NEW not in page and PASSWORD not in page, "no password is sent back"
    assert password_hash(app) == before
    assert owner_client.get("/admin/comments").status_code == 200, "still signed in"


@pytest.mark.parametrize("app_config", [{"DESK_SIGNIN_LIMIT": "2 per minute"}])
def test_guessing_the_current_password_is_throttled(owner_client: FlaskClient) -> None:
    for _ in range(2):
        assert "not right" in text(change(owner_client, "guess", NEW))
    answer = change(owner_client, PASSWORD, NEW)
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    page = text(answer)
    assert "Changing the password is paused" in page
    assert ">Current password<" in page, "the account page, not the sign-in page"


def test_set_password_resets_a_forgotten_one_and_ends_sessions(
    app: Flask, owner_client: FlaskClient, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOGENGINE_ADMIN_PASSWORD", NEW)
    result = runner.invoke(args=["set-password", "OWNER "], input="")
    assert result.exit_code == 0, result.output
    assert "every session of it is signed out" in result.output
    assert verify_password(password_hash(app), NEW)
    assert owner_client.get("/admin/comments").status_code == 302
    result = runner.invoke(args=["set-password", "nobody"], input="")
    assert result.exit_code == 1 and "no owner account 'nobody'" in result.output
    monkeypatch.setenv("BLOGENGINE_ADMIN_PASSWORD", "short")
    result = runner.invoke(args=["set-password", OWNER], input="")
    assert result.exit_code == 1 and "at least 8 characters" in result.output
    assert verify_password(password_hash(app), NEW)
