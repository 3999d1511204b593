"""Signing in to the desk: every desk page is the owner's, the session, throttling, next=."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from desk_support import OWNER, PASSWORD, make_owner, sign_in, text
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from support import hidden_fields
from werkzeug.security import generate_password_hash

from blogengine.desk.signin import safe_next
from blogengine.extensions import db
from blogengine.models import User
from blogengine.passwords import verify_password


@pytest.fixture
def app_config() -> dict[str, Any]:
    # Each test counts failed sign-ins apart from the others.
    return {"RATELIMIT_KEY_PREFIX": f"t-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def owner(app: Flask) -> None:
    make_owner(app)


def desk_urls(app: Flask) -> list[tuple[str, str]]:
    """(method, URL) for every rule under /admin and each of its methods, with sample ids."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_every_desk_page_and_action_needs_the_owner(app: Flask, client: FlaskClient) -> None:
    """A signed-out visitor gets the sign-in page (302 to it) or 403, never the page.

    POSTs carry a valid CSRF token, so what refuses them is the owner check, not CSRF.
    """
    urls = desk_urls(app)
    assert len(urls) >= 12, urls  # the walk found the desk
    assert ("POST", "/admin/comments") in urls and ("GET", "/admin/settings") in urls
    assert ("GET", "/admin/outbox") in urls and ("POST", "/admin/outbox/retry") in urls
    assert ("POST", "/admin/settings/moderation-feed/new") in urls
    assert ("POST", "/admin/settings/moderation-feed/off") in urls
    token = hidden_fields(text(client.get("/admin/login")))["csrf_token"]
    for method, url in urls:
        data = (
            {"csrf_token": token, "action": "publish", "title": "x"} if method == "POST" else None
        )
        answer = client.open(url, method=method, data=data)
        if url == "/admin/login":
            assert answer.status_code in (200, 400), (method, url)
            continue
        assert answer.status_code in (302, 403), (method, url, answer.status_code)
        if answer.status_code == 302:
            assert answer.headers["Location"].startswith("/admin/login?next="), (method, url)


def test_every_desk_page_opens_for_the_owner(app: Flask, client: FlaskClient, owner: None) -> None:
    sign_in(client)
    for url in [
        "/admin/comments",
        "/admin/posts",
        "/admin/posts/new",
        "/admin/outbox",
        "/admin/settings",
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/").headers["Location"] == "/admin/comments"


def test_the_sign_in_page_has_labelled_fields_and_a_button(client: FlaskClient) -> None:
    page = text(client.get("/admin/login"))
    assert re.search(r'<label for="name">Name', page)
    assert re.search(r'<label for="password">Password', page)
    assert '<button type="submit">Sign in</button>' in page
    assert 'name="csrf_token"' in page
    assert 'autocomplete="current-password"' in page


def test_a_wrong_password_or_name_is_refused_plainly(client: FlaskClient, owner: None) -> None:
    for name, password in [(OWNER, "wrong password"), ("nobody", PASSWORD)]:
        answer = sign_in(client, name, password)
        assert answer.status_code == 200
        assert "That name and password do not match" in text(answer)
        assert client.get("/admin/comments").status_code == 302


def test_signing_in_opens_the_desk_and_renews_the_session(client: FlaskClient, owner: None) -> None:
    client.get("/admin/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone before sign-in"
        before_csrf = session.get("csrf_token")
    answer = sign_in(client, OWNER.upper(), PASSWORD)  # the name's case does not matter
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/"
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != before_csrf
        assert session["_user_id"].startswith("1:")
    page = text(client.get("/admin/comments"))
    assert "Signed in as owner." in page
    assert "Sign out" in page


def test_sign_out_is_a_post_and_ends_every_copy_of_the_session(
    app: Flask, client: FlaskClient, owner: None
) -> None:
    sign_in(client)
    stolen = client.get_cookie("session", domain="blog.test")
    assert stolen is not None
    assert client.get("/admin/logout").status_code == 405
    page = text(client.get("/admin/comments"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    answer = client.post("/admin/logout", data={"csrf_token": token.group(1)})
    assert answer.status_code == 303
    assert client.get("/admin/comments").status_code == 302
    # A copy of the cookie taken while signed in no longer opens the desk.
    other = app.test_client()
    other.set_cookie("session", stolen.value, domain=stolen.domain)
    assert other.get("/admin/comments").status_code == 302


def test_sign_out_without_the_csrf_token_does_nothing(client: FlaskClient, owner: None) -> None:
    sign_in(client)
    assert client.post("/admin/logout").status_code in (302, 303, 400)
    assert client.get("/admin/comments").status_code == 200


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/admin/settings", "/admin/settings"),
        ("https://evil.example/", "/admin/"),
        ("//evil.example/", "/admin/"),
        ("/\\evil.example", "/admin/"),
    ],
)
def test_next_leads_only_within_the_site(
    client: FlaskClient, owner: None, next_url: str, lands_on: str
) -> None:
    answer = sign_in(client, next_url=next_url)
    assert answer.headers["Location"] == lands_on


def test_a_signed_out_visit_comes_back_after_sign_in(client: FlaskClient, owner: None) -> None:
    to_login = client.get("/admin/settings?x=1")
    assert to_login.status_code == 302
    login_url = to_login.headers["Location"]
    page = client.get(login_url)
    assert "Please sign in as the blog&#39;s owner." in text(page)
    form = hidden_fields(text(page)) | {"name": OWNER, "password": PASSWORD}
    answer = client.post(login_url, data=form)
    assert answer.headers["Location"] == "/admin/settings?x=1"


@given(st.text(max_size=60))
def test_safe_next_never_leaves_the_site(target: str) -> None:
    kept = safe_next(target)
    if kept is not None:
        assert kept == target
        assert kept.startswith("/") and not kept.startswith("//")
        assert "\\" not in kept and "://" not in kept.split("?")[0]
        assert all(ord(ch) >= 32 for ch in kept)


@pytest.mark.parametrize("app_config", [{"DESK_SIGNIN_LIMIT": "3 per minute"}])
def test_failed_sign_ins_are_throttled_per_name(
    app: Flask, client: FlaskClient, owner: None
) -> None:
    for i in range(3):
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{i}"
        assert "do not match" in text(sign_in(client, OWNER, "wrong password"))
    client.environ_base["REMOTE_ADDR"] = "198.51.100.99"
    answer = sign_in(client, OWNER, PASSWORD)  # even the right password, for now
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    page = text(answer)
    assert "Sign-in is paused for this name, from every address" in page
    assert re.search(r"try again in \d+ seconds", page)
    assert '<label for="name">Name' in page, "the sign-in form is still there"
    # Another name from this address is not held up by the first name's failures.
    make_owner(app, "second", PASSWORD)
    assert sign_in(client, "second", PASSWORD).status_code == 303


@pytest.mark.parametrize("app_config", [{"DESK_SIGNIN_LIMIT": "3 per minute"}])
def test_failed_sign_ins_are_throttled_per_address(client: FlaskClient, owner: None) -> None:
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    for name in ("a", "b", "c"):
        assert "do not match" in text(sign_in(client, name, "guess"))
    paused = sign_in(client, OWNER, PASSWORD)
    assert paused.status_code == 429
    assert "Sign-in is paused from this address, for every name" in text(paused)
    client.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    assert sign_in(client, OWNER, PASSWORD).status_code == 303


@pytest.mark.parametrize("app_config", [{"DESK_SIGNIN_LIMIT": "2 per minute"}])
def test_signing_in_successfully_is_not_counted(client: FlaskClient, owner: None) -> None:
    for _ in range(4):
        assert sign_in(client).status_code == 303
        client.delete_cookie("session", domain="blog.test")


# -- the account's password ------------------------------------------------------------
def stored_hash(app: Flask, name: str = OWNER) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == name))
        assert user is not None
        return user.password_hash


def test_passwords_are_stored_as_argon2id(app: Flask, owner: None) -> None:
    hashed = stored_hash(app)
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert verify_password(hashed, PASSWORD) and not verify_password(hashed, "other")


def test_an_older_werkzeug_hash_still_signs_in_and_is_upgraded(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        db.session.add(User(username="old", password_hash=generate_password_hash("old secret!")))
        db.session.commit()
    assert stored_hash(app, "old").startswith("scrypt:")
    assert sign_in(client, "old", "old secret!").status_code == 303
    assert stored_hash(app, "old").startswith("$argon2id$")


def test_create_admin_reads_the_environment_when_stdin_is_not_a_terminal(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOGENGINE_ADMIN_PASSWORD", "from the environment")
    result = runner.invoke(args=["create-admin", "scripted"], input="")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output, "no prompt"
    assert verify_password(stored_hash(app, "scripted"), "from the environment")
    assert "ADMIN_PASSWORD" not in app.config


def test_create_admin_refuses_a_short_password_from_the_environment(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOGENGINE_ADMIN_PASSWORD", "short")
    result = runner.invoke(args=["create-admin", "scripted"], input="")
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output


def test_migration_0004_gives_existing_accounts_a_session_token(
    app: Flask, client: FlaskClient
) -> None:
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text as sql

    with app.app_context():
        downgrade(revision="0005_mail")
        db.session.execute(
            sql("INSERT INTO users (username, password_hash, created_at) VALUES (:u, :h, :t)"),
            {"u": "before", "h": generate_password_hash("from before 0004"), "t": "2026-01-01"},
        )
        db.session.commit()
        upgrade()
        token = db.session.scalar(sql("SELECT session_token FROM users WHERE username = 'before'"))
    assert token and len(token) == 32
    assert sign_in(client, "before", "from before 0004").status_code == 303
