"""The `turnstile`, `hcaptcha` and `recaptcha` CAPTCHAs: a provider's widget, checked server-side.

The reader's browser loads the provider's script, which puts a one-time token in the form; the
server sends it to the provider's siteverify endpoint (form fields ``secret``, ``response``,
``remoteip``) and reads the JSON answer (``success``, ``error-codes``). All three speak the
same protocol; they differ in their widget, the form field the token comes in and their error
codes.

* A wrong, missing, expired or already used token refuses the comment (the reader answers
  again, the text kept).
* A provider that does not answer in time, answers garbage, or refuses the site's own secret
  (the owner's mistake, not the reader's) gives MODERATE: the comment is kept as pending and
  the error logged. The owner is told, the reader never loses a comment.
* The host's NonceLedger records every token: a token sent by another form is refused
  without asking the provider, and the same form sent twice (a double click, whose second
  request the provider answers "duplicate") is let through.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.parse
from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar

from markupsafe import Markup

from ..contracts import Action, CaptchaContext, Verdict
from .captcha_math import form_holder
from .http_form import ServiceUnavailable, post_form

log = logging.getLogger(__name__)

#: How long the ledger remembers a token: longer than any provider keeps one valid.
TOKEN_MEMORY = timedelta(minutes=30)

#: Codes that mean the reader's token is at fault, with what the reader is told.
NOT_DONE = (
    "The check that you are a person was not completed. Please complete it (below the "
    "comment box) and send again: your comment is kept."
)
INVALID = (
    "The check that you are a person was not accepted. Please complete it again and send "
    "again: your comment is kept."
)
EXPIRED = (
    "The check that you are a person expired before the comment was sent. Please complete "
    "it again and send again: your comment is kept."
)
REPLAYED = (
    "That check was already used for another comment. Please complete it again and send "
    "again: your comment is kept."
)
READER_CODES = {
    "missing-input-response": NOT_DONE,
    "invalid-input-response": INVALID,
    "timeout-or-duplicate": EXPIRED,
    "expired-input-response": EXPIRED,
    "already-seen-response": EXPIRED,
    "invalid-or-already-seen-response": EXPIRED,
}
#: Codes a double click's second request gets once the first used the token.
DUPLICATE_CODES = frozenset(
    {"timeout-or-duplicate", "already-seen-response", "invalid-or-already-seen-response"}
)
#: The marker a refused token gets in the ledger, so a second try of it is never let through.
REFUSED_HOLDER = "refused"


class SiteverifyCaptcha:
    """A provider CAPTCHA. Options: ``site_key``, ``secret`` (both from the provider's
    dashboard), ``endpoint`` (the siteverify URL; a local fake in tests), ``script_url``
    (the widget's script), ``timeout`` (seconds to wait for the provider)."""

    #: The form's group: the provider's widget, not a question.
    legend = "A check that you are a person"
    #: Registry name, also the verdicts' source.
    name: ClassVar[str]
    endpoint_default: ClassVar[str]
    script_default: ClassVar[str]
    #: The widget's element class.
    widget_class: ClassVar[str]
    #: Form fields the provider's script may put the token in, in order of preference.
    response_fields: ClassVar[tuple[str, ...]]
    #: Extra attributes on the widget's element.
    widget_attributes: ClassVar[str] = ""
    #: CSP sources the widget needs, per directive (the README gives the full policy).
    csp_needs: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]]

    def __init__(
        self,
        *,
        site_key: str,
        secret: str,
        endpoint: str | None = None,
        script_url: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        if not site_key or not secret:
            raise ValueError(f"{self.name}: set both 'site_key' and 'secret' in its options")
        if timeout <= 0:
            raise ValueError(f"{self.name}: 'timeout' must be a positive number of seconds")
        self.site_key = site_key
        self.secret = secret
        self.endpoint = endpoint or self.endpoint_default
        self.script_url = script_url or self.script_default
        self.timeout = timeout

    def retry_prompt(self) -> Markup:
        return Markup("Please complete the check again.")

    def render(self, ctx: CaptchaContext) -> Markup:
        return Markup(
            '<div class="{cls}" data-sitekey="{key}"{extra}></div>'
            '<script src="{src}" async defer></script>'
            '<noscript><p class="hint">This check needs JavaScript from {provider}; '
            "please allow it for this page to comment.</p></noscript>"
        ).format(
            cls=self.widget_class,
            key=self.site_key,
            extra=Markup(self.widget_attributes),
            src=self.script_url,
            provider=self.provider_host(),
        )

    def csp_problems(self, csp: str) -> list[str]:
        """What the site's CONTENT_SECURITY_POLICY lacks for this widget to load (start-up)."""
        if not csp:
            return []
        directives = csp_directives(csp)
        problems = []
        for directive, needed in self.csp_needs:
            allowed = directives.get(directive, directives.get("default-src", []))
            missing = [source for source in needed if source not in allowed]
            if missing:
                problems.append(
                    f"{self.name}: CONTENT_SECURITY_POLICY's {directive} lacks "
                    f"{' '.join(missing)}, so browsers will not load the widget and readers "
                    f"cannot comment; use: {self.recommended_csp(csp)}"
                )
        return problems

    def recommended_csp(self, csp: str) -> str:
        """``csp`` opened just enough for this provider's widget (nothing else changes)."""
        directives = csp_directives(csp)
        for directive, needed in self.csp_needs:
            sources = directives.setdefault(directive, list(directives.get("default-src", [])))
            sources.extend(source for source in needed if source not in sources)
        return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())

    def provider_host(self) -> str:
        return urllib.parse.urlsplit(self.script_url).hostname or self.script_url

    def verify(self, fields: Mapping[str, str], ctx: CaptchaContext) -> Verdict:
        token = next((fields[f].strip() for f in self.response_fields if fields.get(f)), "")
        if not token:
            return Verdict(Action.SPAM, NOT_DONE, self.name)
        if len(token) > 4096:
            return Verdict(Action.SPAM, INVALID, self.name)
        digest = hashlib.sha256(token.encode()).hexdigest()[:40]
        holder = form_holder(ctx.submission_key, digest)
        expires_at = ctx.now + TOKEN_MEMORY
        if not ctx.ledger.claim(f"{self.name}:{digest}", expires_at, holder):
            return Verdict(Action.SPAM, REPLAYED, self.name)

        answer = self._siteverify(token, ctx.remote_addr)
        if isinstance(answer, Verdict):
            return answer  # the provider could not be asked: MODERATE
        verified = f"{self.name}:ok:{digest}"
        if answer.get("success") is True:
            ctx.ledger.claim(verified, expires_at, holder)
            return Verdict(Action.ACCEPT, f"{self.name} verified", self.name)

        listed = answer.get("error-codes")
        codes = [str(c) for c in listed] if isinstance(listed, list) else []
        if DUPLICATE_CODES & set(codes) and _passed_before(ctx, verified, holder):
            # The same form passed a moment ago (a double click): not a replay.
            return Verdict(Action.ACCEPT, f"{self.name} verified (same form again)", self.name)
        reader_codes = [c for c in codes if c in READER_CODES]
        if reader_codes:
            ctx.ledger.claim(verified, expires_at, REFUSED_HOLDER)
            return Verdict(Action.SPAM, READER_CODES[reader_codes[0]], self.name)
        log.error("%s siteverify refused the site's request: %s", self.name, codes or answer)
        return Verdict(
            Action.MODERATE,
            f"{self.name} could not check the comment ({', '.join(codes) or 'no error code'}); "
            "check the site key and secret in COMMENTS_CAPTCHA_OPTIONS",
            self.name,
        )

    def _siteverify(self, token: str, remote_addr: str | None) -> dict[str, object] | Verdict:
        """The provider's JSON answer, or a MODERATE verdict when it cannot be had."""
        form = {"secret": self.secret, "response": token}
        if remote_addr:
            form["remoteip"] = remote_addr
        try:
            answer = json.loads(post_form(self.endpoint, form, self.timeout).body)
        except (ServiceUnavailable, ValueError) as exc:
            why = str(exc) if isinstance(exc, ServiceUnavailable) else "not JSON"
            log.warning("%s siteverify failed: %s", self.name, why)
            return Verdict(
                Action.MODERATE,
                f"{self.name} did not answer ({why}); held for moderation",
                self.name,
            )
        if not isinstance(answer, dict):
            return Verdict(
                Action.MODERATE,
                f"{self.name} did not answer (not a JSON object); held for moderation",
                self.name,
            )
        return answer


class TurnstileCaptcha(SiteverifyCaptcha):
    """Cloudflare Turnstile."""

    name = "turnstile"
    endpoint_default = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    script_default = "https://challenges.cloudflare.com/turnstile/v0/api.js"
    widget_class = "cf-turnstile"
    # Turnstile lets the site name the field: ours follows the captcha_* convention.
    widget_attributes = ' data-response-field-name="captcha_turnstile"'
    response_fields = ("captcha_turnstile", "cf-turnstile-response")
    csp_needs = (
        ("script-src", ("https://challenges.cloudflare.com",)),
        ("frame-src", ("https://challenges.cloudflare.com",)),
    )


class HCaptchaCaptcha(SiteverifyCaptcha):
    """hCaptcha."""

    name = "hcaptcha"
    endpoint_default = "https://api.hcaptcha.com/siteverify"
    script_default = "https://js.hcaptcha.com/1/api.js"
    widget_class = "h-captcha"
    response_fields = ("h-captcha-response", "g-recaptcha-response")
    csp_needs = tuple(
        (directive, ("https://hcaptcha.com", "https://*.hcaptcha.com"))
        for directive in ("script-src", "frame-src", "style-src", "connect-src")
    )


class RecaptchaCaptcha(SiteverifyCaptcha):
    """Google reCAPTCHA v2 (the checkbox or invisible widget)."""

    name = "recaptcha"
    endpoint_default = "https://www.google.com/recaptcha/api/siteverify"
    script_default = "https://www.google.com/recaptcha/api.js"
    widget_class = "g-recaptcha"
    response_fields = ("g-recaptcha-response",)
    csp_needs = (
        ("script-src", ("https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/")),
        ("frame-src", ("https://www.google.com/recaptcha/", "https://recaptcha.google.com/")),
    )


def csp_directives(csp: str) -> dict[str, list[str]]:
    """A policy's directives in order: {"script-src": ["'self'"], ...}."""
    directives: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *sources = part.split()
        if part.split():
            directives[name.lower()] = sources
    return directives


def _passed_before(ctx: CaptchaContext, verified: str, holder: str | None) -> bool:
    """Whether this form's token passed siteverify earlier (the ledger's ``verified`` entry).

    The ledger can only claim, so ask in two claims: one as REFUSED_HOLDER fails only if the
    entry exists (and marks it refused if it did not), one as this form succeeds only if the
    entry is this form's.
    """
    if not holder or ctx.ledger.claim(verified, ctx.now + TOKEN_MEMORY, REFUSED_HOLDER):
        return False
    return ctx.ledger.claim(verified, ctx.now + TOKEN_MEMORY, holder)
