"""The `none` CAPTCHA: no challenge. For private sites, or when a spam filter does the work."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup

from ..contracts import Action, CaptchaContext, Verdict


class NoCaptcha:
    def render(self, ctx: CaptchaContext) -> Markup:
        return Markup("")

    def verify(self, fields: Mapping[str, str], ctx: CaptchaContext) -> Verdict:
        return Verdict(Action.ACCEPT, "no CAPTCHA configured", "none")
