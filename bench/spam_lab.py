"""A fast, in-process measure of the learning filter: seconds, not minutes.

``bench/spam_figures.py`` runs the real commands (what the README shows); this runs the same
measurement in one process, to compare ideas by leaving each set out: for each YouTube set,
a model trained on the two others and SMS, the default chain's text filters (``links``,
``duplicate``, ``learning``) over the held-out file without learning and with learning
(figures over the second half), and the real blog's approved comments with the model trained
on YouTube 01-02 + SMS (the shipped model's data), without and with learning. Never tune on
one held-out set: an idea is worth keeping when it helps across the sets.

    .venv/bin/python -m bench.spam_lab [--show] [--set=model.LEARN_RATE=1.0 ...]

``--show`` lists the rows each run gets wrong (with the learning filter's probability);
``--set`` changes a constant of ``blogengine.spam`` for the run. Rows go through ``links``,
``duplicate`` (as ``spam eval`` runs it: no addresses) and ``learning``; the figures match
``bench/spam_figures.py``'s, which runs the real commands, in about 15 s instead of minutes.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree

from blogengine.comments.builtin.filter_duplicate import DuplicateFilter
from blogengine.comments.builtin.filter_learning import LearningFilter
from blogengine.comments.builtin.filter_links import count_links
from blogengine.comments.contracts import (
    Action,
    CommentDraft,
    Status,
    StoredComment,
    fingerprint_words,
    text_fingerprint,
)
from blogengine.rendering import CONTROL_CHARACTERS
from blogengine.spam import features
from blogengine.spam.datasets import Row, read_labelled
from blogengine.spam.model import probability, text_scale
from blogengine.spam.training import train_files

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT.parent / "shared" / "data" / "spam"
YOUTUBE = ["Youtube01-Psy.csv", "Youtube02-KatyPerry.csv", "Youtube03-LMFAO.csv"]
SMS = "SMSSpamCollection-v1.tsv"
BLOG_WXR = PROJECT.parent / "shared" / "data" / "wxr" / "cc-labs-blog-2014.wordpress.xml"
WP = "{http://wordpress.org/export/1.2/}"


@dataclass
class Counts:
    """Verdicts by truth, in the owner's terms."""

    spam: dict[Action, int] = field(default_factory=lambda: dict.fromkeys(Action, 0))
    good: dict[Action, int] = field(default_factory=lambda: dict.fromkeys(Action, 0))

    def add(self, is_spam: bool, action: Action) -> None:
        (self.spam if is_spam else self.good)[action] += 1

    def cells(self) -> str:
        spam, good = sum(self.spam.values()), sum(self.good.values())

        def pct(part: int, whole: int) -> str:
            return f"{100 * part / whole:5.1f} ({part:3})" if whole else "    -      "

        return (
            f"{pct(self.spam[Action.ACCEPT], spam)} {pct(self.good[Action.SPAM], good)} "
            f"{pct(self.good[Action.MODERATE], good)}"
        )


def blog_rows() -> list[Row]:
    root = ElementTree.parse(BLOG_WXR).getroot()
    assert root is not None
    return [
        Row(number=n, text=c.findtext(f"{WP}comment_content") or "", is_spam=False)
        for n, c in enumerate(
            (
                c
                for c in root.iter(f"{WP}comment")
                if (c.findtext(f"{WP}comment_type") or "comment") == "comment"
            ),
            start=1,
        )
    ]


def chain_action(learning: LearningFilter, text: str, seen: set[str]) -> tuple[Action, str]:
    """What the default chain's text filters do with one row (as ``spam eval`` runs them)."""
    text = CONTROL_CHARACTERS.sub("", text)
    action, reasons = Action.ACCEPT, []
    if count_links(text) > 2:
        action, reasons = Action.MODERATE, ["links"]
    words = fingerprint_words(text)
    print_ = text_fingerprint(text)
    if words and print_ in seen and not DuplicateFilter().is_short(words):
        action, reasons = Action.MODERATE, [*reasons, "duplicate"]
    seen.add(print_)
    draft = CommentDraft(post_id="p", author="a", body=text)
    verdict = learning.check(draft, None)  # type: ignore[arg-type]
    if verdict is not None:
        action = max(action, verdict.action)
        reasons.append(verdict.reason)
    else:
        found = features.tokens(text)
        reasons.append(f"p={probability(learning.weights(found), text_scale(found)):.2f}")
    return action, "; ".join(reasons)


def stream(
    learning: LearningFilter, rows: Iterable[Row], learn: bool, show: list[str] | None
) -> tuple[Counts, Counts]:
    """The whole file's and its second half's counts (learning after each verdict)."""
    labelled = [r for r in rows if r.is_spam is not None]
    whole, second = Counts(), Counts()
    seen: set[str] = set()
    if learn:
        learning = learning.scratch()
    for i, row in enumerate(labelled):
        assert row.is_spam is not None
        action, why = chain_action(learning, row.text, seen)
        whole.add(row.is_spam, action)
        if i >= len(labelled) // 2:
            second.add(row.is_spam, action)
        wrong = (action is Action.ACCEPT) if row.is_spam else (action is not Action.ACCEPT)
        if show is not None and wrong and (not learn or i >= len(labelled) // 2):
            text = " ".join(row.text.split())[:150]
            show.append(f"  {'SPAM' if row.is_spam else 'good'} {action.label:8} {why} | {text}")
        if learn:
            stored = StoredComment(
                id=f"r{i}",
                post_id="p",
                number=None,
                author="a",
                body=CONTROL_CHARACTERS.sub("", row.text),
                body_html="",
                created_at=None,
                status=Status.SPAM if row.is_spam else Status.APPROVED,
            )
            learning.learn(stored, row.is_spam)
    return whole, second


def model_for(files: list[str], folder: Path, options: dict[str, object]) -> LearningFilter:
    path = folder / ("-".join(f[:9] for f in files) + ".json.gz")
    if not path.exists():
        model, _, _ = train_files([DATA / f for f in files])
        model.save(path)
    return LearningFilter(model=str(path), state="memory", **options)  # type: ignore[arg-type]


def run(options: dict[str, object] | None = None, show: bool = False) -> None:
    options = options or {}
    started = time.perf_counter()
    header = f"{'set':22} {'spam publ.':>11} {'good spam':>11} {'good held':>11}"
    print(f"{header}   | --learn, 2nd half: {header[23:]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for held in YOUTUBE:
            learning = model_for([f for f in YOUTUBE if f != held] + [SMS], folder, options)
            rows = list(read_labelled(DATA / held))
            wrong: list[str] | None = [] if show else None
            plain, _ = stream(learning, rows, learn=False, show=wrong)
            learned_wrong: list[str] | None = [] if show else None
            _, second = stream(learning, rows, learn=True, show=learned_wrong)
            print(f"{held[:22]:22} {plain.cells()}   | {' ' * 19}{second.cells()}")
            for line in (wrong or []) + ["  -- with --learn, 2nd half:"] + (learned_wrong or []):
                if show:
                    print(line)
        learning = model_for([YOUTUBE[0], YOUTUBE[1], SMS], folder, options)
        wrong = [] if show else None
        blog, _ = stream(learning, blog_rows(), learn=False, show=wrong)
        _, learned = stream(learning, blog_rows(), learn=True, show=None)
        print(f"{'CC Labs blog (good)':22} {blog.cells()}   | {' ' * 19}{learned.cells()}")
        for line in wrong or []:
            print(line)
    print(f"({time.perf_counter() - started:.1f} s)")


def main(argv: list[str]) -> None:
    """``--set module.NAME=value`` (e.g. ``model.LEARN_RATE=1``) changes a constant of
    ``blogengine.spam`` for this run: quick what-ifs before changing the code."""
    import importlib

    for arg in argv:
        if arg.startswith("--set="):
            target, _, value = arg.removeprefix("--set=").partition("=")
            module, _, name = target.rpartition(".")
            setattr(importlib.import_module(f"blogengine.spam.{module}"), name, eval(value))
    run(show="--show" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
