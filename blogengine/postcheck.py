"""What an owner's post must be before it is written, whoever writes it (CLI or desk).

No control characters (an ESC in a post made /feed.atom invalid XML for every subscriber,
and PostgreSQL cannot store NUL), and every field within its column's declared length, so
each database gives the same clear refusal instead of PostgreSQL's raw SQL error.
"""

from __future__ import annotations

from collections.abc import Mapping

from .models import Post, column_length
from .rendering import first_control_character


def post_problems(fields: Mapping[str, str | None]) -> list[str]:
    """One sentence per problem: ``title: control character U+001B on line 1``..."""
    problems = []
    for name, value in fields.items():
        if not value:
            continue
        found = first_control_character(value)
        if found is not None:
            problems.append(f"{name}: {found[1]} on line {found[0]}; remove it")
        limit = _length(name)
        if limit is not None and len(value) > limit:
            problems.append(f"{name}: {len(value):,} characters, at most {limit:,}")
    return problems


def _length(name: str) -> int | None:
    """The column's declared length; None for Text columns (body) and non-columns."""
    try:
        return column_length(Post, name)
    except (KeyError, ValueError):
        return None
