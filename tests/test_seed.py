"""The archive seed loader: the real article imports exactly, bad files import nothing."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from support import CommentPoster

from blogengine import seed as seed_module
from blogengine.comments import get_service
from blogengine.comments.contracts import (
    CommentDraft,
    NewComment,
    Status,
    StoredComment,
    StoreError,
)
from blogengine.extensions import db
from blogengine.models import Post
from blogengine.rendering import comment_html
from blogengine.seed import SeedError, parse_file, parse_text
from blogengine.slugs import SLUG_MAX, slugify, unique_slug
from blogengine.timeutil import utcnow

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


def reader_comment(app: Flask, post_uid: str, body: str) -> StoredComment:
    """A comment as the site's form stores it: with a submission key (archived ones have none)."""
    with app.app_context():
        return get_service().store.add(
            NewComment(
                draft=CommentDraft(
                    post_id=post_uid, author="Reader", body=body, submission_key=uuid.uuid4().hex
                ),
                status=Status.APPROVED,
                body_html=comment_html(body),
                created_at=utcnow(),
            )
        )


def state(app: Flask, title: str = TITLE) -> tuple[str | None, list[tuple[int, str]]]:
    """The post's source_key (None: an unfinished import) and its comments' (number, body)."""
    post, comments = imported(app, title)
    return post.source_key, [(c.number, c.body) for c in comments]


def interrupt(
    monkeypatch: pytest.MonkeyPatch, app: Flask, *, after: bool = False, undo: str | None = None
) -> list[int]:
    """Ctrl-C in the store's add_many (before or ``after`` it stores), once; ``undo`` names
    the seed module's undo function to interrupt too (a second Ctrl-C, or a SIGKILL: the
    undo never runs). Returns the list add_many appends each call's size to."""
    calls: list[int] = []
    with app.app_context():
        store = get_service().store
        real_add_many = store.add_many

        def add_many(news: list[NewComment]) -> list[StoredComment]:
            calls.append(len(news))
            if len(calls) > 1:
                return real_add_many(news)
            if after:
                real_add_many(news)
            raise KeyboardInterrupt

        monkeypatch.setattr(store, "add_many", add_many)
    if undo is not None:

        def killed(*args: object, **kwargs: object) -> bool:
            raise KeyboardInterrupt

        monkeypatch.setattr(seed_module, undo, killed)
    return calls


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
    # The archive keeps no times: none is made up (the numbers keep the order).
    assert [c.created_at for c in comments] == [None] * 11


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


# -- readers' comments and --replace --------------------------------------------------------


def test_replace_refuses_when_readers_have_commented(
    app: Flask, runner: FlaskCliRunner, client: object
) -> None:
    assert seed(runner, SEED).exit_code == 0
    post, _ = imported(app)
    poster = CommentPoster(client)  # type: ignore[arg-type]
    assert poster.post(post.slug, body="A reader's first word.").status_code == 303
    assert poster.post(post.slug, body="And a second one.").status_code == 303
    _, comments = imported(app)
    assert [c.number for c in comments if c.submission_key] == [12, 13]
    before = snapshot(app)
    result = seed(runner, "--replace", SMALL, SEED)  # SMALL is new: it is not imported either
    assert result.exit_code == 1
    assert result.output == (
        f'Error: {SEED}: "{TITLE}" has 2 comments from readers (numbers 12, 13); '
        "--replace would delete them. Nothing was changed.\n"
    )
    assert snapshot(app) == before


def test_replace_refusal_counts_one_reader_and_every_status(
    app: Flask, runner: FlaskCliRunner
) -> None:
    assert seed(runner, SEED).exit_code == 0
    post, _ = imported(app)
    held = reader_comment(app, post.uid, "Held for moderation.")
    with app.app_context():
        get_service().store.set_status(held.id, Status.SPAM)
    before = snapshot(app)
    result = seed(runner, "--replace", SEED)
    assert result.exit_code == 1
    assert "has 1 comment from readers (number 12); --replace would delete" in result.output
    assert snapshot(app) == before


def test_replace_without_readers_still_replaces(app: Flask, runner: FlaskCliRunner) -> None:
    assert seed(runner, SEED).exit_code == 0
    post, comments = imported(app)
    with app.app_context():  # the owner hid an archived comment: it is not a reader's
        get_service().store.set_status(comments[0].id, Status.DELETED)
    result = seed(runner, "--replace", SEED)
    assert result.exit_code == 0, result.output
    assert state(app) == (post.source_key, [(c.number, c.body) for c in comments])


# -- interrupted imports --------------------------------------------------------------------


def test_ctrl_c_during_an_import_is_undone(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = interrupt(monkeypatch, app)
    before = snapshot(app)
    result = seed(runner, SEED)
    assert result.exit_code == 1 and "Aborted!" in result.output
    assert snapshot(app) == before
    result = seed(runner, SEED)
    assert result.output == f'imported {SEED}: "{TITLE}" with 11 comments\n'
    assert calls == [11, 11]
    key, comments = state(app)
    assert key is not None and [b for _, b in comments] == expected_comment_texts(SEED)


@pytest.mark.parametrize("after", [False, True], ids=["before-add-many", "after-add-many"])
def test_a_killed_import_is_finished_by_the_next_run(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, after: bool
) -> None:
    interrupt(monkeypatch, app, after=after, undo="_undo_insert")
    assert seed(runner, SEED).exit_code == 1
    key, comments = state(app)
    assert key is None  # unfinished, not "already imported"
    assert len(comments) == (11 if after else 0)
    result = seed(runner, SEED)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f'finished {SEED}: "{TITLE}" with 11 comments (an earlier import of it was interrupted)\n'
    )
    key, comments = state(app)
    assert key is not None
    assert [(n, b) for n, b in comments] == list(enumerate(expected_comment_texts(SEED), 1))
    assert seed(runner, SEED).output.startswith(f"skipped {SEED}: already imported")
    assert snapshot(app)[0] == 1


def test_finishing_keeps_readers_comments_when_the_archive_is_complete(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupt(monkeypatch, app, after=True, undo="_undo_insert")
    assert seed(runner, SEED).exit_code == 1
    post, _ = imported(app)
    reader = reader_comment(app, post.uid, "Commented while it was unfinished.")
    result = seed(runner, SEED)
    assert result.exit_code == 0, result.output
    key, comments = state(app)
    assert key is not None
    assert comments[-1] == (12, reader.body) and len(comments) == 12


def test_finishing_refuses_to_delete_readers_comments(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupt(monkeypatch, app, undo="_undo_insert")
    assert seed(runner, SEED).exit_code == 1
    post, _ = imported(app)
    reader_comment(app, post.uid, "Commented while it was unfinished.")
    before = snapshot(app)
    result = seed(runner, SEED)
    assert result.exit_code == 1
    assert result.output == (
        f'Error: {SEED}: "{TITLE}" was left half-imported by an interrupted run and has 1 comment'
        " from readers (number 1); finishing the import would delete them. Nothing was changed.\n"
    )
    assert snapshot(app) == before


def test_a_failed_undo_leaves_the_import_for_the_next_run(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        store = get_service().store
        real = {name: getattr(store, name) for name in ("add_many", "delete_for_post")}

        def off_contract(news: list[NewComment]) -> list[StoredComment]:
            raise RuntimeError("plugin bug")  # not a StoreError: the store may have kept some

        def broken(post_id: str) -> int:
            raise StoreError("disk full")

        monkeypatch.setattr(store, "add_many", off_contract)
        monkeypatch.setattr(store, "delete_for_post", broken)
    result = seed(runner, SEED)
    assert result.exit_code == 1
    assert "comment store failed: plugin bug, the post is left unfinished" in result.output
    assert "run `blogengine seed` again to finish it" in result.output
    assert state(app) == (None, [])
    for name, method in real.items():
        monkeypatch.setattr(store, name, method)
    assert seed(runner, SEED).output.startswith(f"finished {SEED}")
    assert len(state(app)[1]) == 11


def test_ctrl_c_during_replace_puts_the_old_post_back(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seed(runner, SEED).exit_code == 0
    before_state = state(app)
    calls = interrupt(monkeypatch, app)
    result = seed(runner, "--replace", SEED)
    assert result.exit_code == 1 and "Aborted!" in result.output
    assert calls == [11, 11]  # the new comments, then the old ones put back
    assert state(app) == before_state
    assert seed(runner, SEED).output.startswith(f"skipped {SEED}")


def test_replace_killed_between_delete_and_add_many_is_finished_by_the_next_run(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seed(runner, SEED).exit_code == 0
    key, expected = state(app)
    interrupt(monkeypatch, app, undo="_restore")
    assert seed(runner, "--replace", SEED).exit_code == 1
    assert state(app) == (None, [])  # the old comments deleted, the new ones never added
    result = seed(runner, SEED)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f'finished {SEED}: "{TITLE}" with 11 comments')
    assert state(app) == (key, expected)


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


def test_slugs_are_shared_with_posts_add(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert seed(runner, SEED).exit_code == 0
    same_title = tmp_path / "same.md"
    same_title.write_text(f"# {TITLE}\n\nText.\n", encoding="utf-8")
    long_title = tmp_path / "long.md"
    long_title.write_text("# " + "Très long " * 30 + "\n\nText.\n", encoding="utf-8")
    for source in (same_title, long_title):
        result = runner.invoke(args=["posts", "add", str(source)])
        assert result.exit_code == 0, result.output
    with app.app_context():
        slugs = set(db.session.scalars(select(Post.slug)))
    base = slugify(TITLE)
    assert slugs == {base, base + "-2", slugify("Très long " * 30)}
    assert all(len(slug) <= SLUG_MAX for slug in slugs)


def test_unique_slug_stays_within_the_limit() -> None:
    title = "word " * 40
    taken = {slugify(title)}
    assert len(slugify(title)) > SLUG_MAX - 2  # so the suffix needs a shorter base
    for suffix in ("-2", "-3"):
        slug = unique_slug(title, taken.__contains__)
        assert slug.endswith("word" + suffix) and len(slug) <= SLUG_MAX, slug
        taken.add(slug)
    assert unique_slug("?!", {"post"}.__contains__) == "post-2"
    assert unique_slug("Fresh", set().__contains__) == "fresh"


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
    "nul": (variant(9, "    O\x00ne."), 9, "control character U+0000 in the text"),
    "nul-in-title": (variant(1, "Ti\x00tle"), 1, "control character U+0000 in the text"),
    "crlf-then-nul": (variant(13, "    T\x00wo.").replace(b"\n", b"\r\n"), 13, "U+0000"),
}

CONTROL = {
    "\x00": "control character U+0000",
    "\x0b": "control character U+000B",
    "\x1b": "control character U+001B",
    "\r": "control character U+000D",  # a lone CR; CR LF is a line ending
    "\x7f": "control character U+007F",
    "\x85": "control character U+0085",
    "\x9f": "control character U+009F",
    "\ufffe": "noncharacter U+FFFE",
    "\uffff": "noncharacter U+FFFF",
}


@pytest.mark.parametrize("char", sorted(CONTROL))
def test_control_characters_are_refused(tmp_path: Path, char: str) -> None:
    path = tmp_path / "control.txt"
    path.write_bytes(variant(11, f"  2. B{char}ob says:"))
    with pytest.raises(SeedError) as caught:
        parse_file(path)
    assert str(caught.value) == f"{path}:11: {CONTROL[char]} in the text"


def test_tabs_and_other_unicode_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "tab.txt"
    path.write_bytes(variant(9, "    O\tne \u00a0\u200b\U0001f600 \u00e9."))
    assert parse_file(path).comments[0].body == "O\tne \u00a0\u200b\U0001f600 \u00e9."


def test_crlf_line_endings_import_the_same_text(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(SEED.read_bytes().replace(b"\n", b"\r\n"))
    assert b"\r\n" in crlf.read_bytes()
    result = seed(runner, crlf)
    assert result.exit_code == 0, result.output
    post, comments = imported(app)
    assert [c.body for c in comments] == expected_comment_texts(SEED)
    assert "\r" not in post.body_source + post.title + (post.signature or "")
    assert post.signature == "— Hillary Mann Leverett"


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
