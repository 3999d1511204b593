"""submit(draft) -> Outcome: CAPTCHA, then the spam chain, then the store. No Flask here.

Whatever happens, the caller gets an Outcome that says what happened in words a reader
understands; the caller keeps the reader's text for every outcome that did not store it.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from markupsafe import Markup

from ..rendering import comment_html
from ..timeutil import utcnow
from .chain import SpamChain
from .contracts import (
    DEFAULT_CAPTCHA_LEGEND,
    DEFAULT_RETRY_PROMPT,
    Action,
    CaptchaBackend,
    CaptchaContext,
    CommentDraft,
    CommentStore,
    FilterContext,
    FormFieldsProvider,
    NewComment,
    NonceLedger,
    PostRef,
    RetryPromptProvider,
    Status,
    StoredComment,
    StoreError,
    Verdict,
)
from .names import clean_name

log = logging.getLogger(__name__)


class OutcomeKind(enum.Enum):
    PUBLISHED = "published"
    PENDING = "pending"
    CAPTCHA_FAILED = "captcha_failed"
    #: A reply to a comment that is not published (held, spam, deleted, another post's,
    #: unknown): nothing was kept.
    REPLY_REFUSED = "reply_refused"
    #: The store raised StoreError: nothing was kept.
    STORE_FAILED = "store_failed"
    #: Another backend broke (a CAPTCHA plugin's bug, say): nothing was kept.
    FAILED = "failed"

    @property
    def stored(self) -> bool:
        return self in (OutcomeKind.PUBLISHED, OutcomeKind.PENDING)


@dataclass(frozen=True)
class CommentEvent:
    """A comment was stored by ``submit`` (``previous`` is None) or moderated.

    Listeners (the owner's email, reply notifications) react to it; ``draft`` is the reader's
    submission (its raw form fields included) when the event comes from ``submit``.
    """

    comment: StoredComment
    previous: Status | None = None
    draft: CommentDraft | None = None
    post: PostRef | None = None


#: Called after a comment is stored or moderated; what it raises is logged, never passed on.
CommentListener = Callable[[CommentEvent], None]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    message: str
    comment: StoredComment | None = None
    verdicts: tuple[Verdict, ...] = ()


PUBLISHED_MESSAGE = "Thank you: your comment is published."
PENDING_MESSAGE = (
    "Thank you: your comment is awaiting moderation. It will appear once the blog's owner "
    "has approved it."
)
FAILED_MESSAGE = (
    "Sorry: something went wrong on our side while checking your comment, so it was not "
    "saved. Nothing was lost: your text is still in the form below. Please try again later."
)
REPLY_REFUSED_MESSAGE = (
    "Your reply was not sent: the comment you are answering is not published (it may be "
    "awaiting moderation or have been removed), so it cannot be answered. Nothing was lost: "
    "your text is still in the form below, now as a new comment; send it again if you wish."
)
#: The verdict a signed-in owner's comment carries: no CAPTCHA, no spam chain.
OWNER_VERDICT = Verdict(Action.ACCEPT, "written by the signed-in owner", "owner")
STORE_FAILED_MESSAGE = (
    "Sorry: your comment could not be saved because the comment store is not answering. "
    "Nothing was lost: your text is still in the form below. Please try again in a minute."
)


class CommentService:
    """The comment pipeline with its three chosen backends."""

    def __init__(
        self,
        *,
        captcha: CaptchaBackend,
        chain: SpamChain,
        store: CommentStore,
        ledger: NonceLedger,
        secret_key: str,
        moderate_all: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.captcha = captcha
        self.chain = chain
        self.store = store
        self.ledger = ledger
        # Backends get a key derived for their use, never the one that signs sessions.
        self.captcha_secret = hmac.new(
            secret_key.encode(), b"blogengine.captcha", hashlib.sha256
        ).hexdigest()
        self.moderate_all = moderate_all
        self.clock = clock
        self.listeners: list[CommentListener] = []

    def add_listener(self, listener: CommentListener) -> None:
        """Have ``listener`` told of every stored or moderated comment (the app registers them)."""
        self.listeners.append(listener)

    def _announce(self, event: CommentEvent) -> None:
        """Tell each listener; a listener's failure is logged and never undoes the comment."""
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                log.exception(
                    "comment listener %r failed on comment %s", listener, event.comment.id
                )

    def captcha_context(
        self, remote_addr: str | None = None, submission_key: str | None = None
    ) -> CaptchaContext:
        return CaptchaContext(
            now=self.clock(),
            secret_key=self.captcha_secret,
            ledger=self.ledger,
            remote_addr=remote_addr,
            submission_key=submission_key,
        )

    def render_captcha(self, remote_addr: str | None = None) -> Markup:
        return self.captcha.render(self.captcha_context(remote_addr))

    def captcha_legend(self) -> str:
        """What the form's CAPTCHA group is called: the backend's ``legend`` (optional)."""
        return str(getattr(self.captcha, "legend", None) or DEFAULT_CAPTCHA_LEGEND)

    def captcha_retry_prompt(self) -> Markup:
        """What the form says by the new challenge after a refused answer, in the CAPTCHA's
        words (a question to answer, a check being done again...)."""
        if isinstance(self.captcha, RetryPromptProvider):
            return self.captcha.retry_prompt()
        return DEFAULT_RETRY_PROMPT

    def form_fields(self) -> Markup:
        """Inputs the spam filters add to the form (a honeypot, say)."""
        parts = [
            f.form_fields() for _, f in self.chain.filters if isinstance(f, FormFieldsProvider)
        ]
        return Markup("").join(parts)

    def submit(self, draft: CommentDraft, post: PostRef) -> Outcome:
        """Judge and keep one comment; never raises for a backend's failure."""
        draft = replace(draft, author=clean_name(draft.author))
        if draft.submission_key:
            draft = replace(draft, submission_key=idempotency_key(draft))
        try:
            if draft.submission_key:
                earlier = self.store.find_by_submission_key(draft.submission_key)
                if earlier is not None:
                    return _stored_outcome(earlier)

            if draft.parent_id and not self._can_answer(draft.parent_id, draft.post_id):
                return Outcome(OutcomeKind.REPLY_REFUSED, REPLY_REFUSED_MESSAGE)

            now = self.clock()
            if draft.role is not None:
                # The host set the role for a signed-in owner: no CAPTCHA, no spam chain.
                status = Status.APPROVED
                verdicts: tuple[Verdict, ...] = (OWNER_VERDICT,)
            else:
                captcha = self.captcha.verify(
                    draft.fields, self.captcha_context(draft.remote_addr, draft.submission_key)
                )
                if captcha.action is Action.SPAM:
                    return Outcome(OutcomeKind.CAPTCHA_FAILED, captcha.reason, verdicts=(captcha,))
                ctx = FilterContext(now=now, post=post, store=self.store)
                result = self.chain.run(draft, ctx)
                action, verdicts = result.action, result.verdicts
                if captcha.action is Action.MODERATE:
                    # The CAPTCHA could not decide (its service did not answer): a person will.
                    action, verdicts = max(action, Action.MODERATE), (captcha, *verdicts)
                status = _status_for(action, self.moderate_all)
            stored = self.store.add(
                NewComment(
                    draft=draft,
                    status=status,
                    body_html=comment_html(draft.body),
                    created_at=now,
                    verdicts=verdicts,
                )
            )
        except StoreError:
            log.exception("comment on post %s could not be stored", draft.post_id)
            return Outcome(OutcomeKind.STORE_FAILED, STORE_FAILED_MESSAGE)
        except Exception:
            log.exception("comment on post %s failed in a backend", draft.post_id)
            return Outcome(OutcomeKind.FAILED, FAILED_MESSAGE)
        self._announce(CommentEvent(stored, draft=draft, post=post))
        return _stored_outcome(stored)

    def _can_answer(self, parent_id: str, post_id: str) -> bool:
        """Only a published comment of the same post can be answered."""
        parent = self.store.get(parent_id)
        return parent is not None and parent.post_id == post_id and parent.status is Status.APPROVED

    def moderate(self, comment_id: str, status: Status) -> StoredComment:
        """Set a comment's status and let learning filters learn from the decision."""
        before = self.store.get(comment_id)
        comment = self.store.set_status(comment_id, status)
        if status in (Status.APPROVED, Status.SPAM):
            for name, spam_filter in self.chain.filters:
                learn = getattr(spam_filter, "learn", None)
                if callable(learn):
                    try:
                        learn(comment, status is Status.SPAM)
                    except Exception:
                        log.exception("spam filter %s failed to learn", name)
        self._announce(CommentEvent(comment, previous=before.status if before else None))
        return comment


def _status_for(action: Action, moderate_all: bool) -> Status:
    if action is Action.SPAM:
        return Status.SPAM
    if action is Action.MODERATE or moderate_all:
        return Status.PENDING
    return Status.APPROVED


def idempotency_key(draft: CommentDraft) -> str:
    """The key a store deduplicates on: the form's key, bound to the post, name and text.

    The same form sent twice with the same text (a double click, a retry after a failure) is
    one comment; the same form sent again with an edited text (Back, edit, send) is a new
    comment, not silently answered with the old one; a key is never shared across posts.
    """
    parts = (draft.submission_key or "", draft.post_id, draft.author, draft.body)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:48]


def _stored_outcome(comment: StoredComment) -> Outcome:
    if comment.status is Status.APPROVED:
        return Outcome(OutcomeKind.PUBLISHED, PUBLISHED_MESSAGE, comment, comment.verdicts)
    # Spam is kept for review and the reader is told what a held comment is told: a
    # spammer learns nothing, and a person misjudged is treated with courtesy.
    return Outcome(OutcomeKind.PENDING, PENDING_MESSAGE, comment, comment.verdicts)


def raw_fields(form: Mapping[str, str]) -> dict[str, str]:
    """The form's fields as plain strings for backends (CAPTCHA answers, honeypots)."""
    return {key: str(value) for key, value in form.items() if key != "csrf_token"}
