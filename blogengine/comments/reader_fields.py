"""The per-reader parts of the comment form: CSRF token, submission key, CAPTCHA challenge.

They are what keeps a post page from being one page for every reader. Two choices make the
page cacheable without ever handing one reader's parts to another:

* The CSRF token is not tied to a session (a session would mean a cookie on every GET, and
  no cache could keep the page). As django-contrib-comments signs the target and a time, the
  token signs the post (its slug, the URL the form is sent to) and the form's submission key,
  with a timestamp (itsdangerous, the site's secret). A token from another post or another
  form is refused, a forged one too, an old one expires (``COMMENT_FORM_MAX_AGE``). What a
  session bound besides (this browser) is checked by the browser itself: a POST whose
  ``Sec-Fetch-Site`` says cross-site, or whose ``Origin`` names another host, is refused.
* A cached page never holds these parts: it is rendered with ``slots`` (values derived from
  the site's secret, which no reader's text can contain) where they go, and ``fill`` puts a
  fresh submission key, its token and a new CAPTCHA challenge in their place for each reader.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from markupsafe import Markup
from wtforms.csrf.core import CSRF, CSRFTokenField
from wtforms.validators import ValidationError

from . import get_service

SALT = "blogengine.comment-form"
SLOTS_KEY = "blogengine.form_slots"
EXPIRED = "the form is older than the site accepts"
INVALID = "the form's security token is missing or does not belong to this form"
CROSS_SITE = "the form was sent from another site"


def new_submission_key() -> str:
    """A fresh key per form: the same key twice means the same comment sent twice."""
    return secrets.token_urlsafe(24)


def _signer(target: str | None) -> TimestampSigner:
    """Signs for one post: its slug is in the salt, so a token is good on that post only."""
    slug = target if target is not None else (request.view_args or {}).get("slug", "")
    return TimestampSigner(current_app.secret_key or "", salt=f"{SALT}:{slug}")


def issue(submission_key: str, target: str | None = None) -> str:
    """A token for this form (its submission key) on this post (``target``, else the slug in
    the request's URL), timestamped now: ``KEY.TIME.SIGNATURE``."""
    return _signer(target).sign(submission_key).decode()


def problem_with(token: str | None, submission_key: str | None) -> str | None:
    """Why this POST's token is not good for this form on this post; None when it is."""
    if _cross_site():
        return CROSS_SITE
    if not token or not submission_key:
        return INVALID
    max_age = int(current_app.config["COMMENT_FORM_MAX_AGE"])
    try:
        key = _signer(None).unsign(token, max_age=max_age).decode()
    except SignatureExpired:
        return EXPIRED
    except BadSignature:  # forged, or signed for another post
        return INVALID
    return None if hmac.compare_digest(key, submission_key) else INVALID


def _cross_site() -> bool:
    """What a browser says of where the POST came from (never trusted to allow, only to refuse)."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin == "null"
    return urlsplit(origin).netloc.lower() != request.host.lower()


class _TokenField(CSRFTokenField):
    """Renders the token for the form's submission key as it is when rendered, not before."""

    def _value(self) -> str:
        impl = self.csrf_impl
        return str(self.current_token or (impl.token() if isinstance(impl, PostBoundCSRF) else ""))


class PostBoundCSRF(CSRF):
    """The comment form's CSRF check (WTForms' CSRF hook): see the module docstring."""

    field_class = _TokenField

    def setup_form(self, form: Any) -> Any:
        self.form = form
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        return ""  # made when rendered: the submission key is set after the form is built

    def token(self) -> str:
        return issue(self.form.submission_key.data or "")

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        problem = problem_with(field.data, form.submission_key.data)
        if problem:
            raise ValidationError(problem)


@dataclass(frozen=True)
class Slots:
    """Stand-ins for the per-reader parts in a cached page."""

    csrf_token: str
    submission_key: str
    captcha: str


def slots() -> Slots:
    """The site's stand-ins: the same in every process (a shared cache), unguessable."""
    found = current_app.extensions.get(SLOTS_KEY)
    if not isinstance(found, Slots):
        secret = current_app.secret_key or ""
        key = secret.encode() if isinstance(secret, str) else secret

        def derive(name: str) -> str:
            digest = hmac.new(key, f"{SALT}.slot.{name}".encode(), hashlib.sha256).hexdigest()
            return f"slot{digest[:28]}"

        found = current_app.extensions[SLOTS_KEY] = Slots(
            derive("csrf"), derive("key"), derive("captcha")
        )
    return found


def fill(page: str) -> str:
    """The cached page with this reader's own submission key, token and CAPTCHA challenge."""
    return fill_for(page, (request.view_args or {}).get("slug", ""), request.remote_addr)


def fill_for(page: str, slug: str, remote_addr: str | None) -> str:
    """``fill`` for the post ``slug`` and a reader at ``remote_addr``, in an app context (the
    kept page served before Flask's request machinery, ``fastpage``)."""
    stand_ins = slots()
    key = new_submission_key()
    page = page.replace(stand_ins.submission_key, key, 1)
    page = page.replace(stand_ins.csrf_token, issue(key, slug), 1)
    if stand_ins.captcha in page:
        page = page.replace(stand_ins.captcha, get_service().render_captcha(remote_addr), 1)
    return page


def needs_request(page: str) -> bool:
    """A CAPTCHA challenge is drawn for this page: a plugin's ``render`` may look at the request."""
    return slots().captcha in page


def captcha_slot() -> Markup:
    return Markup(slots().captcha)
