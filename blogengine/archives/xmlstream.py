"""Streaming, hostile-proof XML reading with line numbers, for the WXR and Disqus importers.

``defusedxml`` refuses entity declarations (billion laughs) and external entities, so a
hostile file cannot blow up memory or read local files. The file is fed to the parser a line
at a time (at most 64 KiB), so each event comes with the line it was read on and an error can
name it. Callers clear what they have read (``children`` removes it), so memory stays flat
however large the export.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .model import ArchiveError

CHUNK = 64 * 1024


class _LineReader:
    """A binary file whose ``read`` gives one line (or CHUNK bytes) and counts lines."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.line = 1
        self._pending = 0  # newlines in the last chunk handed out, counted once it is parsed

    def read(self, size: int = -1) -> bytes:
        self.line += self._pending
        data = self.raw.readline(CHUNK)
        self._pending = data.count(b"\n")
        return data


def events(path: str | Path) -> Iterator[tuple[str, Element, int]]:
    """``(event, element, line)`` for "start" and "end" of every element, and "start-ns".

    For "start-ns" the element is a fake one whose ``tag`` is the prefix and ``text`` the URI.
    Parse errors and refused constructs become ArchiveError naming the line.
    """
    name = str(path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed in finally, a generator
    except OSError as exc:
        raise ArchiveError(name, 1, f"cannot read file: {exc.strerror or exc}") from exc
    reader = _LineReader(raw)
    try:
        for event, item in iterparse(reader, events=("start", "end", "start-ns"), forbid_dtd=True):
            if event == "start-ns":
                prefix, uri = item  # start-ns gives a (prefix, uri) pair
                fake = Element(prefix)
                fake.text = uri
                yield event, fake, reader.line
            else:
                yield event, item, reader.line
    except ParseError as exc:
        line = exc.position[0] if exc.position else reader.line
        raise ArchiveError(name, line, f"not well-formed XML: {_reason(exc)}") from exc
    except DefusedXmlException as exc:
        raise ArchiveError(name, reader.line, f"refused: {exc} (not allowed in an export)") from exc
    finally:
        raw.close()


def _reason(exc: ParseError) -> str:
    """expat's message without its own ": line N, column M" (the line is ours to give)."""
    return str(exc).split(": line ")[0]


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def child_text(element: Element, tag: str) -> str:
    """The text of ``element``'s first child ``tag`` (namespaced), stripped; "" if none."""
    found = element.find(tag)
    if found is None or found.text is None:
        return ""
    return found.text.strip()
