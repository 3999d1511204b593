"""The `fixed` CAPTCHA: one known answer. Deterministic, for tests and private sites.

Tests use it instead of a testing bypass, so the real form, field and failure path run.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from markupsafe import Markup, escape

from ..contracts import Action, CaptchaContext, Verdict


class FixedAnswerCaptcha:
    def __init__(self, *, question: str = "Type the word human", answer: str = "human") -> None:
        self.question = question
        self.answer = answer

    def render(self, ctx: CaptchaContext) -> Markup:
        return Markup(
            '<label for="captcha_answer">{q}</label>'
            '<input id="captcha_answer" name="captcha_answer" type="text" required '
            'autocomplete="off" inputmode="text">'
        ).format(q=escape(self.question))

    def retry_prompt(self) -> Markup:
        return Markup("Please answer the question again.")

    def verify(self, fields: Mapping[str, str], ctx: CaptchaContext) -> Verdict:
        given = (fields.get("captcha_answer") or "").strip().lower()
        if not given:
            return Verdict(
                Action.SPAM, "Please answer the question at the end of the form.", "fixed"
            )
        if hmac.compare_digest(given.encode(), self.answer.lower().encode()):
            return Verdict(Action.ACCEPT, "answer correct", "fixed")
        return Verdict(
            Action.SPAM,
            "The answer to the question was not right. Please try again: your comment is kept.",
            "fixed",
        )
