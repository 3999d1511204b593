"""The `akismet` filter: Akismet's comment-check, and its submit-spam / submit-ham on moderation.

A form POST to ``{endpoint}/1.1/comment-check`` with the API key, the site and the comment;
Akismet answers ``true`` (spam; with ``X-akismet-pro-tip: discard`` when it is blatant),
``false`` (not spam), or ``invalid`` with ``X-akismet-debug-help`` (a bad key or site). When
the owner approves a comment or marks it as spam, the decision goes back to Akismet through
``learn()`` (submit-ham / submit-spam), so it learns this site's readers.

A failure never loses or publishes a comment blindly: no answer within ``timeout``, an HTTP
error, an ``invalid`` key or an answer it cannot read give MODERATE with the reason, and the
comment waits for the owner. Spam is stored as spam (kept for review), never discarded, even
when Akismet suggests it.
"""

from __future__ import annotations

import logging

from ..contracts import Action, CommentDraft, FilterContext, StoredComment, Verdict
from .http_form import ServiceUnavailable, post_form

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://rest.akismet.com"
USER_AGENT = "blogengine/0.1 | akismet-filter/1"


class AkismetFilter:
    """Options: ``api_key``, ``blog`` (the site's front page URL, as registered with Akismet),
    ``endpoint`` (default Akismet's; a local fake in tests), ``timeout`` (seconds; keep it below
    COMMENTS_FILTER_TIMEOUT), ``is_test`` (ask Akismet not to learn from these checks)."""

    def __init__(
        self,
        *,
        api_key: str,
        blog: str,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 4.0,
        is_test: bool = False,
    ) -> None:
        if not api_key or not blog:
            raise ValueError("akismet: set 'api_key' and 'blog' (the site's URL) in its options")
        if timeout <= 0:
            raise ValueError("akismet: 'timeout' must be a positive number of seconds")
        self.api_key = api_key
        self.blog = blog
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.is_test = is_test

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        form = self._comment_form(
            author=draft.author,
            body=draft.body,
            email=draft.email,
            website=draft.website,
            remote_addr=draft.remote_addr,
            user_agent=draft.user_agent,
        )
        form["permalink"] = ctx.post.url
        form["comment_date_gmt"] = ctx.now.isoformat()
        try:
            answer = post_form(f"{self.endpoint}/1.1/comment-check", form, self.timeout, USER_AGENT)
        except ServiceUnavailable as exc:
            log.warning("akismet comment-check failed: %s", exc)
            return Verdict(
                Action.MODERATE, f"Akismet did not answer ({exc}); held for moderation", "akismet"
            )
        body = answer.body.decode("utf-8", "replace").strip()
        headers = {k.lower(): v for k, v in answer.headers.items()}
        if body == "true":
            if headers.get("x-akismet-pro-tip") == "discard":
                return Verdict(
                    Action.SPAM, "Akismet: blatant spam (it suggests discarding)", "akismet"
                )
            return Verdict(Action.SPAM, "Akismet: spam", "akismet")
        if body == "false":
            return Verdict(Action.ACCEPT, "Akismet: not spam", "akismet")
        help_text = headers.get("x-akismet-debug-help") or headers.get("x-akismet-alert-msg") or ""
        if body == "invalid":
            log.error("akismet refused the API key or site: %s", help_text or "no details")
            why = "Akismet refused the API key or site"
        else:
            why = f"Akismet answered {body[:40]!r}"
        detail = f": {help_text}" if help_text else ""
        return Verdict(Action.MODERATE, f"{why}{detail}; held for moderation", "akismet")

    def learn(self, comment: StoredComment, is_spam: bool) -> None:
        """Tell Akismet the owner's decision; a failure is logged, the decision stands."""
        form = self._comment_form(
            author=comment.author,
            body=comment.body,
            email=comment.email,
            website=comment.website,
            remote_addr=comment.remote_addr,
            user_agent=comment.user_agent,
        )
        if comment.created_at is not None:  # archived comments may have no time
            form["comment_date_gmt"] = comment.created_at.isoformat()
        path = "submit-spam" if is_spam else "submit-ham"
        try:
            post_form(f"{self.endpoint}/1.1/{path}", form, self.timeout, USER_AGENT)
        except ServiceUnavailable as exc:
            log.warning("akismet %s for comment %s failed: %s", path, comment.id, exc)

    def _comment_form(
        self,
        *,
        author: str,
        body: str,
        email: str | None,
        website: str | None,
        remote_addr: str | None,
        user_agent: str | None,
    ) -> dict[str, str]:
        form = {
            "api_key": self.api_key,
            "blog": self.blog,
            "user_ip": remote_addr or "",
            "user_agent": user_agent or "",
            "comment_type": "comment",
            "comment_author": author,
            "comment_author_email": email or "",
            "comment_author_url": website or "",
            "comment_content": body,
            "blog_charset": "UTF-8",
        }
        if self.is_test:
            form["is_test"] = "1"
        return form
