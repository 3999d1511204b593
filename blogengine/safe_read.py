"""Read a file named on the command line: a regular file, of a bounded size, nothing else.

`blogengine seed seeds/a.txt` where a.txt is a symlink to instance/config.py published the
site's SECRET_KEY; a symlink to /dev/zero ran out of memory; a FIFO hung forever. So a path
is opened without following a final symlink (unless asked), without blocking (a FIFO), and is
read only if the open file is a regular file, never more than ``max_bytes`` of it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Default for SEED_MAX_BYTES: far above any article with its comments (the shipped one is
#: 60 KB), far below what would exhaust memory.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


class ReadRefused(Exception):
    """``PATH: why``: the file was not read (not a regular file, too large, unreadable)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def read_regular_file(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, follow_symlinks: bool = False
) -> bytes:
    """The bytes of ``path``; ReadRefused for a symlink (unless followed), a device, a FIFO,
    a folder, or a file larger than ``max_bytes``."""
    name = str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        if not follow_symlinks and os.path.islink(name):
            raise ReadRefused(
                name, "not a regular file (a symbolic link; --follow-symlinks reads its target)"
            ) from exc
        raise ReadRefused(name, f"cannot read file: {exc.strerror or exc}") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ReadRefused(name, f"not a regular file ({_kind(info.st_mode)})")
    with os.fdopen(fd, "rb") as file:
        if info.st_size > max_bytes:
            raise ReadRefused(name, _too_large(info.st_size, max_bytes))
        data = file.read(max_bytes + 1)  # a file still growing is bounded too
    if len(data) > max_bytes:
        raise ReadRefused(name, _too_large(len(data), max_bytes))
    return data


def _too_large(size: int, limit: int) -> str:
    return (
        f"{size:,} bytes, larger than the {limit:,}-byte limit "
        "(SEED_MAX_BYTES in the config, or --max-bytes)"
    )


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a plain file"
