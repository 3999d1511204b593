"""`blogengine spam train|classify|eval`: measuring a chain on a labelled CSV, storing nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from blogengine.comments import get_service
from blogengine.comments.contracts import Status
from blogengine.extensions import db
from blogengine.spam import features
from blogengine.spam.learned import LearnedDecisionRow
from blogengine.spam.model import BIAS, Model, probability, text_scale

LONG = (
    "A long enough text that two people would hardly ever write the very same way, word for word."
)


@pytest.fixture
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("model") / "tiny.json.gz"
    Model({BIAS: -2.0, "w:maybe": 2.85, "w:viagra": 12.0}).save(path)
    return str(path)


@pytest.fixture
def app_config(tiny_model: str) -> dict[str, Any]:
    return {
        "COMMENTS_SPAM_FILTERS": ["honeypot", "links", "duplicate", "learning"],
        # Unsure from 0.15: an unknown text scores 0.12 (the bias alone), so one taught row of
        # five shared words (row 5 -> row 9) is enough to move a verdict.
        "COMMENTS_SPAM_FILTERS_OPTIONS": {"learning": {"model": tiny_model, "accept_below": 0.15}},
    }


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "comments.csv"
    path.write_text(
        "ID,WHO,TEXT,LABEL\n"
        'a1,Ada,"viagra, and\na second line with ""quotes""",1\n'
        "a2,Bob,maybe so,spam\n"
        "a3,Cy,kind words,0\n"
        "a4,Di,viagra now,ham\n"
        "a5,Ed,hello there friends,1\n"
        "a6,Fi,not sure,unknown\n"
        f'a7,Gus,"{LONG}",0\n'
        f'a8,Hal,"{LONG.upper()}",1\n'
        "a9,Ivy,hello there friends again,\n",
        encoding="utf-8",
    )
    return path


def invoke(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["spam", *args], catch_exceptions=False)


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def decisions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LearnedDecisionRow)) or 0


def test_classify_prints_one_line_per_row_in_order(app: Flask, runner: Any, labelled: Path) -> None:
    result = invoke(runner, "classify", str(labelled), "--text-column", "TEXT")
    assert result.exit_code == 0, result.output
    rows = lines(result.output)
    assert [r["row"] for r in rows] == list(range(1, 10))
    assert [r["action"] for r in rows] == [
        "spam",
        "moderate",
        "accept",
        "spam",
        "accept",
        "accept",
        "accept",
        "moderate",  # the same long text again on the one throwaway post: a duplicate
        "accept",
    ]
    assert rows[0]["reasons"] == ["learning: spam 0.99: 'viagra'"]
    assert rows[1]["reasons"] == ["learning: unsure, spam 0.70: 'maybe'"]
    # Row 7 was the 4th row published on the throwaway post (numbers are given on publish).
    assert rows[7]["reasons"] == ["duplicate: same text as comment 4 on this post"]
    assert set(rows[0]) == {"row", "action", "reasons"}


def test_classify_stores_nothing(app: Flask, runner: Any, labelled: Path) -> None:
    invoke(runner, "classify", str(labelled), "--text-column", "TEXT", "--author-column", "WHO")
    with app.app_context():
        assert all(not get_service().store.list_by_status(s) for s in Status)


def test_missing_columns_are_refused_with_the_columns_found(runner: Any, labelled: Path) -> None:
    result = runner.invoke(
        args=["spam", "classify", str(labelled), "--text-column", "BODY", "--label-column", "Y"]
    )
    assert result.exit_code != 0
    assert "no column 'BODY', 'Y'" in result.output
    assert "columns found: 'ID', 'WHO', 'TEXT', 'LABEL'" in result.output


def test_learn_teaches_each_labelled_row_after_its_verdict(
    app: Flask, runner: Any, labelled: Path
) -> None:
    args = ["classify", str(labelled), "--text-column", "TEXT", "--label-column", "LABEL"]
    plain = lines(invoke(runner, *args).output)
    learning = lines(invoke(runner, *args, "--learn").output)
    # Row 1's verdict comes before anything is learned; later rows meet a taught filter.
    assert learning[0] == plain[0]
    # Row 5 ("hello there friends", spam) taught it: row 9, much the same, is now suspect.
    assert plain[8]["action"] == "accept"
    assert learning[8]["action"] == "moderate"
    assert decisions(app) == 0, "thrown away without --keep"


def test_keep_keeps_what_was_learned_and_skips_other_labels(
    app: Flask, runner: Any, labelled: Path
) -> None:
    args = ["classify", str(labelled), "--text-column", "TEXT", "--label-column", "LABEL"]
    assert invoke(runner, *args, "--learn", "--keep").exit_code == 0
    assert decisions(app) == 7  # rows 6 ("unknown") and 9 (no label) are not learned
    with app.app_context():
        assert all(not get_service().store.list_by_status(s) for s in Status)


def test_learn_needs_labels(runner: Any, labelled: Path) -> None:
    result = runner.invoke(
        args=["spam", "classify", str(labelled), "--text-column", "TEXT", "--learn"]
    )
    assert result.exit_code == 2 and "--learn needs --label-column" in result.output


def test_eval_gives_the_owners_figures(runner: Any, labelled: Path) -> None:
    args = ["eval", str(labelled), "--text-column", "TEXT", "--label-column", "LABEL"]
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "9 rows; labelled: 4 spam, 3 good" in out
    # spam: rows 1 (spam), 2 (held), 5 (published), 8 (held: duplicate);
    # good: 3 (published), 4 (marked spam), 7 (published).
    figures = {line[:22].strip(): line[22:].split() for line in out.splitlines()[3:]}
    assert figures["spam published"][0] == "25.0%"
    assert figures["spam held"][0] == "50.0%"
    assert figures["good marked spam"][0] == "33.3%"
    assert figures["good held"][0] == "0.0%"
    assert figures["precision"][0] == "50.0%"
    assert figures["recall"][0] == "25.0%"
    assert figures["F1"][0] == "33.3%"
    assert figures["false-positive rate"][0] == "33.3%"
    assert figures["spam / good rows"] == ["4", "/", "3", "2", "/", "1", "2", "/", "2"]


def test_eval_needs_labels(runner: Any, labelled: Path) -> None:
    result = runner.invoke(args=["spam", "eval", str(labelled), "--text-column", "TEXT"])
    assert result.exit_code == 2 and "eval needs --label-column" in result.output


@pytest.fixture
def youtube_like(tmp_path: Path) -> Path:
    """A labelled file in the YouTube sets' columns: two spam, two good."""
    path = tmp_path / "yt.csv"
    path.write_text(
        "COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\n"
        "1,a,2015-01-01,check out my channel,1\n"
        "2,b,2015-01-01,lovely song,0\n"
        "3,c,2015-01-01,subscribe to my channel,1\n"
        "4,d,2015-01-01,what a voice,0\n"
    )
    return path


def test_train_writes_a_model_the_filter_loads(
    app: Flask, runner: Any, labelled: Path, tmp_path: Path, youtube_like: Path
) -> None:
    out = tmp_path / "model.json.gz"
    result = invoke(runner, "train", str(youtube_like), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "trained on 2 spam and 2 good texts from 1 file(s)" in result.output
    model = Model.load(out)

    def score(text: str) -> float:
        found = features.tokens(text)
        return probability(model.weight_of(found), text_scale(found))

    assert score("follow my channel") > 0.5 > score("lovely voice")


def test_train_names_a_missing_file(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["spam", "train", str(tmp_path / "none.csv")])
    assert result.exit_code != 0 and "no such file" in result.output


def test_train_runs_when_the_model_the_site_loads_is_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, youtube_like: Path
) -> None:
    """The site loads its model at start-up; `spam train`, which rebuilds it, must not."""
    from click.testing import CliRunner

    from blogengine.cli import main

    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"not a model")
    monkeypatch.setenv("BLOGENGINE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("BLOGENGINE_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'b.db'}")
    monkeypatch.setenv(
        "BLOGENGINE_COMMENTS_SPAM_FILTERS_OPTIONS", json.dumps({"learning": {"model": str(broken)}})
    )
    runner = CliRunner()
    # The site itself cannot start with that file...
    refused = runner.invoke(
        main, ["spam", "classify", str(youtube_like), "--text-column", "CONTENT"]
    )
    assert refused.exit_code != 0
    assert "'learning' cannot start" in str(refused.exception) + refused.output
    # ...but training can, and what it writes the site loads.
    result = runner.invoke(main, ["spam", "train", str(youtube_like), "--out", str(broken)])
    assert result.exit_code == 0, result.output
    assert "trained on 2 spam and 2 good texts" in result.output
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(
        main, ["spam", "classify", str(youtube_like), "--text-column", "CONTENT"]
    )
    assert loaded.exit_code == 0, loaded.output
    assert [row["row"] for row in lines(loaded.output)] == [1, 2, 3, 4]
