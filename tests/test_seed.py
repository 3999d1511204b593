"""The archive seed loader: the real article imports exactly, bad files import nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from blogengine.comments import get_service
from blogengine.comments.contracts import Status, StoredComment, StoreError
from blogengine.extensions import db
from blogengine.models import Post
from blogengine.seed import SeedError, parse_file, parse_text, slugify

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
SEED = PROJECT / "seeds" / "2008-washington-note-leverett-mek.txt"
SMALL = Path(__file__).parent / "data" / "seeds" / "small-two-comments.txt"
TITLE = "Hillary Mann Leverett: America Loses Another Bit of Leverage with Iran"
AUTHORS = [
    "Everything will be Utopic is myopic",
    "Otak",
    "Everything Will Be Utopic",
    "daCascadian",
    "DonS",
    "...",
    "rich",
    "fyi",
    "AndrewMehdizadeh",
    "JohnH",
    "PissedOffAmerican",
]
COMMENT_2 = "\n".join(
    [
        "Hillary Mann Leverett is one of the brightest voices of informed",
        "reason on the Middle East out there. She is spot on correct.",
        "Bush and Rice and Rumsfeld and Cheney were an absolute",
        "disaster for this country. Hopefully Clinton, as secretary of State,",
        "will not surround herself with any of these neocon idiots like Ken",
        "Pollock, etc.",
        "Bottom line is we need to support Israel but must carefully and",
        "firmly force Israel for its own good to finally deal with the failed",
        "ethnic cleansing policy that was a part of its re-birth as a",
        "That the Bush administration essentially asked Israel not to",
        "renew the cease-fire agreement with Hamas as it didn’t want to",
        "“legitimize” Hamas has led to countless civilian casualties. We",
        "mourn the loss of innocent life in Israel and Gaza, Palestine and",
        "are disgusted with the leadership that allowed this to happen.",
    ]
)
COMMENT_11 = "\n".join(
    [
        "Gee? Rice? Out of touch?",
        "Or just a perjurious criminal?",
        "Something tells me Rice isn’t “mistaken” very often, but instead, is just lyin’ her"
        " ass off.",
        "Yeah, Rice is gonna tell you things are just jim dandy in Iraq. Until Obama takes over,"
        " at which time she’ll give it a few weeks, then blame the whole entire clusterfuck on"
        " Obama.",
        "Merry Christmas to those of you out there that get it.",
        "As to the criminal monsters running the show, that have given us these last eight years"
        " of treasons, deceptions, torture, murder, disaster, and mayhem….",
        "Kiss my ass, Christmas or not.",
    ]
)


# -- helpers --------------------------------------------------------------------------------


def expected_comment_texts(path: Path) -> list[str]:
    """The archive's comment texts, sliced by hand: header, a blank line, 4-space lines."""
    lines = path.read_text(encoding="utf-8").split("\n")
    headers = [i for i, line in enumerate(lines) if re.match(r"^  \d+\. .+ says:$", line)]
    texts = []
    for k, start in enumerate(headers):
        end = headers[k + 1] if k + 1 < len(headers) else len(lines)
        chunk = lines[start + 1 : end]
        while chunk and chunk[0] == "":
            chunk.pop(0)
        while chunk and chunk[-1] == "":
            chunk.pop()
        assert all(line.startswith("    ") for line in chunk), chunk
        texts.append("\n".join(line[4:] for line in chunk))
    return texts


def snapshot(app: Flask) -> tuple[int, set[str], set[str]]:
    """Post count, post uids and every comment id (any status): what "unchanged" means."""
    with app.app_context():
        store = get_service().store
        count = db.session.scalar(select(func.count()).select_from(Post)) or 0
        uids = set(db.session.scalars(select(Post.uid)))
        comment_ids = {c.id for status in Status for c in store.list_by_status(status)}
    return count, uids, comment_ids


def imported(app: Flask, title: str = TITLE) -> tuple[Post, list[StoredComment]]:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.title == title))
        assert post is not None
        db.session.expunge(post)
        return post, get_service().store.list_for_post(post.uid, status=None)


def seed(runner: FlaskCliRunner, *args: str | Path):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["seed", *(str(a) for a in args)])


# -- the real article -----------------------------------------------------------------------


def test_shared_seed_is_the_project_seed() -> None:
    shared_seed = SHARED / "seeds" / "000_a0b67bdef3d04ffa.txt"
    if not shared_seed.exists():
        pytest.skip(f"{SHARED} is absent: cannot compare seeds/ with the shared archive")
    assert SEED.read_bytes() == shared_seed.read_bytes()


def test_imports_the_post(app: Flask, runner: FlaskCliRunner) -> None:
    result = seed(runner, SEED)
    assert result.exit_code == 0, result.output
    assert result.output == f'imported {SEED}: "{TITLE}" with 11 comments\n'
    post, _ = imported(app)
    assert post.author == "Hillary Mann Leverett"
    assert post.publication == "The Washington Note"
    assert post.image_name == "hillary mann leverett.jpg"
    assert post.image_alt == "hillary mann leverett"
    assert post.signature == "— Hillary Mann Leverett"
    assert post.subtitle is None
    assert post.published_at is None
    assert post.body_format == "text"
    paragraphs = post.body_source.split("\n")
    assert paragraphs[0].startswith("This is a guest post for The Washington Note")
    assert paragraphs[-1].startswith("The story I’ve just recounted")
    assert len(paragraphs) == 7
    assert "jpg" not in post.body_html
    assert "Hillary Mann Leverett</p>" not in post.body_html  # the signature is kept apart
    assert post.body_html.count("<p>") == 7
    assert post.excerpt.startswith("This is a guest post")
    assert post.slug == "hillary-mann-leverett-america-loses-another-bit-of-leverage-with-iran"


def test_imports_every_comment_exactly(app: Flask, runner: FlaskCliRunner) -> None:
    assert seed(runner, SEED).exit_code == 0
    _, comments = imported(app)
    assert [c.author for c in comments] == AUTHORS
    assert [c.number for c in comments] == list(range(1, 12))
    assert all(c.status is Status.APPROVED for c in comments)
    assert [c.body for c in comments] == expected_comment_texts(SEED)
    assert comments[1].body == COMMENT_2
    assert comments[10].body == COMMENT_11
    assert comments[0].body.split("\n")[:3] == [
        "What a wild world we live in. I read “everything will be utopic’s”",
        "(EWBU’s) post with great bemusement. The “idiot” EWBU refers to",
        "has studied the Middle East, lived in many countries in the",
    ]
    assert "[Second attempt – The captcha bug is still unfixed yokels – wake" in comments[
        3
    ].body.split("\n")
    assert "<br>" in comments[0].body_html  # rendered once, when written
    times = [c.created_at for c in comments]
    assert times == sorted(times) and len(set(times)) == 11


def test_expected_texts_helper_sees_all_comments() -> None:
    texts = expected_comment_texts(SEED)
    assert len(texts) == 11
    assert texts[1] == COMMENT_2 and texts[10] == COMMENT_11


def test_importing_again_changes_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    assert seed(runner, SEED).exit_code == 0
    before = snapshot(app)
    result = seed(runner, SEED)
    assert result.exit_code == 0, result.output
    assert f'skipped {SEED}: already imported ("{TITLE}")' in result.output
    assert "--replace" in result.output
    assert snapshot(app) == before


def test_a_renamed_copy_is_skipped(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert seed(runner, SEED).exit_code == 0
    before = snapshot(app)
    copy = tmp_path / "renamed.txt"
    shutil.copy(SEED, copy)
    result = seed(runner, copy)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"skipped {copy}: already imported")
    assert snapshot(app) == before


def test_replace_reimports_with_the_same_uid(app: Flask, runner: FlaskCliRunner) -> None:
    assert seed(runner, SEED).exit_code == 0
    first, first_comments = imported(app)
    result = seed(runner, "--replace", SEED)
    assert result.exit_code == 0, result.output
    assert result.output == f'replaced {SEED}: "{TITLE}" with 11 comments\n'
    again, comments = imported(app)
    assert (again.id, again.uid, again.slug) == (first.id, first.uid, first.slug)
    assert [c.body for c in comments] == [c.body for c in first_comments]
    assert {c.id for c in comments}.isdisjoint({c.id for c in first_comments})
    count, uids, comment_ids = snapshot(app)
    assert (count, uids, len(comment_ids)) == (1, {first.uid}, 11)


def test_slug_clash_gets_a_suffix(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        db.session.add(
            Post(title="Another", slug=slugify(TITLE), body_source="x", body_html="<p>x</p>")
        )
        db.session.commit()
    assert seed(runner, SEED).exit_code == 0
    post, _ = imported(app)
    assert post.slug == slugify(TITLE) + "-2"


def test_store_failure_leaves_no_post(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(news: object) -> list[StoredComment]:
        raise StoreError("disk full")

    with app.app_context():
        monkeypatch.setattr(get_service().store, "add_many", broken)
    before = snapshot(app)
    result = seed(runner, SEED)
    assert result.exit_code != 0
    assert "disk full" in result.output and str(SEED) in result.output
    assert snapshot(app) == before


def test_replace_store_failure_keeps_the_old_comments(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seed(runner, SEED).exit_code == 0
    with app.app_context():
        store = get_service().store
        real_add_many = store.add_many
        calls = []

        def fails_once(news: list) -> list[StoredComment]:  # type: ignore[type-arg]
            calls.append(len(news))
            if len(calls) == 1:
                raise StoreError("disk full")
            return real_add_many(news)

        monkeypatch.setattr(store, "add_many", fails_once)
    result = seed(runner, "--replace", SEED)
    assert result.exit_code != 0 and "disk full" in result.output
    post, comments = imported(app)
    assert [c.body for c in comments] == expected_comment_texts(SEED)
    assert post.author == "Hillary Mann Leverett"


# -- other well-formed files ----------------------------------------------------------------


def test_small_fixture(app: Flask, runner: FlaskCliRunner) -> None:
    result = seed(runner, SMALL)
    assert result.exit_code == 0, result.output
    post, comments = imported(app, "A Small Archived Post")
    assert post.subtitle == "With a subtitle"
    assert post.signature is None and post.image_name is None and post.publication is None
    assert post.body_source == "First paragraph of the small post.\nSecond paragraph."
    assert [(c.number, c.author, c.body) for c in comments] == [
        (1, "Ada", "First comment,\n  indented a little more."),
        (2, "ada", "Second comment."),
    ]


def test_no_comments_section() -> None:
    article = parse_text("x.txt", "Title\n\nOnly paragraph.\n- Jane Doe\n")
    assert article.comments == []
    assert article.paragraphs == ["Only paragraph."]
    assert (article.signature, article.author) == ("- Jane Doe", "Jane Doe")


def test_numbered_body_paragraph_is_not_a_comment() -> None:
    article = parse_text("x.txt", "T\n\n1. The minister says:\n2. Nothing.\n")
    assert article.paragraphs == ["1. The minister says:", "2. Nothing."]
    assert article.comments == []


def test_one_comment_straight_quotes_and_blank_lines_inside() -> None:
    text = "\n".join(
        ["T", "", "Body.", "", '1 comment on "T"', "", "  1. A says:", "", "    a", "", "    b"]
    )
    article = parse_text("x.txt", text)
    assert [(c.number, c.author, c.body, c.line) for c in article.comments] == [
        (1, "A", "a\n\nb", 7)
    ]


@pytest.mark.parametrize(
    ("paragraph", "image"),
    [
        ("Photo.PNGThe text", "Photo.PNG"),
        ("a b.webp“Quoted” text", "a b.webp"),
        ("Mr.Gifford said so", None),
        ("See the chart.png below", None),
        ("Plain text.", None),
    ],
)
def test_image_detection(paragraph: str, image: str | None) -> None:
    article = parse_text("x.txt", f"Title\n\n{paragraph}\n")
    assert article.image_name == image
    if image:
        assert article.paragraphs[0] == paragraph[len(image) :]


def test_slugify() -> None:
    assert slugify("Ça va? Oui — très bien!") == "ca-va-oui-tres-bien"
    long = slugify("word " * 40)
    assert len(long) <= 80 and long.endswith("word") and not long.endswith("-")
    assert slugify("“…”") == "post"


# -- bad files ------------------------------------------------------------------------------

GOOD = [
    "Title",  # 1
    "",  # 2
    "Body.",  # 3
    "",  # 4
    "2 comments on “Title”",  # 5
    "",  # 6
    "  1. Ann says:",  # 7
    "",  # 8
    "    One.",  # 9
    "",  # 10
    "  2. Bob says:",  # 11
    "",  # 12
    "    Two.",  # 13
]


def variant(line: int, replacement: str | None) -> bytes:
    """GOOD with one line (1-based) replaced, or dropped when ``replacement`` is None."""
    lines = list(GOOD)
    if replacement is None:
        del lines[line - 1]
    else:
        lines[line - 1] = replacement
    return ("\n".join(lines) + "\n").encode()


BAD_FILES = {
    "empty": (b"", 1, "empty file"),
    "blank-only": (b"  \n\n", 1, "empty file"),
    "no-title": (b"   \nBody.\n", 1, "no title"),
    "no-says": (variant(11, "  2. Bob"), 11, "without 'says:'"),
    "out-of-order": (variant(11, "  3. Bob says:"), 11, "out of order: expected 2"),
    "count-mismatch": (variant(5, "3 comments on “Title”"), 5, "3 comments but 2 found"),
    "not-utf8": (variant(9, "    One.").replace(b"One", b"\xffne"), 9, "not UTF-8"),
    "no-text": (variant(9, ""), 7, "comment 1 has no text"),
    "no-author": (variant(7, "  1. says:"), 7, "comment 1 has no author"),
    "unindented-text": (variant(13, "Two."), 13, "expected a comment header"),
    "no-comments-header": (variant(5, ""), 7, "before a 'N comments on' header"),
    "no-header-no-says": (b"T\n\nBody.\n\n  1. Ann\n\n    One.\n", 5, "before a 'N comments"),
}


def test_good_variant_is_good(tmp_path: Path) -> None:
    path = tmp_path / "good.txt"
    path.write_bytes(variant(13, "    Two."))
    assert [c.body for c in parse_file(path).comments] == ["One.", "Two."]


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_rejected(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, name: str
) -> None:
    content, line, message = BAD_FILES[name]
    path = tmp_path / f"{name}.txt"
    path.write_bytes(content)
    assert seed(runner, SEED).exit_code == 0  # something to stay unchanged
    before = snapshot(app)
    result = seed(runner, path)
    assert result.exit_code != 0
    assert f"{path}:{line}: " in result.output
    assert message in result.output
    assert snapshot(app) == before


def test_seed_error_format() -> None:
    error = SeedError("seeds/x.txt", 7, "comment 1 has no text")
    assert str(error) == "seeds/x.txt:7: comment 1 has no text"
    assert (error.path, error.line) == ("seeds/x.txt", 7)


def test_a_bad_second_file_imports_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(variant(11, "  3. Bob says:"))
    before = snapshot(app)
    result = seed(runner, SEED, bad)
    assert result.exit_code != 0
    assert f"{bad}:11: " in result.output
    assert "imported" not in result.output
    assert snapshot(app) == before
    assert before[0] == 0


def test_every_bad_file_is_reported(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_bytes(b"")
    second.write_bytes(variant(5, "3 comments on “Title”"))
    result = seed(runner, first, SMALL, second)
    assert result.exit_code != 0
    assert f"{first}:1: empty file" in result.output
    assert f"{second}:5: " in result.output
    assert snapshot(app)[0] == 0


def test_several_files_in_one_run(app: Flask, runner: FlaskCliRunner) -> None:
    result = seed(runner, "--replace", SMALL, SEED, SMALL)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f'imported {SMALL}: "A Small Archived Post" with 2 comments',
        f'imported {SEED}: "{TITLE}" with 11 comments',
        f'replaced {SMALL}: "A Small Archived Post" with 2 comments',
    ]
    count, _, comment_ids = snapshot(app)
    assert (count, len(comment_ids)) == (2, 13)
