"""URL slugs for posts, one set of rules for every way a post is made.

The seed importer and ``blogengine posts add`` both use these, so an archived article and a
post added by hand with the same title get the same kind of URL.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

SLUG_MAX = 80
FALLBACK = "post"


def slugify(title: str) -> str:
    """Lowercase ASCII words joined by hyphens, cut at a word within SLUG_MAX.

    Accents are dropped ("Ça" -> "ca"); a title with no ASCII letter or digit gives "post",
    so every title has a usable URL.
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return _cut(slug, SLUG_MAX) or FALLBACK


def unique_slug(title: str, taken: Callable[[str], bool]) -> str:
    """The title's slug, or with -2, -3… appended (still within SLUG_MAX) while ``taken``."""
    base = slugify(title)
    slug, n = base, 2
    while taken(slug):
        suffix = f"-{n}"
        slug, n = (_cut(base, SLUG_MAX - len(suffix)) or FALLBACK) + suffix, n + 1
    return slug


def _cut(slug: str, limit: int) -> str:
    """At most ``limit`` characters, at a hyphen when there is one, never ending in one."""
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else cut)[:limit].strip("-")
