"""Rebuilding the shipped model from public labelled data (``blogengine spam train``).

The shipped model is trained on YouTube Spam Collection 01 and 02 and the SMS Spam
Collection only. YouTube 03 is kept out, so ``blogengine spam eval`` on it measures comments
the shipped model never saw (README), and because its spam is mostly one wave ("like this
comment"), which taught a model trained on it that the word "comment" is spam: a blog's
readers write that word all the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from . import features
from .datasets import read_labelled
from .model import Model, train

#: The public files (in ``../shared/data/spam/`` of a checkout) the shipped model learns from.
SHIPPED_TRAINING_FILES = (
    "Youtube01-Psy.csv",
    "Youtube02-KatyPerry.csv",
    "SMSSpamCollection-v1.tsv",
)


def examples(paths: Iterable[Path]) -> list[tuple[frozenset[str], bool]]:
    """Each labelled row once: a text repeated in the files (403 SMS rows are) counts once."""
    seen: set[str] = set()
    out = []
    for path in paths:
        for row in read_labelled(path):
            if row.is_spam is None or row.text in seen:
                continue
            seen.add(row.text)
            out.append((frozenset(features.tokens(row.text)), row.is_spam))
    return out


def train_files(paths: Sequence[Path]) -> tuple[Model, int, int]:
    """A model from labelled files; also how many spam and good rows it learned."""
    found = examples(paths)
    spam = sum(1 for _, is_spam in found if is_spam)
    return train(found), spam, len(found) - spam
