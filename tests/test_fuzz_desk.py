"""Hostile input at the desk: any search text or page number gives a page, never a 500."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from desk_support import make_owner, sign_in
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import add_comment, app_in_postgres_schema, build_app, hidden_fields, make_post

from blogengine.comments.contracts import Status
from blogengine.extensions import db

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POSTGRES_URL = os.environ.get("BLOGENGINE_TEST_POSTGRES_URL")


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not POSTGRES_URL, reason="set BLOGENGINE_TEST_POSTGRES_URL"),
            ],
        ),
    ],
)
def owner_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlaskClient]:
    """One signed-in owner on a site with a comment to find (a module fixture feeds @given)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        tmp = tmp_path_factory.mktemp("fuzz-desk")
        if request.param == "postgresql":
            assert POSTGRES_URL is not None
            site = app_in_postgres_schema(POSTGRES_URL, tmp, monkeypatch)
        else:
            site = _sqlite_app(tmp, monkeypatch)
        with site as app:
            with app.app_context():
                uid = make_post(title="Fuzzed", slug="fuzzed").uid
            add_comment(app, uid, "Findable 100% _text_ «ü»", status=Status.PENDING)
            make_owner(app)
            client = app.test_client()
            assert sign_in(client).status_code == 303
            yield client


@contextmanager
def _sqlite_app(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = build_app(tmp, monkeypatch)
    yield app
    with app.app_context():
        db.engine.dispose()


@FUZZ
@given(
    query=st.text(max_size=300),
    status=st.sampled_from(["pending", "approved", "spam", "deleted"]),
    page=st.one_of(st.integers(min_value=-5, max_value=10**20).map(str), st.text(max_size=5)),
)
def test_any_search_is_a_page(
    owner_client: FlaskClient, query: str, status: str, page: str
) -> None:
    url = "/admin/comments?" + urlencode({"q": query, "status": status, "page": page})
    answer = owner_client.get(url)
    assert answer.status_code in (200, 404), (url, answer.status_code)
    if answer.status_code == 200:
        assert "<script" not in answer.get_data(as_text=True).split("</head>", 1)[1]


def test_a_search_with_wildcards_finds_only_what_it_says(owner_client: FlaskClient) -> None:
    page = owner_client.get("/admin/comments?q=100%25+_text_").get_data(as_text=True)
    assert "Findable 100% _text_" in page
    page = owner_client.get("/admin/comments?q=%25%25%25x").get_data(as_text=True)
    assert "No pending comment matches" in page


@FUZZ
@given(
    title=st.text(max_size=120),
    body=st.text(max_size=400),
    slug=st.text(max_size=30),
    when=st.text(max_size=20),
    action=st.sampled_from(["preview", "draft", "publish", "schedule", "nonsense"]),
)
def test_any_post_form_is_saved_or_refused_with_its_text(
    owner_client: FlaskClient, title: str, body: str, slug: str, when: str, action: str
) -> None:
    page = owner_client.get("/admin/posts/new").get_data(as_text=True)
    token = hidden_fields(page)["csrf_token"]
    form = {"csrf_token": token, "title": title, "body": body, "slug": slug}
    form |= {"published_at": when, "action": action}
    answer = owner_client.post("/admin/posts/new", data=form)
    assert answer.status_code in (200, 303, 422), answer.status_code
    if answer.status_code == 303:
        assert owner_client.get(answer.headers["Location"]).status_code == 200
