"""What an importer reads from an archive, before anything is written, and what it reports."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..comments.contracts import CommentKind, Status, Verdict
from ..models import PostStatus
from ..seed import SeedError

#: The seed loader's error: a file that cannot be imported, ``PATH:LINE: message``.
ArchiveError = SeedError


@dataclass
class ArchiveComment:
    """One comment of an archive; ``key`` is its id in the export, ``parent_key`` its parent's."""

    key: str
    author: str
    body: str
    body_html: str
    #: None when the archive gives no time (none is made up).
    created_at: datetime | None
    status: Status
    kind: CommentKind = CommentKind.COMMENT
    email: str | None = None
    website: str | None = None
    remote_addr: str | None = None
    user_agent: str | None = None
    parent_key: str | None = None
    #: The number in the post, when the import decides it (None: after the post's last).
    number: int | None = None
    #: The store's idempotency key: the same comment is never stored twice.
    submission_key: str | None = None
    verdicts: tuple[Verdict, ...] = ()


@dataclass
class ArchivePost:
    """One post (or page) of an archive with its comments; ``line`` is where it starts."""

    source_key: str | None
    uid: str
    slug: str
    title: str
    status: PostStatus
    body_format: str
    body_source: str
    line: int
    published_at: datetime | None = None
    created_at: datetime | None = None
    author: str | None = None
    subtitle: str | None = None
    publication: str | None = None
    image_name: str | None = None
    image_alt: str | None = None
    signature: str | None = None
    comments_open: bool = True
    #: Comments go to an existing post with this slug (Disqus holds comments, not articles).
    attach: bool = False
    comments: list[ArchiveComment] = field(default_factory=list)


def stable_key(prefix: str, *parts: str) -> str:
    """A short deterministic key for an archive item: ``prefix:`` and a hash of its ids."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"{prefix}:{digest}"


def uid_for(source_key: str) -> str:
    """Deterministic, so an interrupted import finds the post it made (as the seed loader)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "blogengine:" + source_key).hex


def reply_waves(comments: list[ArchiveComment]) -> list[list[ArchiveComment]]:
    """Comments grouped by depth (top level first), so each parent is stored before its replies.

    A parent that is not among ``comments`` (or a loop of parents) was already made top
    level by ``link_parents``.
    """
    by_key = {c.key: c for c in comments}
    depth: dict[str, int] = {}

    def depth_of(comment: ArchiveComment) -> int:
        chain = []
        current: ArchiveComment | None = comment
        while current is not None and current.key not in depth:
            chain.append(current)
            current = by_key.get(current.parent_key) if current.parent_key else None
        base = depth[current.key] if current is not None else -1
        for item in reversed(chain):
            base += 1
            depth[item.key] = base
        return depth[comment.key]

    waves: list[list[ArchiveComment]] = []
    for comment in comments:
        level = depth_of(comment)
        while len(waves) <= level:
            waves.append([])
        waves[level].append(comment)
    return waves


@dataclass
class Report:
    """What an import found and did (or, with --dry-run, would do), for the owner to read."""

    path: str
    posts: int = 0
    pages: int = 0
    post_statuses: Counter[str] = field(default_factory=Counter)
    comments: Counter[str] = field(default_factory=Counter)  # per status
    kinds: Counter[str] = field(default_factory=Counter)
    replies: int = 0
    deepest: int = 0
    commented: int = 0  # posts with at least one comment
    #: reason -> what was skipped for it
    skipped: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    #: Posts per what the writer did (or would do): imported, already imported, attached to
    #: an existing post (Disqus), left alone.
    actions: Counter[str] = field(default_factory=Counter)
    comments_added: int = 0
    left_alone: list[str] = field(default_factory=list)

    def skip(self, reason: str, what: str) -> None:
        self.skipped.setdefault(reason, []).append(what)

    def note(self, reason: str, what: str) -> None:
        self.notes.setdefault(reason, []).append(what)

    def count(self, post: ArchivePost, *, page: bool = False) -> None:
        """Count what ``post`` holds: its kind and status, its comments, replies and depth."""
        if page:
            self.pages += 1
        else:
            self.posts += 1
        if not post.attach:
            self.post_statuses[post.status.value] += 1
        self.commented += bool(post.comments)
        for wave_depth, wave in enumerate(reply_waves(post.comments)):
            for comment in wave:
                self.comments[comment.status.value] += 1
                self.kinds[comment.kind.value] += 1
                if comment.parent_key is not None:
                    self.replies += 1
                    self.deepest = max(self.deepest, wave_depth + 1)

    @property
    def total_comments(self) -> int:
        return sum(self.comments.values())

    def lines(self, *, dry_run: bool) -> Iterator[str]:
        """The report as the command prints it."""
        yield f"{self.path}:" + (" (dry run: nothing was changed)" if dry_run else "")
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.post_statuses.items()))
        yield f"  posts: {self.posts}, pages: {self.pages}" + (f" ({statuses})" if statuses else "")
        per_status = ", ".join(f"{n} {s}" for s, n in sorted(self.comments.items()))
        on = f"{self.commented} post{'s' * (self.commented != 1)}"
        yield f"  comments: {self.total_comments} on {on}" + (
            f" ({per_status})" if per_status else ""
        )
        yield (
            f"  of which pingbacks: {self.kinds['pingback']}, trackbacks: {self.kinds['trackback']}"
        )
        yield f"  replies: {self.replies} (threads nested up to {self.deepest} levels deep)"
        for title, groups in (("skipped", self.skipped), ("note", self.notes)):
            for reason, items in sorted(groups.items()):
                shown = ", ".join(items[:5]) + (f", … ({len(items) - 5} more)" * (len(items) > 5))
                yield f"  {title}: {len(items)} {reason}: {shown}"
        verb = "would be" if dry_run else "were"
        for action, n in sorted(self.actions.items()):
            yield f"  posts that {verb} {action}: {n}"
        for item in self.left_alone:
            yield f"  left alone: {item}"
        yield f"  comments that {verb} added: {self.comments_added}"
