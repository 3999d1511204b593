"""An outside plugin: a CAPTCHA that wants a word in capitals and a filter against shouting.

It imports only the contract, as any distribution written apart from blogengine would.
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

from blogengine.comments.contracts import (
    Action,
    CaptchaContext,
    CommentDraft,
    FilterContext,
    Verdict,
)


class ShoutCaptcha:
    """Options: ``word``; the reader must type it in capitals."""

    def __init__(self, *, word: str = "hello") -> None:
        self.word = word

    def render(self, ctx: CaptchaContext) -> Markup:
        return Markup(
            '<label for="captcha_answer">Shout the word {w} (in capitals)</label>'
            '<input id="captcha_answer" name="captcha_answer" type="text" required>'
        ).format(w=escape(self.word))

    def verify(self, fields: Mapping[str, str], ctx: CaptchaContext) -> Verdict:
        if fields.get("captcha_answer", "").strip() == self.word.upper():
            return Verdict(Action.ACCEPT, "shouted correctly", "shout")
        return Verdict(Action.SPAM, f"Please shout {self.word.upper()}, in capitals.", "shout")


class CapsLockFilter:
    """Options: ``min_letters``; a comment all in capitals with that many letters waits."""

    def __init__(self, *, min_letters: int = 10) -> None:
        self.min_letters = min_letters

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        letters = [ch for ch in draft.body if ch.isalpha()]
        if len(letters) >= self.min_letters and all(ch.isupper() for ch in letters):
            return Verdict(Action.MODERATE, "written all in capitals", "capslock")
        return None
