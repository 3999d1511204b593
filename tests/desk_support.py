"""Helpers for the desk's tests: an owner account and a client signed in as it."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from support import hidden_fields

from blogengine.owner import create_owner

OWNER = "owner"
PASSWORD = "correct horse battery"


def make_owner(app: Flask, name: str = OWNER, password: str = PASSWORD) -> None:
    with app.app_context():
        create_owner(name, password)


def sign_in(
    client: FlaskClient, name: str = OWNER, password: str = PASSWORD, next_url: str | None = None
) -> Any:
    """Fill and send the sign-in form as a browser does; the response (not followed)."""
    page = client.get("/admin/login")
    form = hidden_fields(page.get_data(as_text=True))
    form.update({"name": name, "password": password})
    url = "/admin/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data=form)


def csrf_of(client: FlaskClient, url: str) -> dict[str, str]:
    """The CSRF token of a desk page's forms, as form data (nothing else the page holds)."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return {"csrf_token": hidden_fields(page.get_data(as_text=True))["csrf_token"]}


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))
