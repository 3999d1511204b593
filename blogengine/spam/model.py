"""The learning filter's model: logistic regression over a comment's tokens.

Chosen over naive Bayes after measuring both (README, "The learning filter"): words and word
pairs overlap, which naive Bayes counts as independent evidence and so calls most good
comments "unsure"; logistic regression weighs overlapping evidence once.

A model is a bias and one weight per token; the probability that a comment is spam is the
logistic of the bias, the signs' and kinds' weights, and the text tokens' weights damped for
long comments (``text_scale``). Training is plain stochastic gradient descent with strong L2
shrinkage and balanced classes, seeded, so the same data gives the same file. The shrinkage
is strong on purpose: the public sets are a few waves of YouTube and SMS spam, and a model
that memorises their words (a singer's name, "gangnam") says nothing about a blog's spam;
what carries over is the kinds (``features.KINDS``), which start from a prior (``PRIORS``).
Learning from one moderator decision is one gradient step, each token's step shrinking with
how many texts held it (``LEARN_RATE``): the changes are numbers to add, which the database
adds atomically for every worker, with a count beside each (``learned.py``).
"""

from __future__ import annotations

import gzip
import json
import math
import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .features import is_sign

#: 3: each token's weight with how many training texts held it (``Model.seen``), which sets
#: how fast a moderator's decision moves it; a file of another version is refused.
MODEL_VERSION = 3
#: The token whose weight is the bias (every comment "has" it).
BIAS = "m:bias"
#: Passes over the training data, starting step size, L2 shrinkage per step.
EPOCHS = 8
STEP = 0.1
#: Measured by leaving each public set out in turn (README, "Measured"): 1e-3 memorised each
#: set (8-10 % of the held-out set's spam published); 0.1 generalises. The same for the signs,
#: so "has a link" (good texts in the public sets almost never hold one) cannot decide alone.
L2 = 0.1
#: Stronger for "has a link": good texts in the public sets almost never hold one, but a
#: blog's readers cite their sources; a link with little text around it is ``k:bare-link``,
#: which learns freely. (Measured: 0.1 held 17-20 % of a real blog's approved comments,
#: 0.3 held 10 %, for 1 more YouTube 02 spam published in 175.)
L2_LINK = 0.3
#: How far one moderator decision moves a token: ``LEARN_RATE / sqrt(1 + n)`` times the error,
#: n being how many texts held the token (in training and in decisions so far). A word the
#: model never saw learns from one decision (a new spam wave is caught from its second
#: copy); "the", or "has a link", seen in thousands, barely moves (AdaGrad's idea, with
#: counts for squared gradients). The bias and the signs learn this way too: slowly, from
#: the site's own balance of spam and good comments. (Measured on the held-out streams: a
#: flat step of 0.1 on words only held 11.8 % of YouTube 03's good comments in the second
#: half; this 5.9 %. Rates 0.1 to 1 differ by one comment per set; 0.5 is between.)
LEARN_RATE = 0.5
#: Weights smaller than this are left out of the shipped file (they move no verdict), unless
#: the token was in at least ``KEEP_SEEN`` training texts (its count slows its learning).
KEEP_ABOVE = 0.02
KEEP_SEEN = 2
SEED = 20261202
#: Text tokens (words and pairs: about 20 words) counted in full before a long comment's are
#: damped (``text_scale``).
DAMP_FROM = 40
#: Where training starts, and what the shrinkage pulls towards, for the kinds of spam every
#: wave shares (``features.KINDS``): asking the reader to act, talking up one's own channel,
#: begging for likes, a disguised address, a link to a profile, shop or fundraiser; and, the
#: other way, a link to a source readers cite (``features.host_kind``), which the public sets
#: barely hold. A sample that barely holds one kind, or labels it both ways (YouTube 01 calls
#: "thumbs up if..." good, 03 calls "like this comment if..." spam), cannot talk the model out
#: of what comment spam is.
PRIORS = {
    "k:call": 2.0,
    "k:own": 2.0,
    "k:bait": 2.0,
    "k:money": 2.0,
    "m:hidden-link": 2.0,
    "k:promo-link": 1.0,
    "k:cite": -1.0,
}


@dataclass
class Model:
    """A bias (the ``BIAS`` token's weight), token weights, and how many training texts held
    each token (``seen``: what makes a known word learn slowly)."""

    weights: dict[str, float] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    def weight_of(self, found: Iterable[str]) -> dict[str, float]:
        """The weights of ``found`` (with the bias) that the model has."""
        out = {BIAS: self.weights.get(BIAS, 0.0)}
        for token in found:
            weight = self.weights.get(token)
            if weight is not None:
                out[token] = weight
        return out

    def seen_of(self, found: Iterable[str]) -> dict[str, int]:
        """How many training texts held each of ``found`` (0 for a token never seen)."""
        return {token: self.seen.get(token, 0) for token in found}

    def save(self, path: Path) -> None:
        """Gzip'd JSON, sorted and without a timestamp: a retrain gives the same bytes. Each
        token is ``[weight, texts that held it]``."""
        kept = {
            t: [round(self.weights.get(t, 0.0), 4), self.seen.get(t, 0)]
            for t in sorted(self.weights.keys() | self.seen.keys())
            if abs(self.weights.get(t, 0.0)) >= KEEP_ABOVE
            or self.seen.get(t, 0) >= KEEP_SEEN
            or t == BIAS
        }
        raw = json.dumps(
            {"version": MODEL_VERSION, "tokens": kept}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        with (
            path.open("wb") as out,
            gzip.GzipFile(filename="", fileobj=out, mode="wb", mtime=0) as gz,
        ):
            gz.write(raw)

    @classmethod
    def load(cls, path: Path) -> Model:
        """The model in ``path``; ValueError (saying so) for a file of another version."""
        with gzip.open(path, "rt", encoding="utf-8") as src:
            data = json.load(src)
        version = data.get("version") if isinstance(data, dict) else None
        if version != MODEL_VERSION:
            raise ValueError(
                f"{path}: a version-{version} spam model, this blogengine reads version "
                f"{MODEL_VERSION}; rebuild it with `blogengine spam train --out {path}`"
            )
        tokens = data["tokens"]
        return cls(
            {str(t): float(w) for t, (w, _) in tokens.items()},
            {str(t): int(n) for t, (_, n) in tokens.items() if n},
        )


def text_scale(found: Collection[str]) -> float:
    """How much a comment's words, pairs and link hosts count: fully up to ``DAMP_FROM`` of
    them, then by sqrt(DAMP_FROM / n). A long text piles up many small weights that say
    nothing (thoughtful blog comments summed to "spam 0.9"); damping by the square root is
    the usual length normalisation. Signs and kinds are never damped: a call to action is
    as telling in a long comment as in a short one."""
    n = sum(1 for token in found if not is_sign(token))
    return 1.0 if n <= DAMP_FROM else math.sqrt(DAMP_FROM / n)


def probability(weights: Mapping[str, float], scale: float = 1.0) -> float:
    """The spam probability of a comment whose tokens (bias included) have ``weights``,
    its text tokens counting ``scale`` times (``text_scale``)."""
    return _logistic(_score(weights, scale))


def _score(weights: Mapping[str, float], scale: float) -> float:
    fixed = sum(w for t, w in weights.items() if is_sign(t))
    return fixed + scale * sum(w for t, w in weights.items() if not is_sign(t))


def _logistic(z: float) -> float:
    z = max(-30.0, min(30.0, z))
    return 1.0 / (1.0 + math.exp(-z))


def learn_steps(
    weights: Mapping[str, float],
    seen: Mapping[str, int],
    is_spam: bool,
    scale: float = 1.0,
) -> dict[str, float]:
    """How much to add to each token's weight in ``seen`` (the tokens to learn, with how many
    texts held each so far) to learn the comment's label: the logistic loss's gradient, each
    token's step shrinking with its count (``LEARN_RATE``). ``weights`` are the comment's
    current weights, bias included; text tokens count ``scale`` times (``text_scale``)."""
    error = (1.0 if is_spam else 0.0) - probability(weights, scale)
    return {
        token: LEARN_RATE * error * (1.0 if is_sign(token) else scale) / math.sqrt(1 + count)
        for token, count in seen.items()
    }


def train(examples: Sequence[tuple[frozenset[str], bool]]) -> Model:
    """Fit a model to (tokens, is_spam) examples; the same examples give the same model."""
    spam = sum(1 for _, is_spam in examples if is_spam)
    ham = len(examples) - spam
    if not spam or not ham:
        raise ValueError("training needs both spam and good examples")
    # Balanced: each class weighs as much in total, whatever the mix of the sources.
    class_weight = {True: len(examples) / (2 * spam), False: len(examples) / (2 * ham)}
    order = [(found, is_spam, text_scale(found)) for found, is_spam in examples]
    rng = random.Random(SEED)
    weights: dict[str, float] = {BIAS: 0.0, **PRIORS}
    seen = Counter(token for found, _ in examples for token in found)
    seen[BIAS] = len(examples)
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        step = STEP / (1 + epoch)
        for found, is_spam, scale in order:
            z = weights[BIAS] + _score({t: weights.get(t, 0.0) for t in found}, scale)
            gradient = (_logistic(z) - (1.0 if is_spam else 0.0)) * class_weight[is_spam]
            for token in found:
                old = weights.get(token, 0.0)
                slope = gradient if is_sign(token) else gradient * scale
                pull = old - PRIORS.get(token, 0.0)
                weights[token] = old - step * (
                    slope + (L2_LINK if token == "m:link" else L2) * pull
                )
            weights[BIAS] -= step * gradient
    return Model(weights, dict(seen))
