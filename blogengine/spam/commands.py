"""``blogengine spam train|classify|eval``: thin commands over ``training`` and ``evaluate``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from flask.cli import AppGroup

from .datasets import DatasetError, read_csv
from .evaluate import EvaluationError, RowResult, classify, evaluate, report

Command = TypeVar("Command", bound=Callable[..., Any])

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "spam"


@click.group("spam", cls=AppGroup)
def spam_group() -> None:
    """Train and measure the spam filters."""


@spam_group.command("train", with_appcontext=False)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA,
    show_default=True,
    help="Where the public labelled files are (when FILES are not given).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Model file to write (default: the one the package ships).",
)
def spam_train(files: tuple[Path, ...], data_dir: Path, out: Path | None) -> None:
    """Rebuild the learning filter's model from labelled files (no app needed: it works when
    the model file the site loads is broken or missing).

    By default from YouTube Spam Collection 01-02 and the SMS Spam Collection (CSV with
    COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS, or the SMS TSV), into the shipped model file.
    """
    from ..comments.builtin.filter_learning import SHIPPED_MODEL
    from .training import SHIPPED_TRAINING_FILES, train_files

    paths = list(files) or [data_dir / name for name in SHIPPED_TRAINING_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise click.ClickException(f"no such file: {', '.join(missing)}")
    try:
        model, spam, good = train_files(paths)
    except (DatasetError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    target = out or SHIPPED_MODEL
    model.save(target)
    click.echo(
        f"trained on {spam} spam and {good} good texts from {len(paths)} file(s); "
        f"wrote {target} ({target.stat().st_size:,} bytes)"
    )


def _measuring_options(command: Command) -> Command:
    """The arguments classify and eval share."""
    options = [
        click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--text-column", required=True, help="The column with the comment's text."),
        click.option("--author-column", help="The column with the author's name."),
        click.option("--label-column", help="The true label: 1/spam or 0/ham."),
        click.option(
            "--learn",
            is_flag=True,
            help="Teach learning filters each row's label right after its verdict.",
        ),
        click.option(
            "--keep", is_flag=True, help="Keep what the filters learned (default: thrown away)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class Measuring:
    """What classify and eval were asked to measure."""

    file: Path
    text_column: str
    author_column: str | None
    label_column: str | None
    learn: bool
    keep: bool

    def results(self) -> Iterator[RowResult]:
        from ..comments import get_service
        from ..comments.names import protected_names

        if self.learn and not self.label_column:
            raise click.UsageError("--learn needs --label-column")
        rows = read_csv(self.file, self.text_column, self.author_column, self.label_column)
        return classify(
            get_service().chain,
            rows,
            learn=self.learn,
            keep=self.keep,
            protected_names=protected_names(None),
        )


@spam_group.command("classify")
@_measuring_options
def spam_classify(**options: Any) -> None:
    """Print each row's verdict through the configured chain, one JSON line per row.

    Nothing is stored: rows are comments on a throwaway post in a throwaway store.
    """
    try:
        for result in Measuring(**options).results():
            click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    except (DatasetError, EvaluationError) as exc:
        raise click.ClickException(str(exc)) from exc


@spam_group.command("eval")
@_measuring_options
def spam_eval(**options: Any) -> None:
    """Measure the configured chain on a labelled file: what gets published, held, marked.

    Needs --label-column. Figures for all rows and for each half (with --learn, the second
    half shows what the filters do once they have learned from the first).
    """
    asked = Measuring(**options)
    if not asked.label_column:
        raise click.UsageError("eval needs --label-column")
    try:
        click.echo(report(evaluate(asked.results())))
    except (DatasetError, EvaluationError) as exc:
        raise click.ClickException(str(exc)) from exc
