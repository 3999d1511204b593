"""The seed loader reads only regular files, of a bounded size, and dates what it can.

`ln -s instance/config.py seeds/a.txt; blogengine seed seeds/a.txt` published the SECRET_KEY;
a symlink to /dev/zero ran out of memory; a FIFO hung the command.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from blogengine.extensions import db
from blogengine.models import Post
from blogengine.seed import archive_date, parse_text

SMALL = Path(__file__).parent / "data" / "seeds" / "small-two-comments.txt"
#: A command that has not finished by then hangs (a FIFO read would block for ever).
HANG = 30.0


def seed(runner: FlaskCliRunner, *args: str | Path) -> Any:
    result: list[Any] = []
    thread = threading.Thread(
        target=lambda: result.append(runner.invoke(args=["seed", *map(str, args)])), daemon=True
    )
    thread.start()
    thread.join(HANG)
    assert result, "blogengine seed hangs"
    return result[0]


def post_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post)) or 0


def assert_refused(app: Flask, result: Any, path: Path, kind: str = "") -> None:
    """The run failed, naming the file and why, and imported nothing."""
    assert result.exit_code != 0
    assert f"{path}: not a regular file{kind}" in result.output
    assert post_count(app) == 0


def test_a_symlink_to_the_config_is_refused_and_nothing_is_published(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    secret = tmp_path / "config.py"
    secret.write_text('SECRET_KEY = "do-not-publish"\n')
    link = tmp_path / "a.txt"
    link.symlink_to(secret)
    result = seed(runner, link)
    assert_refused(app, result, link, " (a symbolic link")
    assert "do-not-publish" not in result.output


def test_follow_symlinks_reads_a_linked_archive(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    link = tmp_path / "small.txt"
    link.symlink_to(SMALL)
    result = seed(runner, "--follow-symlinks", link)
    assert result.exit_code == 0, result.output
    assert post_count(app) == 1


@pytest.mark.parametrize("follow", [False, True])
def test_a_device_is_refused_even_through_a_followed_link(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, follow: bool
) -> None:
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    result = seed(runner, *(["--follow-symlinks"] if follow else []), link)
    assert_refused(app, result, link, " (a character device)" if follow else " (a symbolic")


def test_a_fifo_and_a_folder_are_refused_without_waiting(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    assert_refused(app, seed(runner, fifo), fifo, " (a FIFO)")
    assert_refused(app, seed(runner, tmp_path), tmp_path, " (a folder)")


@pytest.mark.parametrize("app_config", [{"SEED_MAX_BYTES": 1000}])
def test_a_file_over_the_size_limit_is_refused_with_the_limit(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(SMALL.read_bytes() + b"x" * 2000)
    result = seed(runner, big)
    assert result.exit_code != 0
    assert "larger than the 1,000-byte limit (SEED_MAX_BYTES" in result.output
    assert post_count(app) == 0
    assert seed(runner, "--max-bytes", "10000", SMALL).exit_code == 0  # one run may allow more


def test_the_archive_date_is_shown_and_seed_date_sets_it_otherwise(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    dated = tmp_path / "dated.txt"
    lines = SMALL.read_text().split("\n")
    lines[1] = "Posted on December 8, 2008"  # the archive's own date, in place of a subtitle
    lines[3] = lines[3].replace("First", "Dated")
    dated.write_text("\n".join(lines).replace("A Small Archived Post", "A Dated Post"))
    result = seed(runner, "--date", "2001-02-03", dated, SMALL)
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(select(Post.title, Post.published_at))
        dates = {title: when for title, when in rows}
    assert dates == {
        "A Dated Post": datetime(2008, 12, 8, tzinfo=UTC),
        "A Small Archived Post": datetime(2001, 2, 3, tzinfo=UTC),
    }
    page = app.test_client().get("/").get_data(as_text=True)
    assert '<time datetime="2008-12-08T00:00:00Z">8 December 2008</time>' in page


def test_a_line_is_a_date_only_when_it_is_nothing_else() -> None:
    assert archive_date("8 December 2008") == datetime(2008, 12, 8, tzinfo=UTC)
    assert archive_date("2008-12-08") == datetime(2008, 12, 8, tzinfo=UTC)
    assert archive_date("In 2003, the Bush Administration rejected this offer.") is None
    article = parse_text("x.txt", SMALL.read_text())
    assert article.published is None and article.subtitle == "With a subtitle"
