"""The `math` CAPTCHA: a small sum or difference, checked against a signed, single-use token.

The question varies in form (numbers in words or digits, several wordings, plus or minus), so
a one-line regex does not answer it; a script written for this site still does. It stops
dumb bots only: a site that is targeted needs `altcha` (proof of work) or a provider's CAPTCHA.

No server session: the token carries a nonce and an HMAC of the answer (so it cannot be read
off the page), signed with the site's secret and timestamped. The host's NonceLedger makes
each token good for one submission (a double click of the same form excepted).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from markupsafe import Markup

from ..contracts import Action, CaptchaContext, Verdict

SALT = "blogengine.captcha.math"
NUMBER_WORDS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
]  # fmt: skip

EXPIRED = (
    "The question expired before the comment was sent (questions last {duration}). "
    "Please answer the new question below: your comment is kept."
)
WRONG = (
    "The answer to the question was not right. Please answer the new question: "
    "your comment is kept."
)
MISSING = "Please answer the question at the end of the form: your comment is kept."
#: The question's wordings: (template, operation). {a} and {b} are the numbers, each shown
#: in words or in digits; "-" questions always have a >= b, so no answer is negative.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("What is {a} plus {b}?", "+"),
    ("Add {a} and {b}: what do you get?", "+"),
    ("What is the sum of {a} and {b}?", "+"),
    ("You have {a} apples and are given {b} more: how many apples now?", "+"),
    ("What is {a} minus {b}?", "-"),
    ("Take {b} away from {a}: what is left?", "-"),
    ("You have {a} apples and eat {b}: how many are left?", "-"),
)
REPLAYED = (
    "That question was already used for another comment. Please answer the new question: "
    "your comment is kept."
)
BROKEN = "The question could not be checked. Please answer the new question: your comment is kept."


class MathCaptcha:
    """Options: ``ttl`` (seconds a question stays valid), ``largest`` (largest addend)."""

    def __init__(self, *, ttl: int = 3600, largest: int = 9) -> None:
        if not 1 <= largest < len(NUMBER_WORDS):
            raise ValueError(f"largest must be 1..{len(NUMBER_WORDS) - 1}")
        self.ttl = ttl
        self.largest = largest

    def render(self, ctx: CaptchaContext) -> Markup:
        question, answer = self.question()
        nonce = secrets.token_hex(16)
        token = _serializer(ctx).dumps({"n": nonce, "h": _digest(ctx.secret_key, nonce, answer)})
        return Markup(
            '<label for="captcha_answer">{question} <span class="hint">(in digits)</span></label>'
            '<input id="captcha_answer" name="captcha_answer" type="text" inputmode="numeric" '
            'autocomplete="off" required maxlength="4">'
            '<input type="hidden" name="captcha_token" value="{token}">'
        ).format(question=question, token=token)

    def retry_prompt(self) -> Markup:
        return Markup("Please answer this new question.")

    def question(self) -> tuple[str, int]:
        """A fresh question in one of the wordings, and its answer."""
        template, operation = QUESTIONS[secrets.randbelow(len(QUESTIONS))]
        a = secrets.randbelow(self.largest) + 1
        b = secrets.randbelow(self.largest) + 1
        if operation == "-" and a < b:
            a, b = b, a
        answer = a + b if operation == "+" else a - b
        return template.format(a=_number(a), b=_number(b)), answer

    def verify(self, fields: Mapping[str, str], ctx: CaptchaContext) -> Verdict:
        token = fields.get("captcha_token") or ""
        answer = (fields.get("captcha_answer") or "").strip()
        if not answer:
            return Verdict(Action.SPAM, MISSING, "math")
        try:
            payload = _serializer(ctx).loads(token, max_age=self.ttl)
            nonce, digest = str(payload["n"]), str(payload["h"])
        except SignatureExpired:
            return Verdict(Action.SPAM, EXPIRED.format(duration=_duration(self.ttl)), "math")
        except (BadSignature, KeyError, TypeError):
            return Verdict(Action.SPAM, BROKEN, "math")
        expires_at = ctx.now + timedelta(seconds=self.ttl)
        # Claim first, right or wrong: each question allows one try, so guessing is useless.
        # The holder binds the form's submission key to the answer given: a double click
        # (same form, same answer) may claim again, a second guess under the same key may not.
        holder = form_holder(ctx.submission_key, answer)
        if not ctx.ledger.claim(f"math:{nonce}", expires_at, holder):
            return Verdict(Action.SPAM, REPLAYED, "math")
        if not (
            answer.isascii() and answer.isdigit() and len(answer) <= 4
        ) or not hmac.compare_digest(digest, _digest(ctx.secret_key, nonce, int(answer))):
            return Verdict(Action.SPAM, WRONG, "math")
        return Verdict(Action.ACCEPT, "question answered correctly", "math")


def _number(n: int) -> str:
    """n in words or in digits, at random."""
    return NUMBER_WORDS[n] if secrets.randbelow(2) else str(n)


def _duration(seconds: int) -> str:
    """'1 hour', '5 minutes', '90 seconds': how long a question lasts, in words."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def form_holder(submission_key: str | None, answer: str) -> str | None:
    """The ledger holder for one (form, answer) pair; None without a submission key.

    A double click sends the same form with the same answer: it may claim the token again;
    another form, or another answer under the same form, may not.
    """
    if not submission_key:
        return None
    return hashlib.sha256(f"{submission_key}\0{answer}".encode()).hexdigest()[:40]


def _digest(secret: str, nonce: str, answer: int) -> str:
    message = f"{nonce}:{answer}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def _serializer(ctx: CaptchaContext) -> URLSafeTimedSerializer:
    """A serializer whose clock is the context's, so tests can move time."""
    now = int(ctx.now.timestamp())

    class _ClockSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return now

    return URLSafeTimedSerializer(ctx.secret_key, salt=SALT, signer=_ClockSigner)
