"""Fuzzing the seed loader with mutated copies of the real archive.

The property: `blogengine seed FILE` either imports (exit 0; the post and its comments are
there, numbered 1..n once each) or refuses with ``Error: PATH:LINE: message`` (LINE within
the file, and holding the bad byte or control character it names), a non-zero exit and the
database as it was. Never a traceback.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support import build_app

from blogengine.comments import get_service
from blogengine.comments.contracts import Status
from blogengine.extensions import db
from blogengine.models import Post

PROJECT = Path(__file__).resolve().parent.parent
SEED = PROJECT / "seeds" / "2008-washington-note-leverett-mek.txt"
SMALL = Path(__file__).parent / "data" / "seeds" / "small-two-comments.txt"
ORIGINAL = SEED.read_bytes().split(b"\n")
NUMBERED = re.compile(rb"^( {0,3})(\d+)\.")
COMMENTS_HEADER = re.compile(rb"^\s*(\d+)(\s+comments?\s+on)")
NOT_UTF8 = [b"\xff", b"\xc3(", b"\xe2\x82", b"\xed\xa0\x80", b"\x80abc", b"\xf8\x88\x80\x80\x80"]
#: What the loader refuses (C0 but tab and LF, DEL, C1, U+FFFE/U+FFFF) and a few it keeps.
CONTROL = [*map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)]), "\ufffe", "\uffff", "\u200b"]


@dataclass
class Site:
    """One app whose database is put back to the same template before every example."""

    app: Flask
    db_file: Path
    template: Path
    work: Path

    def reset(self) -> None:
        with self.app.app_context():
            db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db_file}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.db_file)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated database holding the small archive: something that must stay unchanged."""
    tmp = tmp_path_factory.mktemp("fuzz-seed")
    with pytest.MonkeyPatch.context() as monkeypatch:
        app = build_app(tmp, monkeypatch)
        result = app.test_cli_runner().invoke(args=["seed", str(SMALL)])
        assert result.exit_code == 0, result.output
        with app.app_context():
            db.engine.dispose()
        db_file = tmp / "test.db"
        template = tmp / "template.db"
        shutil.copyfile(db_file, template)
        yield Site(app, db_file, template, tmp)
        with app.app_context():
            db.engine.dispose()


def counts(app: Flask) -> tuple[int, int]:
    """Posts, and comments of any status: what "the database unchanged" compares."""
    with app.app_context():
        posts = db.session.scalar(select(func.count()).select_from(Post)) or 0
        store = get_service().store
        comments = sum(len(store.list_by_status(status)) for status in Status)
        db.session.close()
    return posts, comments


# -- mutations of the real archive --------------------------------------------------------


def indexes(lines: list[bytes], pattern: re.Pattern[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if pattern.match(line)]


@st.composite
def mutation(draw: st.DrawFn, lines: list[bytes]) -> tuple[str, list[bytes]]:
    """One edit of the kind a damaged or hand-edited archive has."""
    lines = list(lines)
    kind = draw(
        st.sampled_from(
            [
                "delete",
                "duplicate",
                "swap",
                "number",
                "says",
                "count",
                "bytes",
                "truncate",
                "blank",
                "tab",
                "control",
                "crlf",
                "unicode",
            ]
        )
    )
    if not lines:
        return kind, [draw(st.binary(max_size=20))]
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "number" and (found := indexes(lines, NUMBERED)):
        k = draw(st.sampled_from(found))
        number = draw(st.integers(0, 40).map(str) | st.sampled_from(["", "٣", "007", "1" * 30]))
        lines[k] = NUMBERED.sub(lambda m: m.group(1) + number.encode() + b".", lines[k], 1)
    elif kind == "says" and (found := [n for n, line in enumerate(lines) if b"says:" in line]):
        k = draw(st.sampled_from(found))
        lines[k] = lines[k].replace(b" says:", draw(st.sampled_from([b"", b" says", b"says:"])))
    elif kind == "count" and (found := indexes(lines, COMMENTS_HEADER)):
        k = draw(st.sampled_from(found))
        number = draw(st.integers(0, 20).map(str) | st.sampled_from(["", "-1", "99999999999"]))
        lines[k] = COMMENTS_HEADER.sub(lambda m: number.encode() + m.group(2), lines[k], 1)
    elif kind == "bytes":
        at = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:at] + draw(st.sampled_from(NOT_UTF8)) + lines[i][at:]
    elif kind == "truncate":
        data = b"\n".join(lines)
        lines = data[: draw(st.integers(0, len(data)))].split(b"\n")
    elif kind == "blank":
        for _ in range(draw(st.integers(1, 3))):
            lines.insert(i, draw(st.sampled_from([b"", b" ", b"    ", b"\r", b"\t"])))
    elif kind == "tab":
        lines[i] = draw(st.sampled_from([b"\t", b"  \t", b"\t\t"])) + lines[i].lstrip(b" ")
    elif kind == "control":
        at = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:at] + draw(st.sampled_from(CONTROL)).encode() + lines[i][at:]
    elif kind == "crlf":  # the whole file saved with Windows line endings
        lines = [line + b"\r" for line in lines[:-1]] + lines[-1:]
    else:
        text = draw(st.text(min_size=1, max_size=12))
        at = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:at] + text.encode() + lines[i][at:]
        kind = "unicode"
    return kind, lines


@st.composite
def mutated_archives(draw: st.DrawFn) -> tuple[list[str], bytes]:
    lines, kinds = ORIGINAL, []
    for _ in range(draw(st.integers(1, 3))):
        kind, lines = draw(mutation(lines))
        kinds.append(kind)
    return kinds, b"\n".join(lines)


# -- the property -------------------------------------------------------------------------

IMPORTED = re.compile(r'^imported (?P<path>.+): "(?P<title>.*)" with (?P<n>\d+) comments?$', re.S)
CONTROL_MESSAGE = re.compile(r"(?:control character|noncharacter) U\+([0-9A-F]{4}) in the text")
REFUSED = re.compile(r"^Error: (?P<path>.+?):(?P<line>\d+): (?P<message>.+)$", re.S)


def line_count(data: bytes) -> int:
    """Lines as the loader numbers them: CR LF is one line ending, a lone CR is not one."""
    return data.count(b"\n") + 1


def check_import(site: Site, data: bytes, name: str = "archive.txt") -> str:
    """Run the loader on ``data`` in a fresh copy of the database; return what happened."""
    site.reset()
    path = site.work / name
    path.write_bytes(data)
    before = counts(site.app)
    result = site.app.test_cli_runner().invoke(args=["seed", str(path)])
    output = result.output
    assert "Traceback" not in output, output
    if result.exit_code == 0:
        assert result.exception is None
        if output.startswith("skipped "):
            assert counts(site.app) == before
            return "skipped"
        match = IMPORTED.match(output.rstrip("\n"))
        assert match, output
        assert match.group("path") == str(path)
        n = int(match.group("n"))
        with site.app.app_context():
            post = db.session.scalar(select(Post).order_by(Post.id.desc()).limit(1))
            assert post is not None and post.title == match.group("title")
            comments = get_service().store.list_for_post(post.uid, status=None)
            db.session.close()
        assert sorted(c.number for c in comments) == list(range(1, n + 1))
        assert counts(site.app) == (before[0] + 1, before[1] + n)
        return "imported"
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 0
    match = REFUSED.match(output.rstrip("\n"))
    assert match, output
    assert match.group("path") == str(path)
    line = int(match.group("line"))
    assert 1 <= line <= line_count(data) + 1, (line, line_count(data))  # +1: "expected here"
    if "not UTF-8" in match.group("message"):
        bad_line = data.split(b"\n")[line - 1]
        with pytest.raises(UnicodeDecodeError):
            bad_line.decode("utf-8")
    if (found := CONTROL_MESSAGE.search(match.group("message"))) is not None:
        lf_lines = data.replace(b"\r\n", b"\n").split(b"\n")  # CR LF is read as LF
        bad_line = lf_lines[line - 1].decode("utf-8")
        assert chr(int(found.group(1), 16)) in bad_line, (line, bad_line)
    assert counts(site.app) == before, "a refused file changes nothing"
    return "refused: " + re.sub(r"\d+", "N", match.group("message"))[:40]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(archive=mutated_archives())
def test_mutated_archive_imports_or_is_refused_cleanly(
    site: Site, archive: tuple[list[str], bytes]
) -> None:
    kinds, data = archive
    outcome = check_import(site, data)
    event(f"{'+'.join(kinds)} -> {outcome.split(':')[0]}")  # --hypothesis-show-statistics


def test_the_unmutated_archive_imports(site: Site) -> None:
    assert check_import(site, b"\n".join(ORIGINAL)) == "imported"


CONTROL_REFUSED = "refused: control character U+N in the text"


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"", "refused: empty file"),
        (b"\xff", "refused: not UTF-N (byte Nxff)"),
        (b"\n".join(ORIGINAL).replace(b"  3. ", b"  \xd9\xa3. ", 1), "imported"),
        (b"\r\n".join(ORIGINAL), "imported"),
        (b"\n".join(ORIGINAL).replace(b"Otak", b"O\x00tak"), CONTROL_REFUSED),
        (b"T\n\nBody \xc2\x85 text.\n", CONTROL_REFUSED),
    ],
)
def test_edge_archives(site: Site, data: bytes, outcome: str) -> None:
    assert check_import(site, data) == outcome
