"""The mail pages: confirming and ending reply subscriptions, and the moderation feed.

Following a link from an email changes nothing (mail scanners open links): the page shows a
button, and the POST it sends does the change. Unsubscribing needs no CSRF token: the signed
token in the URL is the whole authority, and RFC 8058 one-click POSTs come from the reader's
mail client, which has no page and no session.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select

from ..comments import get_service
from ..comments.contracts import Status
from ..extensions import csrf, db
from ..models import Post
from ..timeutil import utcnow
from . import get_mail

bp = Blueprint("mail", __name__)

#: Pending comments the moderation feed lists, newest first.
MODERATION_FEED_ENTRIES = 50
PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
DEAD_LINK = (
    "This link does not work: it is incomplete, older than 7 days, or the subscription was "
    "ended. Nothing was changed."
)


def _page(title: str, message: str, status: int = 200, button: str | None = None) -> Any:
    html = render_template("mail/page.html", title=title, message=message, button=button)
    return html, status, PRIVATE_HEADERS


@bp.route("/replies/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    subscriptions = get_mail().subscriptions
    if request.method == "GET":
        subscription = subscriptions.peek(token, unsubscribe=False)
        if subscription is None:
            return _page("Link not valid", DEAD_LINK, 404)
        if subscription.confirmed_at is not None:
            return _page("Already confirmed", "Replies to your comment are emailed to you.")
        return _page(
            "Email me replies",
            f"Press the button to have replies to your comment emailed to {subscription.email}. "
            "Each email has a link to stop them.",
            button="Yes, email me replies",
        )
    if subscriptions.confirm(token) is None:
        return _page("Link not valid", DEAD_LINK, 404)
    return _page(
        "Confirmed",
        "Thank you: replies to your comment will be emailed to you. Each email has a link to "
        "stop them.",
    )


@bp.route("/replies/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> Any:
    subscriptions = get_mail().subscriptions
    if request.method == "GET":
        subscription = subscriptions.peek(token, unsubscribe=True)
        if subscription is None:
            return _page("No subscription", "No emails about replies are sent for this link.")
        return _page(
            "Stop these emails",
            f"Press the button and no more replies to your comment are emailed to "
            f"{subscription.email}.",
            button="Stop emailing me replies",
        )
    subscriptions.unsubscribe(token)  # ended already, or never: the answer is the same
    return _page("Unsubscribed", "No more replies to your comment will be emailed to you.")


@bp.get("/moderation/<token>.atom")
def moderation_feed(token: str) -> Response:
    """The pending comments for the owner's feed reader, at a secret, rotatable URL."""
    if not get_mail().feed_token.matches(token):
        abort(404)
    comments = get_service().store.list_by_status(Status.PENDING, limit=MODERATION_FEED_ENTRIES)
    uids = {c.post_id for c in comments}
    posts = {p.uid: p for p in db.session.scalars(select(Post).where(Post.uid.in_(uids)))}
    times = [c.created_at for c in comments if c.created_at is not None]
    updated = max(times, default=None) or utcnow()
    body = render_template("feeds/moderation.atom", comments=comments, posts=posts, updated=updated)
    return Response(body, mimetype="application/atom+xml", headers=PRIVATE_HEADERS)
