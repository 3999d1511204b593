"""The `altcha` CAPTCHA: proof of work in the reader's browser, checked here; the math question
for a reader without JavaScript.

Self-hosted: the challenge is made and verified by the `altcha` package (ALTCHA's v2 format,
PBKDF2/SHA-256) and solved by ``static/altcha/solver.js``, served by this site (no CDN, no
inline script: the CSP stays as it is). A person waits a moment; a bot pays the same work
for every comment (``cost`` x 16^len(``key_prefix``) PBKDF2 rounds on average).

The challenge is signed with the site's derived CAPTCHA key, carries its expiry in its signed
data (checked against the host's clock) and is good for one comment: its nonce is claimed in
the host's NonceLedger (the same form sent twice by a double click excepted).

Without JavaScript (or without WebCrypto) the reader sees the `math` question below it and
answers that: the server accepts either a valid solution or the right answer, never a dead
end. The script hides the question once it starts working and shows it again if it fails.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta

import altcha
from markupsafe import Markup

from ..contracts import Action, CaptchaContext, Verdict
from .captcha_math import MathCaptcha, _duration, form_holder

log = logging.getLogger(__name__)

ALGORITHM = "PBKDF2/SHA-256"
FIELD = "captcha_altcha"
#: A real payload is well under 1 KB; anything far larger is not worth decoding.
MAX_PAYLOAD = 8192

#: What follows every refusal: the page comes back with a new challenge, solved again.
AGAIN = "It is being done again below; please send again once it is done: your comment is kept."
#: By the new challenge after a refusal, when the browser does the work (``retry_prompt``).
RETRY_WORK = "The check is being done again: please send your comment once it says it is done."
NOT_FINISHED = (
    "The check that this browser is a person's had not finished when the comment was sent. "
    "Please wait for it to say it is done (or answer the question) and send again: your "
    "comment is kept."
)
EXPIRED = "The check expired before the comment was sent (it lasts {duration}). " + AGAIN
BROKEN = "The check could not be verified. " + AGAIN
WRONG = "The check's result was not right. " + AGAIN
REPLAYED = "That check was already used for another comment. " + AGAIN


class AltchaCaptcha:
    """Options: ``cost`` (PBKDF2 rounds per try), ``key_prefix`` (hex digits the derived key
    must start with: each digit multiplies the work by 16), ``ttl`` (seconds a challenge and
    the fallback question last), ``largest`` (the fallback question's largest number),
    ``script_url`` (where the site serves the solver)."""

    #: The form's group: the browser does the work; without JavaScript it is a question.
    legend = "A check that you are a person"

    def __init__(
        self,
        *,
        cost: int = 5000,
        key_prefix: str = "00",
        ttl: int = 3600,
        largest: int = 9,
        script_url: str = "/static/altcha/solver.js",
    ) -> None:
        if cost < 1:
            raise ValueError("altcha: 'cost' must be 1 or more")
        if not key_prefix or any(c not in "0123456789abcdef" for c in key_prefix.lower()):
            raise ValueError("altcha: 'key_prefix' must be hex digits, e.g. '00'")
        self.cost = cost
        self.key_prefix = key_prefix.lower()
        self.ttl = ttl
        self.script_url = script_url
        self.fallback = MathCaptcha(ttl=ttl, largest=largest)

    def render(self, ctx: CaptchaContext) -> Markup:
        expires = int((ctx.now + timedelta(seconds=self.ttl)).timestamp())
        challenge = altcha.create_challenge(
            ALGORITHM,
            self.cost,
            key_prefix=self.key_prefix,
            data={"exp": expires},
            hmac_secret=ctx.secret_key,
        )
        return Markup(
            '<div class="altcha" data-altcha-challenge="{challenge}">'
            '<input type="hidden" name="{field}" value="">'
            '<p class="altcha-status" role="status" aria-live="polite" hidden></p>'
            "</div>"
            '<div class="altcha-fallback">{fallback}</div>'
            '<script src="{src}" defer></script>'
        ).format(
            challenge=json.dumps(challenge.to_dict(), separators=(",", ":")),
            field=FIELD,
            fallback=self.fallback.render(ctx),
            src=self.script_url,
        )

    def retry_prompt(self) -> Markup:
        """True for what the reader sees: without JavaScript, the question; with it, the work
        being done again and the question hidden (``solver.js`` swaps the two lines, and
        swaps them back if the work fails and the question returns)."""
        return Markup(
            '<span class="altcha-retry-question">{question}</span>'
            '<span class="altcha-retry-work" hidden>{work}</span>'
        ).format(question=self.fallback.retry_prompt(), work=RETRY_WORK)

    def verify(self, fields: Mapping[str, str], ctx: CaptchaContext) -> Verdict:
        payload = (fields.get(FIELD) or "").strip()
        if payload:
            return self._verify_work(payload, ctx)
        if (fields.get("captcha_answer") or "").strip():
            return self.fallback.verify(fields, ctx)
        return Verdict(Action.SPAM, NOT_FINISHED, "altcha")

    def _verify_work(self, payload: str, ctx: CaptchaContext) -> Verdict:
        if len(payload) > MAX_PAYLOAD:
            return Verdict(Action.SPAM, BROKEN, "altcha")
        try:
            result = altcha.verify_solution(payload, ctx.secret_key)
            parameters = altcha.Payload.from_base64(payload).challenge.parameters
        except Exception:  # a hostile payload may break the parser in ways it does not catch
            return Verdict(Action.SPAM, BROKEN, "altcha")
        if result.error or result.invalid_signature or not isinstance(parameters.data, dict):
            return Verdict(Action.SPAM, BROKEN, "altcha")
        # Signed, so ours: its expiry and nonce can be trusted from here on.
        expires = parameters.data.get("exp")
        if not isinstance(expires, int) or ctx.now.timestamp() > expires:
            return Verdict(Action.SPAM, EXPIRED.format(duration=_duration(self.ttl)), "altcha")
        holder = form_holder(ctx.submission_key, payload)
        if not ctx.ledger.claim(
            f"altcha:{parameters.nonce}", ctx.now + timedelta(seconds=self.ttl), holder
        ):
            return Verdict(Action.SPAM, REPLAYED, "altcha")
        if not result.verified:
            return Verdict(Action.SPAM, WRONG, "altcha")
        return Verdict(Action.ACCEPT, "proof of work verified", "altcha")
