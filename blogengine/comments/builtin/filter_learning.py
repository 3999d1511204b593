"""The `learning` filter: a model trained on public comment spam that learns from moderators.

It reads the text and the website only (never a date, an id or an address), scores it with
the shipped model plus what moderators taught it (``blogengine.spam``), and says why in words:
``spam 0.97: 'subscribe', 'my channel', a link``. Sure -> SPAM; unsure -> MODERATE, never
SPAM; likely good -> no opinion. ``blogengine spam train`` rebuilds the shipped model.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ...spam import features
from ...spam.learned import Learned, LearnedWeights, MemoryLearnedWeights, SqlLearnedWeights
from ...spam.model import BIAS, Model, learn_steps, probability, text_scale
from ..contracts import Action, CommentDraft, FilterContext, StoredComment, Verdict

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "spam" / "model.json.gz"
#: How many of the strongest readable tokens a reason names.
REASON_CLUES = 3


class LearningFilter:
    """Options: ``spam_above`` (probability from which a comment is spam), ``accept_below``
    (below it, no opinion; between the two, moderation), ``model`` (a model file instead of
    the shipped one), ``state`` ("database": learned changes shared by every worker, each
    reading them again within ``learned.SNAPSHOT_SECONDS``; "memory": kept in this process
    only, for tests and measurements)."""

    #: Runs on the request's thread (chain.py): the model and the learned weights in memory.
    inline = True

    def __init__(
        self,
        *,
        spam_above: float = 0.95,
        accept_below: float = 0.25,
        model: str | None = None,
        state: str = "database",
    ) -> None:
        if not 0.0 < accept_below <= spam_above <= 1.0:
            raise ValueError("need 0 < accept_below <= spam_above <= 1")
        if state not in ("database", "memory"):
            raise ValueError("state must be 'database' or 'memory'")
        self.spam_above = spam_above
        self.accept_below = accept_below
        self.model = Model.load(Path(model) if model else SHIPPED_MODEL)
        self.learned: LearnedWeights = (
            SqlLearnedWeights() if state == "database" else MemoryLearnedWeights()
        )

    def scratch(self) -> LearningFilter:
        """A copy that starts from what this one knows and learns in memory only."""
        copy = object.__new__(LearningFilter)
        copy.__dict__.update(self.__dict__)
        copy.learned = MemoryLearnedWeights(self.learned)
        return copy

    def weights(self, found: set[str]) -> dict[str, float]:
        """Each token's weight: the shipped model's plus what was learned (bias included)."""
        found = found | {BIAS}
        weights = self.model.weight_of(found)
        for token, learned in self.learned.learned(found).items():
            weights[token] = weights.get(token, 0.0) + learned.delta
        return weights

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        found = features.tokens(draft.body, draft.website)
        weights = self.weights(found)
        scale = text_scale(found)
        spam = probability(weights, scale)
        if spam < self.accept_below:
            return None
        clues = _clues(weights, scale)
        if spam >= self.spam_above:
            return Verdict(Action.SPAM, f"spam {_floor(spam)}: {clues}", "learning")
        return Verdict(Action.MODERATE, f"unsure, spam {_floor(spam)}: {clues}", "learning")

    def learn(self, comment: StoredComment, is_spam: bool) -> None:
        """One step towards the moderator's label on every token of the comment, the bias
        included: a token the model has seen in many texts moves little, a new one much
        (``model.LEARN_RATE``), so a new wave is learned from a few decisions while the bias
        and the signs follow the site's own balance slowly."""
        found = features.tokens(comment.body, comment.website) | {BIAS}
        base = self.model.weight_of(found)
        shipped = self.model.seen_of(found)
        scale = text_scale(found)

        def step(learned: Mapping[str, Learned]) -> dict[str, float]:
            current = dict(base)
            for token, taught in learned.items():
                current[token] = base.get(token, 0.0) + taught.delta
            seen = {token: shipped[token] + taught.seen for token, taught in learned.items()}
            return learn_steps(current, seen, is_spam, scale)

        self.learned.learn(comment.id, is_spam, found, step)


def _floor(value: float) -> str:
    """Two decimals, rounded down: 0.999 is "0.99", never a promise of "1.00"."""
    return f"{int(value * 100) / 100:.2f}"


def _clues(weights: dict[str, float], scale: float) -> str:
    """The strongest readable tokens that pushed towards spam (as they counted), in words."""
    counted = (
        (w if features.is_sign(t) else w * scale, t) for t, w in weights.items() if t != BIAS
    )
    ranked = sorted(((w, t) for w, t in counted if w > 0), key=lambda p: (-p[0], p[1]))
    words: list[str] = []
    for _, token in ranked:
        said = features.describe(token)
        if said and said not in words:
            words.append(said)
        if len(words) == REASON_CLUES:
            break
    return ", ".join(words) or "the text as a whole"
