"""Authors' names: cleaned before they are stored, compared by what they look like.

A name with a zero-width space, a bidi control or a Cyrillic "а" looks like the owner's on
the page while being another string. Names are cleaned (NFKC, invisible characters removed)
before they are stored, and compared by their confusable skeleton (Unicode TR39: each
character replaced by the prototype it is confusable with, using the `confusable-homoglyphs`
package's copy of Unicode's confusables table).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable
from importlib import resources

#: Zero-width characters, bidi controls, soft hyphen and other invisible format characters.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_SPACES = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """NFKC, without invisible characters, spaces collapsed: the name as it is stored."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", name))
    return _SPACES.sub(" ", text).strip()


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each confusable character -> its prototype, from Unicode's confusables table."""
    source = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    table: dict[str, list[dict[str, str]]] = json.loads(source.read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for char, homoglyphs in table.items():
        # The table lists each prototype with all its look-alikes, and each look-alike with
        # its one prototype; a pair listing only each other maps both to the smaller one.
        if len(char) != 1 or len(homoglyphs) != 1:
            continue
        target = homoglyphs[0]["c"].strip("\u200e\u200f")
        back = table.get(target, [])
        if len(back) == 1 and back[0]["c"].strip("\u200e\u200f") == char:
            target = min(char, target)
        if target != char:
            mapping[char] = target
    return mapping


def skeleton(text: str) -> str:
    """TR39's skeleton: NFD, each character to its prototype, NFD again."""
    mapping = _prototypes()
    decomposed = unicodedata.normalize("NFD", clean_name(text))
    return unicodedata.normalize("NFD", "".join(mapping.get(c, c) for c in decomposed))


@functools.lru_cache(maxsize=1024)
def name_keys(name: str) -> frozenset[str]:
    """What a name is compared by: the skeletons of the name as typed, case-folded and in
    capitals (an "I" passes for an "l"), without spaces ("Ada Lovelace", "ada  lovelace",
    "Аdа Lovеlace" share one). Kept for the names asked about most: the protected ones,
    compared with every comment."""
    keys = set()
    for variant in (name, name.casefold(), name.upper()):
        variant = skeleton(variant).casefold()
        key = skeleton(variant).replace(" ", "")
        if key:
            keys.add(key)
    return frozenset(keys)


def looks_like(name: str, other: str) -> bool:
    """True when ``name`` would pass for ``other`` on a page."""
    return not name_keys(name).isdisjoint(name_keys(other))


def protected_names(author: str | None) -> tuple[str, ...]:
    """The names no commenter may pass as: the post's ``author`` and every owner account.

    Needs an app context (reads the users table).
    """
    from sqlalchemy import select

    from ..extensions import db
    from ..models import User

    return names_to_protect(author, db.session.scalars(select(User.username)).all())


def names_to_protect(author: str | None, owners: Iterable[str]) -> tuple[str, ...]:
    """The post's ``author`` and the ``owners``' names, once each, blanks left out."""
    names = [author, *owners] if author else list(owners)
    return tuple(dict.fromkeys(n for n in names if n and n.strip()))
