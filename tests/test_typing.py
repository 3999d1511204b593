"""Type checking is part of `make test` (mypy strict, in `make lint`); what it cannot check
itself is checked here: every `type: ignore` says why on its own line (issue 6, item 9)."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
#: ``# type: ignore[code]`` then a comment of at least a few words: ``  # Flask-Login is untyped``.
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[\w,\s-]+\]\s+#\s*\S.{2,}")


def checked_sources() -> list[Path]:
    sources = [*(PROJECT / "blogengine").rglob("*.py"), *(PROJECT / "plugins").glob("*.py")]
    return [p for p in sources if "migrations" not in p.parts] + [PROJECT / "wsgi.py"]


def test_every_type_ignore_names_its_code_and_says_why_on_the_line() -> None:
    unexplained = [
        f"{path.relative_to(PROJECT)}:{number}: {line.strip()}"
        for path in checked_sources()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "type: ignore" in line and not EXPLAINED.search(line)
    ]
    assert unexplained == [], "\n".join(unexplained)


def test_the_package_says_it_is_typed() -> None:
    assert (PROJECT / "blogengine" / "py.typed").is_file()
