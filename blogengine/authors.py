"""Who may carry the "author" mark: the signed-in owner, or the post's author by a signed link.

The mark never comes from a name typed in the form. The owner signs in (Flask-Login). A
guest author of one post gets a link from the owner (``blogengine posts author-link SLUG``):
a token signed with the site's secret (itsdangerous, salted for this use alone) naming the
post, valid for ``AUTHOR_LINK_DAYS``. Opening it marks that browser's session as the post's
author; their comments on that post carry the mark and skip the CAPTCHA.
"""

from __future__ import annotations

from flask import current_app, session, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .comments.contracts import Role
from .models import Post

#: The session key listing the posts (uids) this browser is the author of.
SESSION_KEY = "author_of"
SALT = "blogengine.author-link"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def author_link_path(post: Post) -> str:
    """The path (after the site's address) that makes its opener the author of ``post``."""
    token = _signer().dumps(post.uid)
    return url_for("comments.author_link", slug=post.slug, token=token)


def accept_author_link(post: Post, token: str) -> bool:
    """Remember this browser as the author of ``post`` if ``token`` is a valid link for it."""
    max_age = int(current_app.config["AUTHOR_LINK_DAYS"]) * 24 * 3600
    try:
        uid = _signer().loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return False
    if uid != post.uid:
        return False
    session[SESSION_KEY] = sorted({*session.get(SESSION_KEY, []), post.uid})
    return True


def role_for(post_uid: str) -> Role | None:
    """The mark a comment on post ``post_uid`` from this request carries, from the session
    alone."""
    if current_user.is_authenticated:
        return Role.OWNER
    if post_uid in session.get(SESSION_KEY, ()):
        return Role.AUTHOR
    return None
