"""The `jsonl` comment store: comments as one plain, append-only JSON-lines file.

The worked example of a plugin file: it imports only ``blogengine.comments.contracts`` and
the standard library, and ``register(registry)`` names it. Choose it with
``COMMENTS_STORE = "jsonl"`` and ``COMMENTS_STORE_OPTIONS = {"jsonl": {"path": "..."}}``.

The file (option ``path``, default ``comments.jsonl``; a relative path is resolved against
the site's instance folder, which the host passes as ``instance_path``)
is UTF-8, one JSON object per line, never rewritten, only appended to::

    {"op": "add", "id": "…", "post_id": "…", "number": 1, "author": "Ada", "body": "…",
     "body_html": "…", "created_at": "2026-01-02T03:04:05+00:00", "status": "approved",
     "email": null, "website": null, "parent_id": null, "remote_addr": "203.0.113.9",
     "user_agent": "…", "submission_key": "…", "verdicts": [{"action", "reason", "source"}],
     "kind": "comment"}
    {"op": "status", "id": "…", "status": "spam"}
    {"op": "delete", "id": "…"}
    {"op": "reset", "post_id": "…"}

(each on one line). The comments are what replaying the lines in order leaves. Lines added
by one ``add_many`` also carry ``"batch": "<id>", "size": n`` and count only when all n are
there, so an import is all or nothing even across a crash. To read comments with other
tools, replay the same way; ``grep '"op": "add"'`` gives every comment ever written.

A post's next number is one past the highest it was ever given, deleted or not, so an old
``#comment-N`` never comes to point at another comment. ``delete_for_post`` (a re-import)
writes its deletes and a ``reset`` as one batch; after it the post is numbered from 1 again.

Several processes may share the file: writers hold an exclusive ``flock`` while they read
the tail, number and append (so numbers in a post are never given twice); readers hold a
shared one while they read what was appended since they last looked (size and inode tell).
Each write is one ``write`` followed by ``fsync``. A last line that lacks only its newline
(an editor saved the file) is a complete record: it is read, and the next writer adds the
newline. A torn last line, left by a crash in the middle of a write, is ignored and logged;
the next writer moves it to ``<file>.torn-<time>`` (never deleted) and logs where.

``blogengine backup`` calls ``backup(destination)``: the file is copied under a shared lock,
complete lines only. To restore, point ``path`` at the copy.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blogengine.comments.contracts import (
    CommentKind,
    NewComment,
    Role,
    Status,
    StoredComment,
    StoreError,
    Verdict,
    text_fingerprint,
)

log = logging.getLogger(__name__)


class JsonlCommentStore:
    """Comments in an append-only JSON-lines file. Options: ``path``.

    ``instance_path`` is given by the host (the folder a relative ``path`` is in).
    """

    def __init__(
        self,
        *,
        path: str | os.PathLike[str] = "comments.jsonl",
        instance_path: str | os.PathLike[str] = ".",
    ) -> None:
        self.path = Path(instance_path, Path(path).expanduser())
        self._mutex = threading.RLock()  # one thread at a time per process; flock for the rest
        self._comments: dict[str, StoredComment] = {}
        self._by_post: dict[str, dict[str, StoredComment]] = {}
        self._by_key: dict[str, str] = {}
        # (post, text_fingerprint(body)) -> ids: the duplicate filter's lookup, no scan.
        self._by_print: dict[tuple[str, str], set[str]] = {}
        self._last_number: dict[str, int] = {}  # per post, the highest ever given
        self._thread: dict[str, str] = {}  # comment id -> its thread's top-level comment id
        self._inode: int | None = None
        self._offset = 0  # bytes replayed: always the end of a complete line
        self._warned: tuple[int, int] | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked(fcntl.LOCK_EX) as fd:
                self._refresh(fd)
        except OSError as exc:
            raise StoreError(f"comment file {self.path} cannot be opened: {exc}") from exc

    # -- writing ------------------------------------------------------------------------
    def add(self, new: NewComment) -> StoredComment:
        return self.add_many([new])[0]

    def add_many(self, news: Sequence[NewComment]) -> list[StoredComment]:
        if not news:
            return []
        with self._writing() as fd:
            results: list[StoredComment] = []
            records: list[dict[str, Any]] = []
            pending: dict[str, StoredComment] = {}  # by submission key, within this batch
            used: dict[str, set[int]] = {}  # numbers stored or taken in this batch, per post
            last: dict[str, int] = {}  # the highest number given so far, per post
            for new in news:
                key = new.draft.submission_key
                if key and (key in self._by_key or key in pending):
                    earlier = pending.get(key) or self._comments[self._by_key[key]]
                    results.append(earlier)
                    continue
                post_id = new.draft.post_id
                taken = used.setdefault(
                    post_id,
                    {c.number for c in self._by_post.get(post_id, {}).values() if c.number},
                )
                highest = last.get(post_id, self._last_number.get(post_id, 0))
                number = new.number
                if number is None and new.status is Status.APPROVED:
                    number = highest + 1  # numbered when published: no gaps from spam
                elif number is not None and number in taken:
                    raise StoreError(f"post {post_id} already has a comment number {number}")
                if number is not None:
                    taken.add(number)
                    last[post_id] = max(highest, number)
                comment = _new_stored(new, number)
                if key:
                    pending[key] = comment
                results.append(comment)
                records.append(_add_record(comment))
            self._append(fd, records)
        return results

    def set_status(self, comment_id: str, status: Status) -> StoredComment:
        with self._writing() as fd:
            if comment_id not in self._comments:
                raise KeyError(comment_id)
            record: dict[str, Any] = {"op": "status", "id": comment_id, "status": status.value}
            comment = self._comments[comment_id]
            if status is Status.APPROVED and comment.number is None:
                record["number"] = self._last_number.get(comment.post_id, 0) + 1
            self._append(fd, [record])
            return self._comments[comment_id]

    def delete(self, comment_id: str) -> None:
        with self._writing() as fd:
            if comment_id not in self._comments:
                raise KeyError(comment_id)
            self._append(fd, [{"op": "delete", "id": comment_id}])

    def delete_for_post(self, post_id: str) -> int:
        with self._writing() as fd:
            ids = sorted(self._by_post.get(post_id, {}))
            records: list[dict[str, Any]] = [{"op": "delete", "id": i} for i in ids]
            if post_id in self._last_number:
                records.append({"op": "reset", "post_id": post_id})
            self._append(fd, records)  # one batch: all of it or none
            return len(ids)

    # -- reading ------------------------------------------------------------------------
    def get(self, comment_id: str) -> StoredComment | None:
        with self._reading():
            return self._comments.get(comment_id)

    def list_for_post(
        self,
        post_id: str,
        status: Status | None = Status.APPROVED,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoredComment]:
        with self._reading():
            found = [
                c
                for c in self._by_post.get(post_id, {}).values()
                if status is None or c.status is status
            ]
        found.sort(key=_number_order)
        return found[offset : None if limit is None else offset + limit]

    def get_many(self, comment_ids: Sequence[str]) -> dict[str, StoredComment]:
        with self._reading():
            return {i: self._comments[i] for i in comment_ids if i in self._comments}

    def get_by_number(self, post_id: str, number: int) -> StoredComment | None:
        with self._reading():
            for comment in self._by_post.get(post_id, {}).values():
                if comment.number == number:
                    return comment
        return None

    def count_threads(self, post_id: str) -> int:
        with self._reading():
            return len(self._roots(post_id))

    def list_threads(
        self, post_id: str, offset: int = 0, limit: int | None = None
    ) -> list[StoredComment]:
        with self._reading():
            roots = self._roots(post_id)[offset : None if limit is None else offset + limit]
            wanted = {root.id for root in roots}
            found = [
                c
                for c in self._by_post.get(post_id, {}).values()
                if c.status is Status.APPROVED and self._thread.get(c.id) in wanted
            ]
        return sorted(found, key=_number_order)

    def thread_index(self, post_id: str, number: int) -> int | None:
        with self._reading():
            comment = next(
                (c for c in self._by_post.get(post_id, {}).values() if c.number == number),
                None,
            )
            if comment is None or comment.status is not Status.APPROVED:
                return None
            thread = self._thread.get(comment.id)
            for index, root in enumerate(self._roots(post_id)):
                if root.id == thread:
                    return index
        return None

    def _roots(self, post_id: str) -> list[StoredComment]:
        """The post's listed threads' top-level comments (approved), in number order."""
        roots = [
            c
            for c in self._by_post.get(post_id, {}).values()
            if c.status is Status.APPROVED and self._thread.get(c.id) == c.id
        ]
        return sorted(roots, key=_number_order)

    def count_for_posts(
        self,
        post_ids: Sequence[str],
        status: Status = Status.APPROVED,
        kinds: Sequence[CommentKind] | None = None,
    ) -> dict[str, int]:
        with self._reading():
            return {
                post_id: sum(
                    1
                    for c in self._by_post.get(post_id, {}).values()
                    if c.status is status and (kinds is None or c.kind in kinds)
                )
                for post_id in post_ids
            }

    def list_by_status(
        self, status: Status, offset: int = 0, limit: int | None = None
    ) -> list[StoredComment]:
        with self._reading():
            found = [c for c in self._comments.values() if c.status is status]
        found.sort(key=_newest_first, reverse=True)
        return found[offset : None if limit is None else offset + limit]

    def find_by_submission_key(self, key: str) -> StoredComment | None:
        with self._reading():
            comment_id = self._by_key.get(key) if key else None
            return self._comments.get(comment_id) if comment_id else None

    def count_recent(self, remote_addr: str, since: datetime) -> int:
        with self._reading():
            return sum(
                1
                for c in self._comments.values()
                if c.remote_addr == remote_addr and c.created_at and c.created_at >= since
            )

    def list_recent_for_post(self, post_id: str, since: datetime) -> list[StoredComment]:
        with self._reading():
            found = [
                c
                for c in self._by_post.get(post_id, {}).values()
                if c.created_at and c.created_at >= since
            ]
        return sorted(found, key=_number_order)

    def find_by_fingerprint(
        self, post_id: str, fingerprint: str, since: datetime
    ) -> list[StoredComment]:
        with self._reading():
            ids = self._by_print.get((post_id, fingerprint), ())
            found = [
                c
                for c in (self._comments[i] for i in ids)
                if c.created_at is not None and c.created_at >= since
            ]
        return sorted(
            found, key=lambda c: (c.created_at or _NEVER, c.number is None, c.number or 0, c.id)
        )

    def count_by_status(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        with self._reading():
            for comment in self._comments.values():
                counts[comment.status] += 1
        return counts

    def search(
        self,
        query: str = "",
        status: Status | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoredComment]:
        wanted = query.casefold()

        def matches(c: StoredComment) -> bool:
            if status is not None and c.status is not status:
                return False
            fields = (c.body, c.author, c.email or "", c.remote_addr or "")
            return not wanted or any(wanted in f.casefold() for f in fields)

        with self._reading():
            found = [c for c in self._comments.values() if matches(c)]
        found.sort(key=_newest_first, reverse=True)
        return found[offset : None if limit is None else offset + limit]

    def find_by_id_prefix(self, prefix: str, limit: int = 2) -> list[StoredComment]:
        if not prefix:
            return []
        with self._reading():
            found = sorted(i for i in self._comments if i.startswith(prefix))[:limit]
            return [self._comments[i] for i in found]

    # -- backing up (BackupCapable) ------------------------------------------------------
    def backup(self, destination: Path) -> list[Path]:
        """Copy the file into ``destination`` under a shared flock, so no writer is mid-line.

        Only what replaying counts is copied: a torn last line or an unfinished batch at the
        end is left out. The copy is written beside its final name and renamed into place.
        """
        target = Path(destination) / self.path.name
        partial = target.with_name(f".{target.name}.partial")
        with self._mutex:
            try:
                with self._locked(fcntl.LOCK_SH) as fd:
                    self._refresh(fd)
                    _copy_prefix(fd, self._offset, partial)
                os.replace(partial, target)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise StoreError(f"could not back up comment file {self.path}: {exc}") from exc
        return [target]

    # -- the file -----------------------------------------------------------------------
    @contextmanager
    def _locked(self, mode: int) -> Iterator[int]:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, mode)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    @contextmanager
    def _writing(self) -> Iterator[int]:
        """Exclusive lock, caught up with the file, its tail mended; OSError -> StoreError."""
        with self._mutex:
            try:
                with self._locked(fcntl.LOCK_EX) as fd:
                    self._refresh(fd)
                    self._mend_tail(fd)
                    yield fd
            except OSError as exc:
                raise StoreError(f"could not write comment file {self.path}: {exc}") from exc

    def _mend_tail(self, fd: int) -> None:
        """Before appending: end a complete last line, set a torn tail aside (never delete it).

        A last record that lacks only its newline (an editor saved the file) is complete: it
        gets its newline. Bytes after the last complete line (a crash mid-write, an import
        cut short) move to ``<file>.torn-<time>`` for the owner to look at, then the file
        ends at its last complete line.
        """
        size = os.fstat(fd).st_size
        if size == self._offset:
            if size and os.pread(fd, 1, size - 1) != b"\n":
                os.write(fd, b"\n")  # the record itself was read already (see _refresh)
                os.fsync(fd)
                self._offset += 1
            return
        tail = os.pread(fd, size - self._offset, self._offset)
        aside = self._set_aside(tail)
        log.error(
            "comment file %s: %d bytes of incomplete writing after byte %d moved to %s",
            self.path,
            len(tail),
            self._offset,
            aside,
        )
        os.ftruncate(fd, self._offset)
        os.fsync(fd)

    def _set_aside(self, tail: bytes) -> Path:
        """Write ``tail`` to a new ``<file>.torn-<UTC time>[-n]`` file, fsynced."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for attempt in range(1000):
            suffix = f".torn-{stamp}" + (f"-{attempt}" if attempt else "")
            target = self.path.with_name(self.path.name + suffix)
            try:
                out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            try:
                os.write(out, tail)
                os.fsync(out)
            finally:
                os.close(out)
            return target
        raise OSError(f"no free name for the torn tail of {self.path}")

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Caught up with the file (a shared lock only if it changed); OSError -> StoreError."""
        with self._mutex:
            try:
                stat = os.stat(self.path)
                if stat.st_ino != self._inode or stat.st_size != self._offset:
                    with self._locked(fcntl.LOCK_SH) as fd:
                        self._refresh(fd)
            except OSError as exc:
                raise StoreError(f"could not read comment file {self.path}: {exc}") from exc
            yield

    def _append(self, fd: int, records: list[dict[str, Any]]) -> None:
        """One write and one fsync for all ``records``, then the index learns them.

        Several records are marked as one batch, so a crash in the middle keeps none of them.
        """
        if not records:
            return
        if len(records) > 1:
            batch = uuid.uuid4().hex
            records = [{**r, "batch": batch, "size": len(records)} for r in records]
        data = b"".join(
            json.dumps(r, ensure_ascii=False, separators=(", ", ": ")).encode() + b"\n"
            for r in records
        )
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        for record in records:
            self._apply(record)
        self._offset += len(data)

    def _refresh(self, fd: int) -> None:
        """Replay what was appended since last time; everything if the file was replaced."""
        stat = os.fstat(fd)
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            self._comments.clear()
            self._by_post.clear()
            self._by_key.clear()
            self._by_print.clear()
            self._last_number.clear()
            self._thread.clear()
            self._inode, self._offset = stat.st_ino, 0
        if stat.st_size == self._offset:
            return
        data = os.pread(fd, stat.st_size - self._offset, self._offset)
        consumed = 0
        batch: list[dict[str, Any]] = []
        batch_start = 0
        while consumed < len(data):
            end = data.find(b"\n", consumed)
            if end < 0:
                if not _complete_record(data[consumed:]):
                    break  # torn last line: a crash in the middle of a write
                end = len(data) - 1  # complete, only its newline missing: keep it
            raw = data[consumed : end + 1]
            consumed = end + 1
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                log.error("comment file %s: skipping a bad line (%s): %.80r", self.path, exc, raw)
                continue
            if "batch" not in record:
                self._apply(record)
                continue
            if not batch or batch[0].get("batch") != record["batch"]:
                if batch:
                    log.error("comment file %s: skipping an incomplete batch", self.path)
                batch, batch_start = [], consumed - len(raw)
            batch.append(record)
            if len(batch) == record.get("size"):
                for item in batch:
                    self._apply(item)
                batch = []
        if batch:
            consumed = batch_start  # an import cut short: none of it counts
        self._offset += consumed
        if self._offset < stat.st_size and self._warned != (stat.st_ino, stat.st_size):
            self._warned = (stat.st_ino, stat.st_size)
            log.warning(
                "comment file %s: ignoring %d bytes of incomplete writing at the end",
                self.path,
                stat.st_size - self._offset,
            )

    def _apply(self, record: dict[str, Any]) -> None:
        op = record.get("op")
        try:
            if op == "add":
                self._put(_from_record(record))
            elif op == "status" and record["id"] in self._comments:
                old = self._comments[record["id"]]
                number = record.get("number") or old.number
                self._put(replace(old, status=Status(record["status"]), number=number))
            elif op == "delete" and record["id"] in self._comments:
                gone = self._comments.pop(record["id"])
                self._thread.pop(gone.id, None)
                self._by_post.get(gone.post_id, {}).pop(gone.id, None)
                self._by_print.get((gone.post_id, text_fingerprint(gone.body)), set()).discard(
                    gone.id
                )
                if gone.submission_key:
                    self._by_key.pop(gone.submission_key, None)
            elif op == "reset":
                self._last_number.pop(record["post_id"], None)
            elif op not in ("add", "status", "delete"):
                log.error("comment file %s: skipping unknown op %r", self.path, op)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("comment file %s: skipping a bad %s line: %r", self.path, op, exc)

    def _put(self, comment: StoredComment) -> None:
        if comment.number is not None:
            last = max(self._last_number.get(comment.post_id, 0), comment.number)
            self._last_number[comment.post_id] = last
        if comment.id not in self._thread:
            # A reply joins its parent's thread when the parent is this post's; the file is
            # replayed in the order it was written, so the answer is the same every time.
            parent = self._comments.get(comment.parent_id or "")
            if parent is not None and parent.post_id == comment.post_id:
                self._thread[comment.id] = self._thread.get(parent.id, parent.id)
            else:
                self._thread[comment.id] = comment.id
        self._comments[comment.id] = comment
        self._by_post.setdefault(comment.post_id, {})[comment.id] = comment
        key = (comment.post_id, text_fingerprint(comment.body))
        self._by_print.setdefault(key, set()).add(comment.id)
        if comment.submission_key:
            self._by_key[comment.submission_key] = comment.id


def _complete_record(raw: bytes) -> bool:
    """A last line without its newline that is nonetheless one whole JSON object."""
    try:
        return isinstance(json.loads(raw), dict)
    except ValueError:
        return False


def _copy_prefix(fd: int, size: int, target: Path) -> None:
    """Write the first ``size`` bytes of ``fd`` to a new file ``target`` and fsync it."""
    out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        offset = 0
        while offset < size:
            chunk = os.pread(fd, min(1 << 20, size - offset), offset)
            if not chunk:
                raise OSError(f"file ended at byte {offset}, expected {size}")
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view) :]
            offset += len(chunk)
        os.fsync(out)
    finally:
        os.close(out)


def _new_stored(new: NewComment, number: int | None) -> StoredComment:
    draft = new.draft
    if new.created_at is not None and new.created_at.tzinfo is None:
        raise StoreError("naive created_at given; comments keep aware UTC times only")
    return StoredComment(
        id=uuid.uuid4().hex,
        post_id=draft.post_id,
        number=number,
        author=draft.author,
        body=draft.body,
        body_html=new.body_html,
        created_at=new.created_at.astimezone(UTC) if new.created_at else None,
        status=new.status,
        email=draft.email,
        website=draft.website,
        parent_id=draft.parent_id,
        remote_addr=draft.remote_addr,
        user_agent=draft.user_agent,
        submission_key=draft.submission_key or None,
        verdicts=new.verdicts,
        kind=draft.kind,
        role=draft.role,
    )


def _newest_first(comment: StoredComment) -> tuple[bool, datetime, int]:
    """The queue's order, reversed: by time, comments without one (archives) last."""
    when = comment.created_at
    return (when is not None, when or _NEVER, comment.number or 0)


def _number_order(comment: StoredComment) -> tuple[bool, int, bool, datetime]:
    """Numbered comments by number, then the unnumbered ones by time, unknown times last."""
    when = comment.created_at
    return (comment.number is None, comment.number or 0, when is None, when or _NEVER)


_NEVER = datetime.min.replace(tzinfo=UTC)

_FIELDS = (
    "id",
    "post_id",
    "number",
    "author",
    "body",
    "body_html",
    "email",
    "website",
    "parent_id",
    "remote_addr",
    "user_agent",
    "submission_key",
)

_REQUIRED = frozenset(["id", "post_id", "number", "author", "body", "body_html"])


def _add_record(comment: StoredComment) -> dict[str, Any]:
    record: dict[str, Any] = {"op": "add"}
    record.update({name: getattr(comment, name) for name in _FIELDS})
    record["created_at"] = comment.created_at.isoformat() if comment.created_at else None
    record["role"] = comment.role.value if comment.role else None
    record["status"] = comment.status.value
    record["verdicts"] = [v.to_dict() for v in comment.verdicts]
    record["kind"] = comment.kind.value
    return record


def _from_record(record: dict[str, Any]) -> StoredComment:
    created_at = None
    if record.get("created_at"):
        created_at = datetime.fromisoformat(record["created_at"])
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        created_at = created_at.astimezone(UTC)
    fields: dict[str, Any] = {
        name: record[name] if name in _REQUIRED else record.get(name) for name in _FIELDS
    }
    return StoredComment(
        **fields,
        created_at=created_at,
        role=Role(record["role"]) if record.get("role") else None,
        status=Status(record["status"]),
        verdicts=tuple(Verdict.from_dict(v) for v in record.get("verdicts") or ()),
        kind=CommentKind(record.get("kind") or "comment"),  # lines from before kinds: comments
    )


def register(registry: Any) -> None:
    """Called by blogengine with the registry when it loads the plugins folder."""
    registry.register_store("jsonl", JsonlCommentStore)
