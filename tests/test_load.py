"""Comments under load, small size: gunicorn workers writing at once lose and duplicate nothing.

The same code as `python -m bench.load_comments`, at a size that runs in seconds.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def _bench() -> ModuleType:
    """bench/ is not an installed package; import it from the checkout whatever the cwd."""
    if str(PROJECT) not in sys.path:
        sys.path.insert(0, str(PROJECT))
    return importlib.import_module("bench.load_comments")


def _assert_kept(report: dict[str, Any]) -> None:
    checks = report["checks"]
    assert checks["ok"], checks["violations"]
    assert report["accepted"] == report["requested"], report["errors"]
    assert report["errors"] == {}
    assert checks["stored"] == report["requested"]
    assert checks["statuses"] == {"approved": report["requested"]}


SMALL = {"comments": 120, "clients": 8, "workers": 2, "posts": 2, "baseline_requests": 40}


def test_sqlite_workers_lose_and_duplicate_nothing() -> None:
    bench = _bench()
    report = bench.run(bench.LoadConfig(db="sqlite", time_limit=60, **SMALL), results_dir=None)
    _assert_kept(report)


@pytest.mark.postgres
def test_postgres_workers_lose_and_duplicate_nothing() -> None:
    url = os.environ.get("BLOGENGINE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("set BLOGENGINE_TEST_POSTGRES_URL to run the load test on PostgreSQL")
    bench = _bench()
    config = bench.LoadConfig(db="postgres", pg_url=url, time_limit=60, **SMALL)
    _assert_kept(bench.run(config, results_dir=None))


def test_the_checks_see_lost_duplicated_and_gapped_comments(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A checker that never fails proves nothing: feed it a broken store."""
    bench = _bench()
    site = bench.Site(root=tmp_path, env={}, db_url="sqlite://", schema=None)
    site.uids = {"p": "uid-p"}
    attempts = [
        bench.Attempt(i, "p", f"text {i}", 200, 1.0, 303, 1.0, f"/posts/p#comment-{i + 1}")
        for i in range(4)
    ] + [bench.Attempt(4, "p", "text 4", 200, 1.0, 503, 1.0, "", locked=True)]
    rows = [
        ("uid-p", "text 0", 1, "approved"),
        ("uid-p", "text 1", 2, "approved"),
        ("uid-p", "text 1", 4, "approved"),  # duplicated, and number 3 is missing
        ("uid-p", "text 4", 5, "approved"),  # stored although the reader got a 503
    ]  # "text 2" and "text 3" are lost
    monkeypatch.setattr(bench, "stored_rows", lambda _site: rows)
    checks = bench.check(site, attempts, "sqlite3.OperationalError: database is locked")
    found = checks["violations"]
    assert not checks["ok"]
    assert found["lost"] == {"count": 2, "first": [2, 3]}
    assert found["duplicated"] == {"count": 1, "first": [1]}
    assert found["ghosts"] == {"count": 1, "first": [4]}
    assert found["number_gaps"]["uid-p"]["missing"] == [3]
    assert found["server_5xx"] == {"count": 1, "first": [4]}
    assert found["locked_in_body"] == {"count": 1, "first": [4]}
    assert found["locked_in_log"] == 1
