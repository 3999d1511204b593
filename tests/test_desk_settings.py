"""The desk's settings page: the same facts as `blogengine plugins`, secrets masked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from desk_support import make_owner, sign_in, text
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from test_cli import rows, with_learner

from blogengine.comments import backend_facts
from blogengine.comments.registry import MASK, masked


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    config = with_learner(tmp_path)
    (tmp_path / "plugins" / "keyed.py").write_text(KEYED_PLUGIN)
    return {
        **config,
        "COMMENTS_SPAM_FILTERS": ["honeypot", "learner", "keyed", "links"],
        "COMMENTS_SPAM_FILTERS_OPTIONS": {
            "links": {"max_links": 3},
            "keyed": {
                "api_key": "sk-live-123",
                "auth": {"token": "t0k"},
                "endpoint": "https://robot:hush-hush@spam.example/check",
            },
        },
        "COMMENTS_CAPTCHA_OPTIONS": {"fixed": {"answer": "human"}},
    }


KEYED_PLUGIN = """
class Keyed:
    \"\"\"A filter with secrets in its options, as a hosted spam service's would be.\"\"\"

    def __init__(self, *, api_key, auth, endpoint):
        self.api_key, self.auth, self.endpoint = api_key, auth, endpoint

    def check(self, draft, ctx):
        return None


def register(registry):
    registry.register_spam_filter("keyed", Keyed)
"""


def test_the_page_shows_what_runs_where_it_comes_from_and_masks_secrets(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    make_owner(app)
    sign_in(client)
    page = text(client.get("/admin/settings"))
    assert "<code>fixed</code>" in page and "<code>sql</code>" in page
    assert page.index("<code>honeypot</code>") < page.index("<code>learner</code>")
    assert page.index("<code>keyed</code>") < page.index("<code>links</code>")
    assert f"plugin file {tmp_path / 'plugins' / 'learner.py'}" in page
    assert "built-in" in page
    assert "<code>max_links</code>" in page and "<code>3</code>" in page
    for secret in ("sk-live-123", "t0k", "hush-hush"):
        assert secret not in page, secret
    assert page.count(MASK) == 3
    assert f"https://robot:{MASK}@spam.example/check" in page
    assert "Also available" in page and "<code>blocklist</code>" in page


def test_the_page_and_the_command_tell_the_same_facts(app: Flask, runner: FlaskCliRunner) -> None:
    table = rows(runner.invoke(args=["plugins"]).output)
    with app.app_context():
        facts = backend_facts()
    assert [(r["NAME"], r["ACTIVE"] != "no", r["ORIGIN"]) for r in table] == [
        (f.name, f.active, f.origin) for f in facts
    ]
    positions = {f.name: f.position for f in facts if f.position}
    assert positions == {"honeypot": 1, "learner": 2, "keyed": 3, "links": 4}
    assert {f.name: f.kind for f in facts if f.active} == {
        "fixed": "built-in",
        "honeypot": "built-in",
        "learner": "plugin file",
        "keyed": "plugin file",
        "links": "built-in",
        "sql": "built-in",
    }


def test_masked_hides_secret_named_values_at_any_depth() -> None:
    shown = masked(
        {"API_KEY": "x", "password": "y", "keys": {"a": 1}, "depth": {"Token": "z"}, "n": 2}
    )
    assert shown == {
        "API_KEY": MASK,
        "password": MASK,
        "keys": MASK,
        "depth": {"Token": MASK},
        "n": 2,
    }
    assert masked({"secret": ""}) == {"secret": ""}, "an empty secret shows it is unset"
    assert masked({"url": "postgresql://me:pw@db/blog"}) == {
        "url": f"postgresql://me:{MASK}@db/blog"
    }
    assert masked({"url": "sqlite:///x.db"}) == {"url": "sqlite:///x.db"}
