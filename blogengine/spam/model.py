"""The learning filter's model: logistic regression over a comment's tokens.

Chosen over naive Bayes after measuring both (README, "The learning filter"): word pairs and
character n-grams overlap, which naive Bayes counts as independent evidence and so calls
most good comments "unsure"; logistic regression weighs overlapping evidence once.

A model is a bias and one weight per token; the probability that a comment is spam is the
logistic of the bias plus the weights of its tokens. Training is plain stochastic gradient
descent with L2 shrinkage and balanced classes, seeded, so the same data gives the same file.
Learning from one moderator decision is one gradient step: the change to each weight is a
number to add, which the database can add atomically for every worker (``learned.py``).
"""

from __future__ import annotations

import gzip
import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MODEL_VERSION = 1
#: The token whose weight is the bias (every comment "has" it).
BIAS = "m:bias"
#: Passes over the training data, starting step size, L2 shrinkage per step.
EPOCHS = 8
STEP = 0.1
L2 = 1e-3
#: Stronger shrinkage for the signs every text has or lacks (a link, a long number): in the
#: public sets good texts almost never hold a link, which must not teach the model that any
#: comment with a link is spam.
L2_SIGNS = 1e-2
#: Step size of one moderator decision: a new spam wave is learned from a handful of examples,
#: and a few decisions cannot make ordinary words suspect (0.3 marked 2 % of good comments spam
#: on a measured stream, 0.1 none to 1 %).
LEARN_STEP = 0.1
#: Weights smaller than this are left out of the shipped file (they move no verdict).
KEEP_ABOVE = 2e-3
SEED = 20261202


@dataclass
class Model:
    """A bias (the ``BIAS`` token's weight) and token weights."""

    weights: dict[str, float] = field(default_factory=dict)

    def weight_of(self, found: Iterable[str]) -> dict[str, float]:
        """The weights of ``found`` (with the bias) that the model has."""
        out = {BIAS: self.weights.get(BIAS, 0.0)}
        for token in found:
            weight = self.weights.get(token)
            if weight is not None:
                out[token] = weight
        return out

    def save(self, path: Path) -> None:
        """Gzip'd JSON, sorted and without a timestamp: a retrain gives the same bytes."""
        kept = {
            t: round(w, 4)
            for t, w in sorted(self.weights.items())
            if abs(w) >= KEEP_ABOVE or t == BIAS
        }
        raw = json.dumps(
            {"version": MODEL_VERSION, "weights": kept}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        with (
            path.open("wb") as out,
            gzip.GzipFile(filename="", fileobj=out, mode="wb", mtime=0) as gz,
        ):
            gz.write(raw)

    @classmethod
    def load(cls, path: Path) -> Model:
        with gzip.open(path, "rt", encoding="utf-8") as src:
            data = json.load(src)
        if not isinstance(data, dict) or data.get("version") != MODEL_VERSION:
            raise ValueError(f"{path}: not a version-{MODEL_VERSION} spam model")
        return cls({str(t): float(w) for t, w in data["weights"].items()})


def probability(weights: Mapping[str, float]) -> float:
    """The spam probability of a comment whose tokens (bias included) have ``weights``."""
    return _logistic(sum(weights.values()))


def _logistic(z: float) -> float:
    z = max(-30.0, min(30.0, z))
    return 1.0 / (1.0 + math.exp(-z))


def learn_step(weights: Mapping[str, float], is_spam: bool, step: float = LEARN_STEP) -> float:
    """How much to add to each of the comment's weights (bias included) to learn its label."""
    target = 1.0 if is_spam else 0.0
    return -step * (probability(weights) - target)


def train(examples: Sequence[tuple[frozenset[str], bool]]) -> Model:
    """Fit a model to (tokens, is_spam) examples; the same examples give the same model."""
    spam = sum(1 for _, is_spam in examples if is_spam)
    ham = len(examples) - spam
    if not spam or not ham:
        raise ValueError("training needs both spam and good examples")
    # Balanced: each class weighs as much in total, whatever the mix of the sources.
    class_weight = {True: len(examples) / (2 * spam), False: len(examples) / (2 * ham)}
    order = list(examples)
    rng = random.Random(SEED)
    weights: dict[str, float] = {BIAS: 0.0}
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        step = STEP / (1 + epoch)
        for found, is_spam in order:
            z = weights[BIAS] + sum(weights.get(t, 0.0) for t in found)
            gradient = (_logistic(z) - (1.0 if is_spam else 0.0)) * class_weight[is_spam]
            for token in found:
                old = weights.get(token, 0.0)
                shrink = L2_SIGNS if token.startswith("m:") else L2
                weights[token] = old - step * (gradient + shrink * old)
            weights[BIAS] -= step * gradient
    return Model(weights)
