"""The plugin contract: what crosses between blogengine and a comment backend.

Only plain frozen dataclasses and Protocols live here, never Flask or SQLAlchemy objects, so
a backend written against this module alone works with any blogengine host.

Three slots:

* ``CaptchaBackend``  exactly one, renders a challenge and verifies the answer;
* ``SpamFilter``      an ordered chain, each gives a ``Verdict`` or no opinion;
* ``CommentStore``    exactly one, keeps comments keyed by the post's stable id.

A store whose comments live outside the app's database may also be ``BackupCapable``.

Backends are classes with keyword-only options; the registry calls ``cls(**options)``.
A backend that keeps files declares the keyword ``instance_path`` (``INSTANCE_PATH_OPTION``):
the host passes the site's instance folder there, to resolve relative paths against, so no
backend works the folder out for itself.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from markupsafe import Markup

#: The keyword the host fills with the site's instance folder (a ``Path``) for a backend
#: whose constructor declares it; the owner's options never need to give it.
INSTANCE_PATH_OPTION = "instance_path"


class Action(enum.IntEnum):
    """What a spam filter or CAPTCHA recommends; a higher value is more severe."""

    ACCEPT = 0
    MODERATE = 1
    SPAM = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class Status(enum.StrEnum):
    """Where a stored comment stands; only ``approved`` comments are shown to readers."""

    APPROVED = "approved"
    PENDING = "pending"
    SPAM = "spam"
    DELETED = "deleted"


class CommentKind(enum.StrEnum):
    """What a comment is: a reader's comment, or a notice that another site linked here.

    Pingbacks and trackbacks come from archives (WordPress keeps them as comments); the
    post page shows them only when ``COMMENTS_SHOW_PINGBACKS`` is on.
    """

    COMMENT = "comment"
    PINGBACK = "pingback"
    TRACKBACK = "trackback"


class Role(enum.StrEnum):
    """Who wrote a comment when it was not an anonymous reader: shown as the "author" mark.

    Set by the host only (a signed-in owner), never from what a reader typed: typing the
    owner's name gets no mark.
    """

    OWNER = "owner"
    AUTHOR = "author"


@dataclass(frozen=True)
class Verdict:
    """One backend's opinion with its reason, kept so a moderator sees who said what."""

    action: Action
    reason: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"action": self.action.label, "reason": self.reason, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Verdict:
        return cls(Action[data["action"].upper()], data["reason"], data["source"])


_NOT_WORDS = re.compile(r"[\W_]+")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def fingerprint_words(text: str) -> list[str]:
    """The words a fingerprint is made of: NFKC, case-folded, without punctuation or
    invisible characters ("So catchy!!" and "so  catchy" give the same words)."""
    folded = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()
    return [w for w in _NOT_WORDS.split(folded) if w]


@functools.lru_cache(maxsize=64)
def text_fingerprint(text: str) -> str:
    """A comment text's fingerprint (32 hex digits): equal for texts equal but for case,
    spacing and punctuation. Stores keep it so ``find_by_fingerprint`` is one index lookup.
    Kept for the last texts: the duplicate filter and the store both ask for the same one."""
    normal = " ".join(fingerprint_words(text))
    return hashlib.sha256(normal.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CommentDraft:
    """A comment as the reader sent it, before any backend has judged it."""

    post_id: str
    author: str
    body: str
    email: str | None = None
    website: str | None = None
    parent_id: str | None = None
    remote_addr: str | None = None
    user_agent: str | None = None
    submission_key: str | None = None
    kind: CommentKind = CommentKind.COMMENT
    #: The raw form fields (CAPTCHA answers, honeypots) for backends that need them.
    fields: Mapping[str, str] = field(default_factory=dict)
    #: Set by the host for a signed-in owner (never from the form); None for readers.
    role: Role | None = None


@dataclass(frozen=True)
class NewComment:
    """What the host hands a store to keep: the draft, its judgement and its rendered HTML.

    ``number`` is normally None: the store numbers a comment when it is first approved (so
    the numbers readers see have no gaps from spam); importers of archives may set it to keep
    the archive's numbering. ``created_at`` is None when the time is unknown (an archive that
    kept none): never a made-up time.
    """

    draft: CommentDraft
    status: Status
    body_html: str
    created_at: datetime | None
    verdicts: tuple[Verdict, ...] = ()
    number: int | None = None


@dataclass(frozen=True)
class StoredComment:
    """A kept comment: the draft's fields plus its identity, number, time, status and trail.

    ``number`` is None until the comment is first approved; once given it stays, whatever
    the status becomes. ``created_at`` is None when the time is unknown (archives).
    """

    id: str
    post_id: str
    number: int | None
    author: str
    body: str
    body_html: str
    created_at: datetime | None
    status: Status
    email: str | None = None
    website: str | None = None
    parent_id: str | None = None
    remote_addr: str | None = None
    user_agent: str | None = None
    submission_key: str | None = None
    verdicts: tuple[Verdict, ...] = ()
    kind: CommentKind = CommentKind.COMMENT

    role: Role | None = None
    #: Where the comment's thread stood among the post's listed threads (``thread_index``)
    #: when ``add`` stored it, if the store knew without asking (a new top-level comment is
    #: the last): its page is found without another read. None: ask ``thread_index``.
    #: Only as true as the moment it was stored; not compared.
    thread_index: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PostRef:
    """What a filter may know about the post a comment is for."""

    id: str
    title: str
    url: str = ""
    #: Names a commenter may not pass as (the post's author, the site's owners), as the
    #: host knows them; a filter compares them by confusable skeleton.
    protected_names: tuple[str, ...] = ()


class NonceLedger(Protocol):
    """Remembers one-time tokens across processes so a CAPTCHA answer cannot be replayed."""

    def claim(self, nonce: str, expires_at: datetime, holder: str | None = None) -> bool:
        """Record ``nonce``; True the first time, False if it was claimed before.

        Also True when it was claimed before by the same non-empty ``holder`` (the form's
        submission key), so a double click is not mistaken for a replayed answer.
        """
        ...


@dataclass(frozen=True)
class CaptchaContext:
    """What the host gives a CAPTCHA: the clock, a secret to sign with and a replay ledger."""

    now: datetime
    #: A key for signing this site's CAPTCHA tokens, derived from (never equal to) the key
    #: that signs the site's sessions.
    secret_key: str
    ledger: NonceLedger
    remote_addr: str | None = None
    submission_key: str | None = None


@dataclass(frozen=True)
class FilterContext:
    """What the host gives a spam filter: the clock, the post and read access to the store."""

    now: datetime
    post: PostRef
    store: CommentStore


@runtime_checkable
class CaptchaBackend(Protocol):
    """Exactly one per site: renders the challenge and checks the reader's answer."""

    def render(self, ctx: CaptchaContext) -> Markup:
        """HTML for inside the comment form (inputs named ``captcha_*``), with a fresh challenge."""
        ...

    def verify(self, fields: Mapping[str, str], ctx: CaptchaContext) -> Verdict:
        """ACCEPT if the answer is right; otherwise a verdict whose reason the reader is shown.

        SPAM refuses the answer: nothing is stored, the reader sees the reason and their text.
        MODERATE means the backend could not decide (its service did not answer): the comment
        is stored as pending, the reason kept in its trail for the moderator.
        """
        ...


@runtime_checkable
class RetryPromptProvider(Protocol):
    """A CAPTCHA that words what the reader does after a refusal (optional): the form shows
    it by the new challenge. Without it the host says ``DEFAULT_RETRY_PROMPT``."""

    def retry_prompt(self) -> Markup:
        """A short line true for whatever the reader is shown (a question, a widget...)."""
        ...


#: The form's CAPTCHA group's legend when the backend has no ``legend`` attribute of its own
#: (a widget that does its check without a question says so: "A check that you are a person").
DEFAULT_CAPTCHA_LEGEND = "One question to show you are a person"

#: What the form says by a new challenge when the CAPTCHA does not word it itself.
DEFAULT_RETRY_PROMPT = Markup("Please complete the check below again.")


@runtime_checkable
class SpamFilter(Protocol):
    """One link of the chain. Raising or timing out sends the comment to moderation."""

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        """A verdict, or None for no opinion."""
        ...


@runtime_checkable
class FormFieldsProvider(Protocol):
    """A filter that needs inputs in the comment form (a honeypot, a timestamp) adds them."""

    def form_fields(self) -> Markup:
        """HTML for inside the form; the values come back in ``CommentDraft.fields``."""
        ...


@runtime_checkable
class LearningSpamFilter(SpamFilter, Protocol):
    """A filter that learns from the moderator's decisions (optional)."""

    def learn(self, comment: StoredComment, is_spam: bool) -> None: ...


class StoreError(Exception):
    """The store could not do what was asked; the host answers 503 and keeps the text."""


@runtime_checkable
class CommentStore(Protocol):
    """Exactly one per site: keeps comments, numbered 1, 2, 3… within each post.

    A comment gets its number when it is first approved (``add`` with status approved, or
    ``set_status`` to approved); held and spam comments have none until then, so the numbers
    readers see have no gaps. A number is never given twice in a post, not even a deleted
    comment's (old permalinks hold it), until ``delete_for_post``.

    Replies: a comment whose ``parent_id`` is a comment of the same post belongs to that
    comment's thread (its top-level ancestor's); every other comment starts a thread. Pages
    of a busy post are pages of threads (``list_threads``), threads kept whole.

    Every method is safe to call from several processes at once. Failures raise StoreError.
    """

    def add(self, new: NewComment) -> StoredComment:
        """Keep one comment atomically and return it (numbered if approved).

        If a comment with the same non-empty ``submission_key`` exists, return that one and
        keep nothing: a double click never makes two comments.
        """
        ...

    def add_many(self, news: Sequence[NewComment]) -> list[StoredComment]:
        """Keep all of ``news`` or none of them (archive imports).

        Explicit ``number``s are kept as given; a number already used in that post (stored,
        or earlier in ``news``) raises StoreError and nothing of ``news`` is kept. Approved
        comments without a number are numbered after the highest the post was ever given. A
        key already stored returns that comment, as in ``add``. A parent may be earlier in
        ``news``.
        """
        ...

    def get(self, comment_id: str) -> StoredComment | None: ...

    def get_many(self, comment_ids: Sequence[str]) -> dict[str, StoredComment]:
        """The comments with these ids, by id, in one call (unknown ids are left out)."""
        ...

    def get_by_number(self, post_id: str, number: int) -> StoredComment | None:
        """The post's comment with this number, whatever its status; None if none."""
        ...

    def count_threads(self, post_id: str) -> int:
        """How many approved top-level comments (threads) the post has."""
        ...

    def list_threads(
        self, post_id: str, offset: int = 0, limit: int | None = None
    ) -> list[StoredComment]:
        """The approved comments of the post's threads ``offset`` to ``offset + limit``.

        Threads are ordered by their top-level comment's number; what is returned is every
        approved comment of those threads (the top-level ones and all their replies, however
        deep), in number order. A thread whose top-level comment is not approved is not
        listed, nor counted by ``count_threads``.
        """
        ...

    def thread_index(self, post_id: str, number: int) -> int | None:
        """The 0-based place, among ``count_threads``, of the thread holding approved comment
        ``number``; None if that comment is not approved or its thread is not listed.
        """
        ...

    def list_for_post(
        self,
        post_id: str,
        status: Status | None = Status.APPROVED,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoredComment]:
        """The post's comments in number order, then the unnumbered ones by time (oldest
        first, those without a time last); ``status=None`` means every status."""
        ...

    def count_for_posts(
        self,
        post_ids: Sequence[str],
        status: Status = Status.APPROVED,
        kinds: Sequence[CommentKind] | None = None,
    ) -> dict[str, int]:
        """Counts for many posts in one call (a post with none maps to 0); only comments of
        ``kinds`` when given (the page hides pingbacks unless the owner shows them)."""
        ...

    def list_by_status(
        self, status: Status, offset: int = 0, limit: int | None = None
    ) -> list[StoredComment]:
        """Comments in one status, newest first (those without a time last): the queue."""
        ...

    def set_status(self, comment_id: str, status: Status) -> StoredComment:
        """Change a comment's status; KeyError if there is no such comment.

        Approving a comment without a number numbers it (after the highest ever given).
        """
        ...

    def delete(self, comment_id: str) -> None:
        """Remove a comment for good (its number is not given again); KeyError if unknown."""
        ...

    def delete_for_post(self, post_id: str) -> int:
        """Remove every comment of a post (re-importing an archive); returns how many.

        The post's numbering may start again from 1.
        """
        ...

    def find_by_submission_key(self, key: str) -> StoredComment | None: ...

    def count_recent(self, remote_addr: str, since: datetime) -> int:
        """How many comments this address left since ``since`` (any status; a comment
        without a time is never recent)."""
        ...

    def list_recent_for_post(self, post_id: str, since: datetime) -> list[StoredComment]:
        """The post's comments of any status created since ``since`` (duplicate checks), in
        ``list_for_post``'s order."""
        ...

    def find_by_fingerprint(
        self, post_id: str, fingerprint: str, since: datetime
    ) -> list[StoredComment]:
        """The post's comments of any status created since ``since`` whose body's
        ``text_fingerprint`` is ``fingerprint``, oldest first (the duplicate filter).

        Must not read the post's other comments: keep the fingerprint in an index.
        """
        ...

    def count_by_status(self) -> dict[Status, int]:
        """How many comments each status holds, every status present (the queue's tabs)."""
        ...

    def search(
        self,
        query: str = "",
        status: Status | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoredComment]:
        """Comments whose text, author, email or address contains ``query``, newest first.

        Case is ignored (at least for ASCII letters); ``""`` matches every comment;
        ``status=None`` means every status. The moderation queue's search.
        """
        ...

    def find_by_id_prefix(self, prefix: str, limit: int = 2) -> list[StoredComment]:
        """At most ``limit`` comments whose id starts with ``prefix`` (short ids on the CLI)."""
        ...


@runtime_checkable
class BackupCapable(Protocol):
    """A store that can copy its own data for ``blogengine backup`` (optional).

    Only stores that keep comments outside the app's database need it: the app's SQLite
    file is copied by the command itself. A store without it is reported as not backed up.
    """

    def backup(self, destination: Path) -> list[Path]:
        """Copy the store's data into ``destination`` and return every file written.

        ``destination`` is an existing, empty directory made for this backup. The copy must
        be consistent while other processes write (take the store's own locks; never copy a
        half-written record), and loading it with the same backend and options pointing at
        the copy must give the comments back. Failures raise StoreError.
        """
        ...
