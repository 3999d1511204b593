"""Archive importers: parse an archived article into a post and its comments, import it once.

The archive format is a plain-text dump of an old blog page::

    Title
    Optional subtitle

    photo name.jpgFirst paragraph, the image file name glued to its text.
    Further paragraphs, one per line.
    — Signature

    11 comments on “Title

      1. Author says:

        Comment text, indented four spaces,
        hard line breaks kept.

Every file is parsed and validated in full (``parse_file``) before anything is written, so a
bad file never leaves a half-imported article behind. An article is identified by its title
(``source_key``), so importing it again, even from a renamed file, changes nothing. Text with
control characters (NUL, DEL, C1...) is refused: PostgreSQL cannot store NUL and feeds cannot
carry them; CR LF line endings are read as LF.

Writing cannot be one transaction (the comment store may be another database or a file), so
an import is made resumable instead. The post is committed *unfinished*, without its
``source_key``; the comments go to the store in one ``add_many``; only then is ``source_key``
set. A run killed in between (Ctrl-C twice, SIGKILL, a crash) leaves a post with the
article's deterministic ``uid`` and no ``source_key``: the next run, with or without
``--replace``, finishes it (its archive comments are put in again, or kept if already
complete) instead of skipping it. A failure that can be caught is undone at once.

Readers' comments carry a ``submission_key`` (the form requires one), archived ones never do.
``--replace`` empties the post in the store, so it refuses, changing nothing, while the post
has any comment from a reader.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as replace_fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .comments import get_service
from .comments.contracts import (
    CommentDraft,
    CommentStore,
    NewComment,
    Status,
    StoredComment,
    StoreError,
)
from .comments.copies import as_new_comment
from .extensions import db
from .models import Post, column_length
from .rendering import comment_html, first_control_character, paragraphs_html, plain_excerpt
from .safe_read import DEFAULT_MAX_BYTES, ReadRefused, read_regular_file
from .slugs import unique_slug

#: Column sizes, checked before writing (PostgreSQL rejects longer values with raw SQL in the
#: error, SQLite would silently keep them): the post's from models.Post, the comment table's.
TITLE_MAX = column_length(Post, "title")
SUBTITLE_MAX = column_length(Post, "subtitle")
AUTHOR_MAX = 200

_COMMENTS_HEADER = re.compile(r"^\s*(\d+)\s+comments?\s+on\s+[“\"](.*?)[”\"]?\s*$", re.IGNORECASE)
_COMMENT_HEADER = re.compile(r"^ {0,3}(\d+)\.(?:\s+(.*?))?\s+says:\s*$")
#: A line that starts like a comment header ("  3. ..."), with or without "says:".
_NUMBERED_LINE = re.compile(r"^ {0,3}\d+\.(\s|$)")
#: In the body, an indented "  3. ..." is a comment whose section header is missing (an
#: unindented "3. ..." is an ordinary numbered paragraph).
_INDENTED_NUMBER = re.compile(r"^ {1,3}\d+\.(\s|$)")
_INDENT = "    "
_DATE_PREFIX = re.compile(r"^(?:posted|published)(?:\s+on)?[:\s]+", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%B %d %Y", "%A, %B %d, %Y", "%A %d %B %Y")
#: A file name glued to the text: the next character is neither a space nor a lowercase letter
#: (so "Mr.Gifford" or "see chart.png below" are not images).
_IMAGE = re.compile(
    r"^(?P<name>\w[\w '()&+-]{0,250}?\.(?i:jpe?g|png|gif|webp))(?P<rest>[^\sa-z].*)$"
)
_SIGNATURE = re.compile(r"^(?:[—–]|--?)\s*(?P<name>[^\W\d_].{0,98})$")
_BYLINE = re.compile(
    r"\b(?:post|article|piece|essay|column|op-ed)\s+(?:written\s+)?(?:for|in)\s+"
    r"(?P<publication>[A-Z][^,.;:()]*?)\s+(?:written\s+)?by\s+(?P<author>[A-Z][^,.;:()]*)"
)


class SeedError(Exception):
    """A file that cannot be imported, with the line to look at: ``PATH:LINE: message``.

    ``line`` None is about the whole file (``PATH: not a regular file``).
    """

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}" if line is not None else f"{path}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ParsedComment:
    """One archived comment; ``line`` is its header's line, for error messages."""

    number: int
    author: str
    body: str
    line: int


@dataclass(frozen=True)
class ParsedArticle:
    """Everything one archive file says, validated, before anything is written."""

    path: str
    title: str
    paragraphs: list[str]
    subtitle: str | None = None
    author: str | None = None
    publication: str | None = None
    image_name: str | None = None
    image_alt: str | None = None
    signature: str | None = None
    #: The date the archive gives (a line of its own after the title), midnight UTC.
    published: datetime | None = None
    comments: list[ParsedComment] = field(default_factory=list)

    @property
    def source_key(self) -> str:
        """Derived from the title, not the file name, so a renamed copy is the same article."""
        normalised = " ".join(unicodedata.normalize("NFKC", self.title).casefold().split())
        return "archive:" + hashlib.sha256(normalised.encode()).hexdigest()[:16]

    @property
    def uid(self) -> str:
        """Deterministic, so --replace keeps the id comment stores key comments by."""
        return uuid.uuid5(uuid.NAMESPACE_URL, "blogengine:" + self.source_key).hex


# -- parsing ------------------------------------------------------------------------------


def parse_file(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, follow_symlinks: bool = False
) -> ParsedArticle:
    """Read and parse one archive file; SeedError names the file and line of any problem.

    Only a regular file is read, at most ``max_bytes`` of it (safe_read.py says why).
    """
    name = str(path)
    try:
        data = read_regular_file(path, max_bytes=max_bytes, follow_symlinks=follow_symlinks)
    except ReadRefused as exc:
        raise SeedError(name, None, exc.reason) from exc
    return parse_text(name, decode(name, data))


def decode(path: str, data: bytes) -> str:
    """UTF-8 only (a BOM is allowed); a bad byte is reported on its own line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SeedError(path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x})") from exc
    return text


def parse_text(path: str, text: str) -> ParsedArticle:
    """Parse a whole archive text; lines are numbered from 1 as an editor shows them.

    CR LF line endings become LF first (an archive saved on Windows is the same archive).
    """
    text = text.replace("\r\n", "\n")
    _check_characters(path, text)
    if not text.strip():
        raise SeedError(path, 1, "empty file")
    lines = text.split("\n")
    title = lines[0].strip()
    if not title:
        raise SeedError(path, 1, "no title: the first line is blank")
    _check_length(path, 1, "title", title, TITLE_MAX)
    subtitle = lines[1].strip() if len(lines) > 1 else ""
    _check_length(path, 2, "subtitle", subtitle, SUBTITLE_MAX)
    body_start = 2 if subtitle and not _COMMENTS_HEADER.match(lines[1]) else 1
    header = _find_comments_header(lines, body_start)
    body_end = header if header is not None else len(lines)
    body = _parse_body(path, lines, body_start, body_end)
    comments = _parse_comments(path, lines, header) if header is not None else []
    published, kept_subtitle, body = _take_date(subtitle if body_start == 2 else None, body)
    article = _article(path, title, kept_subtitle, body, comments)
    return replace_fields(article, published=published)


def archive_date(line: str) -> datetime | None:
    """A line that is only a date ("8 December 2008", "December 8, 2008", "2008-12-08",
    optionally after "Posted on"), as midnight UTC; None for any other line."""
    text = _DATE_PREFIX.sub("", line.strip()).strip().rstrip(".")
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _take_date(
    subtitle: str | None, body: list[tuple[int, str]]
) -> tuple[datetime | None, str | None, list[tuple[int, str]]]:
    """The archive's date when the line after the title (or the body's first) is one."""
    if subtitle is not None and (when := archive_date(subtitle)):
        return when, None, body
    if len(body) > 1 and (when := archive_date(body[0][1])):
        return when, subtitle, body[1:]
    return None, subtitle, body


def _check_characters(path: str, text: str) -> None:
    """Refuse the first forbidden character (see ``CONTROL_CHARACTERS``), naming its line."""
    found = first_control_character(text)
    if found is not None:
        raise SeedError(path, found[0], f"{found[1]} in the text")


def _find_comments_header(lines: list[str], start: int) -> int | None:
    """Index of the "N comments on “Title" line, or None when the archive has no comments."""
    for index in range(start, len(lines)):
        if _COMMENTS_HEADER.match(lines[index]):
            return index
    return None


def _parse_body(path: str, lines: list[str], start: int, end: int) -> list[tuple[int, str]]:
    """Non-blank lines as (line number, paragraph); a comment here means a missing header."""
    body = []
    for index in range(start, end):
        line = lines[index]
        if _INDENTED_NUMBER.match(line):
            raise SeedError(path, index + 1, "comment found before a 'N comments on' header")
        if line.strip():
            body.append((index + 1, line.strip()))
    if not body:
        raise SeedError(path, start + 1, "no body: the article has no paragraphs")
    return body


def _article(
    path: str,
    title: str,
    subtitle: str | None,
    body: list[tuple[int, str]],
    comments: list[ParsedComment],
) -> ParsedArticle:
    """Split the body into image, paragraphs and signature, and find the byline."""
    paragraphs = [text for _, text in body]
    signature = None
    match = _SIGNATURE.match(paragraphs[-1]) if len(paragraphs) > 1 else None
    if match:  # the pattern keeps it short, well within the column
        signature = paragraphs.pop()
    image_name, paragraphs[0] = _split_image(paragraphs[0])
    byline = _BYLINE.search(paragraphs[0])
    author = match.group("name").strip() if match else None
    if author is None and byline:
        author = byline.group("author").strip()
    return ParsedArticle(
        path=path,
        title=title,
        subtitle=subtitle,
        paragraphs=paragraphs,
        author=author[:AUTHOR_MAX] if author else None,
        publication=byline.group("publication").strip()[:AUTHOR_MAX] if byline else None,
        image_name=image_name,
        image_alt=image_name.rsplit(".", 1)[0].strip() if image_name else None,
        signature=signature,
        comments=comments,
    )


def _split_image(paragraph: str) -> tuple[str | None, str]:
    """A leading image file name glued to the text ("a b.jpgThis is") and the text after it."""
    match = _IMAGE.match(paragraph)
    if not match or not match.group("rest").strip():
        return None, paragraph
    return match.group("name"), match.group("rest").strip()


def _parse_comments(path: str, lines: list[str], header: int) -> list[ParsedComment]:
    """The comments after the header, numbered 1, 2, 3… and as many as the header says."""
    match = _COMMENTS_HEADER.match(lines[header])
    assert match is not None, "header index comes from _find_comments_header"
    expected = int(match.group(1))
    comments: list[ParsedComment] = []
    current: tuple[int, int, str] | None = None  # (line number, number, author)
    text: list[str] = []
    for index in range(header + 1, len(lines)):
        line = lines[index]
        if not line.strip() or line.startswith(_INDENT):
            if current is None and line.strip():
                raise SeedError(path, index + 1, "comment text before any comment header")
            text.append(line[len(_INDENT) :] if line.startswith(_INDENT) else "")
            continue
        next_number = current[1] + 1 if current is not None else 1
        header_line = _comment_header(path, index + 1, line, next_number)
        if current is not None:
            comments.append(_comment(path, current, text))
        current, text = header_line, []
    if current is not None:
        comments.append(_comment(path, current, text))
    if len(comments) != expected:
        raise SeedError(
            path, header + 1, f"header says {expected} comments but {len(comments)} found"
        )
    return comments


def _comment_header(path: str, line_no: int, line: str, expected: int) -> tuple[int, int, str]:
    """Check one "  N. Author says:" line: the shape, the author and the number's order."""
    match = _COMMENT_HEADER.match(line)
    if match is None:
        if _NUMBERED_LINE.match(line):
            raise SeedError(path, line_no, "comment header without 'says:'")
        raise SeedError(
            path, line_no, "expected a comment header ('  N. Author says:') or indented text"
        )
    number, author = int(match.group(1)), (match.group(2) or "").strip()
    if number != expected:
        raise SeedError(path, line_no, f"comment number {number} out of order: expected {expected}")
    if not author:
        raise SeedError(path, line_no, f"comment {number} has no author")
    _check_length(path, line_no, "comment author", author, AUTHOR_MAX)
    return line_no, number, author


def _comment(path: str, header: tuple[int, int, str], text: list[str]) -> ParsedComment:
    """Blank lines around the text separate comments; blank lines inside it are kept."""
    line_no, number, author = header
    while text and not text[-1].strip():
        text.pop()
    while text and not text[0].strip():
        text.pop(0)
    if not text:
        raise SeedError(path, line_no, f"comment {number} has no text")
    return ParsedComment(number=number, author=author, body="\n".join(text), line=line_no)


def _check_length(path: str, line_no: int, what: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise SeedError(path, line_no, f"{what} is {len(value)} characters, at most {limit}")


# -- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What happened to one file, for the command's one line per file."""

    article: ParsedArticle
    action: str  # "imported", "replaced", "finished" (an interrupted import) or "skipped"

    def describe(self) -> str:
        title = self.article.title
        if self.action == "skipped":
            return (
                f'skipped {self.article.path}: already imported ("{title}"), '
                "use --replace to re-import"
            )
        count = len(self.article.comments)
        noun = "comment" if count == 1 else "comments"
        line = f'{self.action} {self.article.path}: "{title}" with {count} {noun}'
        if self.action == "finished":
            return line + " (an earlier import of it was interrupted)"
        return line


def seed_files(
    paths: Sequence[str | Path],
    store: CommentStore,
    *,
    replace: bool = False,
    default_date: datetime | None = None,
    **read: Any,
) -> Iterator[ImportResult]:
    """Import archive files, each at most once: what ``blogengine seed`` does.

    Every file is parsed and checked before anything is written: any error raises
    SeedErrors, or RefusedErrors when an import would delete readers' comments, and nothing
    is imported. ``read``: parse_file's ``max_bytes`` and ``follow_symlinks``.
    """
    articles, errors = [], []
    for path in paths:
        try:
            articles.append(_dated(parse_file(path, **read), default_date))
        except SeedError as exc:
            errors.append(exc)
    if errors:
        raise SeedErrors(errors)
    refusals = []
    for article in articles:
        try:
            check_replaceable(article, store, replace=replace)
        except RefusedError as exc:
            refusals.append(exc)
    if refusals:
        raise RefusedErrors(refusals)
    for article in articles:
        yield import_article(article, store, replace=replace)


def _dated(article: ParsedArticle, default_date: datetime | None) -> ParsedArticle:
    """The article with ``default_date`` (UTC) if it gives no date of its own."""
    if default_date is None or article.published:
        return article
    return replace_fields(article, published=default_date.replace(tzinfo=UTC))


class SeedErrors(Exception):
    """Every file that failed to parse, so one run reports them all."""

    def __init__(self, errors: Iterable[SeedError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class RefusedError(Exception):
    """An import that would delete readers' comments: ``PATH: message``; nothing was changed."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class RefusedErrors(Exception):
    """Every file whose import would delete readers' comments; nothing was changed."""

    def __init__(self, errors: Iterable[RefusedError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def import_article(
    article: ParsedArticle, store: CommentStore, *, replace: bool = False
) -> ImportResult:
    """Write one parsed article: the post, then its comments through the comment store.

    See the module docstring: the post is committed unfinished (no ``source_key``), the
    comments are added, then the post is marked finished. A caught failure is undone (for
    --replace, the old post and comments are put back) and re-raised; an uncaught one leaves
    an unfinished post that the next run finishes. RefusedError: readers have commented.
    """
    try:
        post, old = _existing(article, store)
        if post is None:
            _insert_new(article, store)
            return ImportResult(article, "imported")
        if post.source_key is None:
            _finish(post, article, store, old)
            return ImportResult(article, "finished")
        if not replace:
            return ImportResult(article, "skipped")
        _replace(post, article, store, old)
        return ImportResult(article, "replaced")
    finally:
        # The store writes on its own connection: a read transaction left open here would
        # keep an old SQLite snapshot, and the next article's write would be "locked".
        db.session.close()


def check_replaceable(article: ParsedArticle, store: CommentStore, *, replace: bool) -> None:
    """Raise RefusedError if importing ``article`` would delete readers' comments; write nothing.

    The command checks every article this way before importing any, so a refusal means the
    whole run changed nothing.
    """
    try:
        post, old = _existing(article, store)
        if post is None or (post.source_key is not None and not replace):
            return
        if post.source_key is None and _complete(article, old):
            return
        _refuse_if_readers(article, old, unfinished=post.source_key is None)
    finally:
        db.session.close()


def _existing(
    article: ParsedArticle, store: CommentStore
) -> tuple[Post | None, list[StoredComment]]:
    """The article's post, finished (by source_key) or unfinished (by uid), and its comments."""
    post = db.session.scalar(select(Post).where(Post.source_key == article.source_key))
    if post is None:
        post = db.session.scalar(
            select(Post).where(Post.uid == article.uid, Post.source_key.is_(None))
        )
    if post is None:
        return None, []
    return post, store.list_for_post(post.uid, status=None)


def _complete(article: ParsedArticle, stored: list[StoredComment]) -> bool:
    """True when the store already holds exactly the article's comments (add_many had run)."""
    archived = [(c.number, c.author, c.body) for c in stored if not c.submission_key]
    return archived == [(c.number, c.author, c.body) for c in article.comments]


def _refuse_if_readers(
    article: ParsedArticle, stored: list[StoredComment], *, unfinished: bool
) -> None:
    """Readers' comments (with a submission key) must never be deleted by a re-import."""
    numbers = [
        str(c.number) if c.number is not None else "held" for c in stored if c.submission_key
    ]
    if not numbers:
        return
    many = "s" if len(numbers) > 1 else ""
    which = f"{len(numbers)} comment{many} from readers (number{many} {', '.join(numbers)})"
    if unfinished:
        situation = f"was left half-imported by an interrupted run and has {which}"
        consequence = "finishing the import would delete them"
    else:
        situation, consequence = f"has {which}", "--replace would delete them"
    message = f'"{article.title}" {situation}; {consequence}. Nothing was changed.'
    raise RefusedError(article.path, message)


def _insert_new(article: ParsedArticle, store: CommentStore) -> None:
    """A new post, committed unfinished, then its comments, then marked finished."""
    uid = article.uid
    post = Post(uid=uid, source_key=None, slug=unique_slug(article.title, _slug_taken))
    _fill(post, article)
    _commit(article, lambda: db.session.add(post))
    stored = False
    try:
        store.add_many(new_comments(article, uid))
        stored = True
        _commit(article, lambda: setattr(post, "source_key", article.source_key))
    except BaseException as exc:  # even Ctrl-C, or a plugin's off-contract error: undo
        # A StoreError from add_many kept nothing (the contract); anything else may have.
        kept_nothing = not stored and isinstance(exc, StoreError)
        undone = _undo_insert(post, uid, store, delete_comments=not kept_nothing)
        if not isinstance(exc, Exception):
            raise
        outcome = "nothing imported" if undone else _UNFINISHED
        raise SeedError(article.path, 1, f"{_reason(exc)}, {outcome}") from exc


_UNFINISHED = "the post is left unfinished: run `blogengine seed` again to finish it"


def _reason(exc: BaseException) -> str:
    """What failed, in words: a database error (already a SeedError) or the store's own."""
    return exc.message if isinstance(exc, SeedError) else f"comment store failed: {exc}"


def _undo_insert(post: Post, uid: str, store: CommentStore, *, delete_comments: bool) -> bool:
    """Take the new post (and any comments) back out; False leaves it for the next run."""
    db.session.rollback()
    try:
        if delete_comments:
            store.delete_for_post(uid)
        db.session.delete(post)
        db.session.commit()
    except Exception:  # even a plugin's off-contract error: the next run finishes the import
        db.session.rollback()
        return False
    return True


def _finish(
    post: Post, article: ParsedArticle, store: CommentStore, old: list[StoredComment]
) -> None:
    """Complete an import an earlier run left unfinished; a failure leaves it unfinished."""
    uid = post.uid
    complete = _complete(article, old)
    if not complete:
        _refuse_if_readers(article, old, unfinished=True)
    _fill(post, article)
    _commit(article, lambda: None)
    try:
        if not complete:
            store.delete_for_post(uid)  # archive comments only: checked just above
            store.add_many(new_comments(article, uid))
        _commit(article, lambda: setattr(post, "source_key", article.source_key))
    except Exception as exc:  # nothing to undo: it was unfinished before this run too
        raise SeedError(article.path, 1, f"{_reason(exc)}, {_UNFINISHED}") from exc


def _replace(
    post: Post, article: ParsedArticle, store: CommentStore, old: list[StoredComment]
) -> None:
    """Same uid and slug; on a failure the old post and comments are put back."""
    _refuse_if_readers(article, old, unfinished=False)
    uid = post.uid  # read now: after the commit, reading it would reopen a transaction
    old_fields = {name: getattr(post, name) for name in _FIELDS}
    _fill(post, article)
    _commit(article, lambda: setattr(post, "source_key", None))  # unfinished from here
    try:
        store.delete_for_post(uid)
        store.add_many(new_comments(article, uid))
        _commit(article, lambda: setattr(post, "source_key", article.source_key))
    except BaseException as exc:  # as in _insert_new
        restored = _restore(post, uid, old_fields, old, store, article)
        if not isinstance(exc, Exception):
            raise
        outcome = "nothing replaced" if restored else _UNFINISHED
        raise SeedError(article.path, 1, f"{_reason(exc)}, {outcome}") from exc


def _restore(
    post: Post,
    uid: str,
    fields: dict[str, object],
    comments: list[StoredComment],
    store: CommentStore,
    article: ParsedArticle,
) -> bool:
    """Put the old comments back, then the old fields and the finished mark.

    Best effort: the store failed once, it may fail again. Then the post stays unfinished
    (with the new fields) and the next run finishes the import; the caller reports the first
    failure.
    """
    db.session.rollback()
    try:
        store.delete_for_post(uid)
        store.add_many([as_new_comment(c, c.post_id, c.parent_id) for c in comments])
        for name, value in fields.items():
            setattr(post, name, value)
        post.source_key = article.source_key
        db.session.commit()
    except Exception:  # even a plugin's off-contract error: the next run finishes the import
        db.session.rollback()
        return False
    return True


_FIELDS = (
    "title",
    "subtitle",
    "author",
    "publication",
    "image_name",
    "image_alt",
    "body_format",
    "body_source",
    "body_html",
    "excerpt",
    "signature",
    "published_at",
)


def _fill(post: Post, article: ParsedArticle) -> None:
    """Set every field the archive decides (not uid, slug or source_key, which are stable)."""
    body_html = paragraphs_html(article.paragraphs)
    post.title = article.title
    post.subtitle = article.subtitle
    post.author = article.author
    post.publication = article.publication
    post.image_name = article.image_name
    post.image_alt = article.image_alt
    post.body_format = "text"
    post.body_source = "\n".join(article.paragraphs)
    post.body_html = body_html
    post.excerpt = plain_excerpt(body_html)
    post.signature = article.signature
    post.published_at = article.published


def _commit(article: ParsedArticle, change: Callable[[], None]) -> None:
    """Apply ``change`` and commit, turning a database failure into a SeedError."""
    try:
        change()
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise SeedError(article.path, 1, f"database error: {exc}") from exc


def new_comments(article: ParsedArticle, post_uid: str) -> list[NewComment]:
    """Approved comments with the archive's numbers and no time: the archive keeps none, and
    a made-up one would be shown to readers as if true (the numbers keep the order)."""
    return [
        NewComment(
            draft=CommentDraft(post_id=post_uid, author=c.author, body=c.body),
            status=Status.APPROVED,
            body_html=comment_html(c.body),
            created_at=None,
            number=c.number,
        )
        for c in article.comments
    ]


def _slug_taken(slug: str) -> bool:
    """Slugs are the posts' URLs, so no two posts share one."""
    return db.session.scalar(select(Post.id).where(Post.slug == slug)) is not None


# -- the command ----------------------------------------------------------------------------


@click.command("seed")
@click.argument("paths", nargs=-1, required=True)
@click.option("--replace", is_flag=True, help="Re-import articles already imported.")
@click.option(
    "--date",
    "default_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="YYYY-MM-DD: the publication date of archives that give none.",
)
@click.option(
    "--follow-symlinks", is_flag=True, help="Read what a symbolic link points to (refused else)."
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    help="Largest file read (default: SEED_MAX_BYTES in the config).",
)
@with_appcontext
def seed_command(
    paths: tuple[str, ...],
    replace: bool,
    default_date: datetime | None,
    follow_symlinks: bool,
    max_bytes: int | None,
) -> None:
    """Import archived articles (post and comments); each file at most once.

    Only regular files are read: a symlink, a device or a FIFO is refused.
    """
    limit = max_bytes or int(current_app.config["SEED_MAX_BYTES"])
    try:
        for done in seed_files(
            paths,
            get_service().store,
            replace=replace,
            default_date=default_date,
            max_bytes=limit,
            follow_symlinks=follow_symlinks,
        ):
            click.echo(done.describe())
    except (SeedError, SeedErrors, RefusedError, RefusedErrors) as exc:
        raise click.ClickException(str(exc)) from exc
