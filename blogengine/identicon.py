"""Faces beside names: a local identicon, or Gravatar when the owner turns it on.

The identicon is an SVG drawn here from a keyed hash (HMAC with a key derived from
SECRET_KEY) of the commenter's email, or their name when they gave none. No third party is
asked, and nothing in the page can be matched against an email address: without the site's
secret the hash says nothing. The page links ``/identicon/<hash>.svg``; the picture depends
on the hash alone, so the route needs no lookup and the file is cached for good.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from flask import current_app, g, url_for

from .comments.contracts import StoredComment

#: Bytes of the keyed hash in an identicon's name (32 hex digits).
DIGEST_BYTES = 16
#: Cells per side; the left half is mirrored, as faces are.
GRID = 5
CELL = 8


@lru_cache(maxsize=8)
def identity_key(secret_key: str) -> bytes:
    """The key identicons are drawn with: derived from, never equal to, SECRET_KEY."""
    return hmac.new(secret_key.encode(), b"blogengine.identicon", hashlib.sha256).digest()


def identity_hash(comment: StoredComment, key: bytes) -> bytes:
    """The keyed hash of who wrote ``comment``: their email if given, else their name."""
    who = (comment.email or "").strip().lower() or "name:" + comment.author.strip()
    return hmac.new(key, who.encode(), hashlib.sha256).digest()


@lru_cache(maxsize=4096)
def identicon_svg(digest: bytes) -> str:
    """A symmetric 5x5 pattern in one colour, chosen by ``digest``."""
    hue = int.from_bytes(digest[:2], "big") % 360
    cells = []
    bits = int.from_bytes(digest[2:10], "big")
    for row in range(GRID):
        for col in range((GRID + 1) // 2):
            if bits & 1:
                for x in {col, GRID - 1 - col}:
                    cells.append(
                        f'<rect x="{x * CELL}" y="{row * CELL}" width="{CELL}" height="{CELL}"/>'
                    )
            bits >>= 1
    size = GRID * CELL
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}"><rect width="{size}" height="{size}" fill="#f2f2f2"/>'
        f'<g fill="hsl({hue},55%,45%)">{"".join(cells)}</g></svg>'
    )


def identicon_name(comment: StoredComment) -> str:
    """The file name of ``comment``'s identicon: the keyed hash, hex (it names, never reveals)."""
    key = identity_key(current_app.config["SECRET_KEY"])
    return identity_hash(comment, key)[:DIGEST_BYTES].hex()


def avatar_url(comment: StoredComment) -> str:
    """Where the face beside ``comment`` comes from: Gravatar if the owner chose it and the
    commenter gave an email, otherwise the local identicon."""
    if current_app.config["COMMENTS_GRAVATAR"] and comment.email:
        email_hash = hashlib.sha256(comment.email.strip().lower().encode()).hexdigest()
        return f"https://www.gravatar.com/avatar/{email_hash}?s=80&d=identicon"
    # One url_for per request, not per comment (a page may show hundreds of faces).
    if "identicon_url" not in g:
        g.identicon_url = url_for("blog.identicon", name=_NAME_SLOT)
    return str(g.identicon_url).replace(_NAME_SLOT, identicon_name(comment))


_NAME_SLOT = "0" * (DIGEST_BYTES * 2)
