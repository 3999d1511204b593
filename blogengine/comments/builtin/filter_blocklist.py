"""The `blocklist` filter: words, addresses and networks the owner never wants to see.

The list is a plain text file the owner edits while the site runs (option ``path``, default
``blocklist.txt``; a relative path is resolved against the site's instance folder, which
the host passes as ``instance_path``).
It is read again whenever its modification time changes. One entry per line::

    # a comment; blank lines are ignored
    ip:203.0.113.          an IP prefix: matches 203.0.113.7 (and "ip:2001:db8:" for IPv6)
    email:spam@example.com an email address (case-insensitive, exact)
    email:@example.net     every address at that domain (and its subdomains)
    cheap pills            anything else: a word or phrase, case-insensitive, whole words only,
                           looked for in the author's name, the text and the website, by
                           confusable skeleton (a Cyrillic "а" or a zero-width space does
                           not get "cheаp pills" past it)

A match gives SPAM, with the matched entry as the reason. A missing file stops start-up:
a blocklist that silently blocks nothing is worse than none.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from ..contracts import Action, CommentDraft, FilterContext, Verdict
from ..names import skeleton

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Blocklist:
    """The parsed file: IP prefixes, exact addresses, domains and one regex per phrase."""

    ip_prefixes: tuple[str, ...] = ()
    emails: frozenset[str] = frozenset()
    domains: tuple[str, ...] = ()
    phrases: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Blocklist:
        ips: list[str] = []
        emails: set[str] = set()
        domains: list[str] = []
        phrases: list[tuple[str, re.Pattern[str]]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            kind, _, value = line.partition(":")
            kind, value = kind.strip().lower(), value.strip()
            if kind == "ip" and value:
                ips.append(value.lower())
            elif kind == "email" and value:
                if value.startswith("@"):
                    domains.append(value[1:].lower())
                else:
                    emails.add(value.lower())
            else:
                # Matched on confusable skeletons: "cheаp" with a Cyrillic "а" is "cheap".
                words = r"\s+".join(re.escape(w) for w in _skeleton(line).split())
                # Whole words: no letter/digit right before or after (works for "c++" too).
                phrases.append((line, re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)))
        return cls(tuple(ips), frozenset(emails), tuple(domains), tuple(phrases))

    def match(self, draft: CommentDraft) -> str | None:
        """The first entry the draft matches, written as in the file, or None."""
        addr = (draft.remote_addr or "").lower()
        for prefix in self.ip_prefixes:
            if addr.startswith(prefix):
                return f"ip:{prefix}"
        email = (draft.email or "").strip().lower()
        if email:
            if email in self.emails:
                return f"email:{email}"
            domain = email.rpartition("@")[2]
            for blocked in self.domains:
                if domain == blocked or domain.endswith("." + blocked):
                    return f"email:@{blocked}"
        for text in (draft.author, draft.body, draft.website or ""):
            if not self.phrases or not text:
                continue
            seen = _skeleton(text)
            for entry, pattern in self.phrases:
                if pattern.search(seen):
                    return entry
        return None


def _skeleton(text: str) -> str:
    """The case-folded confusable skeleton (TR39) a phrase and a text are compared by."""
    return skeleton(text.casefold()).casefold()


class BlocklistFilter:
    """Options: ``path`` (the list file; relative to ``instance_path``, the host's folder)."""

    #: Runs on the request's thread (chain.py): a local file, read again only when it changes.
    inline = True

    def __init__(
        self, *, path: str = "blocklist.txt", instance_path: str | os.PathLike[str] = "."
    ) -> None:
        self.path = Path(instance_path, Path(path).expanduser())
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._list = Blocklist()
        try:
            self._reload()
        except OSError as exc:
            raise ValueError(
                f"blocklist file {self.path} cannot be read ({exc.strerror or exc}); create it "
                f"(one word, 'email:' or 'ip:' entry per line) or set the filter's 'path' option"
            ) from exc

    def _reload(self) -> None:
        """Read the file again if it changed since last time (raises OSError if it cannot)."""
        stat = os.stat(self.path)
        version = (stat.st_mtime_ns, stat.st_size)  # the size too: two edits in one tick
        if version == self._version:
            return
        blocklist = Blocklist.parse(self.path.read_text(encoding="utf-8"))
        with self._lock:
            self._list, self._version = blocklist, version
        log.info("blocklist %s loaded", self.path)

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        try:
            self._reload()
        except OSError:
            # Gone or unreadable while running: keep the last list rather than block nothing.
            log.warning("blocklist %s cannot be read; using the last version", self.path)
        entry = self._list.match(draft)
        if entry is None:
            return None
        return Verdict(Action.SPAM, f"matched blocklist entry {entry!r}", "blocklist")
