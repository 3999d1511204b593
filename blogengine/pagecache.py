"""Readers' pages that can be cached: ETag and Last-Modified, 304s, and a page cache.

An anonymous reader's page (no session: no flashed message, no held comment of theirs, not
the signed-in owner) is the same for everyone but for the comment form's per-reader parts,
which ``comments.reader_fields`` keeps out of the cached bytes. Each page has a stamp
(``freshness``): its version is the ETag and part of the cache key, so a change is seen on
the next read in every process, and an entry for an old version is simply never asked for
again (it ages out). A page for a reader with a session is rendered for them alone, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, current_app, make_response, request, session
from werkzeug.http import is_resource_modified

from .extensions import cache
from .freshness import Stamp, page_fingerprint

log = logging.getLogger(__name__)

#: What a view renders: (body, status, headers), as a Flask view may return it.
Rendered = tuple[str, int, dict[str, str]]
#: A reader's own copy of a page: browsers may keep it and ask again; shared caches may not
#: (the form in it holds this reader's token and submission key).
PRIVATE = "private, no-cache"
#: A page with nothing per reader (index, feeds): any cache may keep it, and asks again.
SHARED = "no-cache"
#: A page made for this reader's session (a notice, their held comment): kept nowhere.
NO_STORE = "private, no-store"
#: Where ``serve`` leaves (cache key, page with stand-ins) of an anonymous reader's kept page
#: whose headers are not kept yet: ``fastpage`` keeps them once the response is made.
KEPT_ENVIRON_KEY = "blogengine.kept_page"
#: A kept page: its text (with the form's stand-ins) and, once a response carried it, that
#: response's headers without Content-Length (``fastpage`` serves it with them).
Kept = tuple[str, list[tuple[str, str]] | None]


def is_anonymous() -> bool:
    """True when the request carries no session content (reading it sets no cookie).

    Everything that makes a page someone's own lives in the session: a notice, a held
    comment, the signed-in owner (Flask-Login), an author link's mark (``authors``). A
    Flask-Login "remember me" cookie signs the owner in again without a session: not anonymous.
    """
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return True  # most readers: not even the session's signature to check
    return not session


def serve(
    stamp: Stamp,
    render: Callable[[], Rendered],
    *,
    mimetype: str = "text/html",
    per_reader: Callable[[str], str] | None = None,
    cacheable: bool = True,
) -> Response:
    """The page for this request: 304, a cached copy, or ``render()`` (then kept).

    ``per_reader`` turns the cached page into this reader's (fills in the form's own parts);
    such a page's ETag is weak (the bytes differ per reader, the content does not) and it is
    private. Only a 200 is kept; an error page (a store that is down) is not. A page that is
    not ``cacheable`` is rendered for this request alone, as for a reader with a session.
    """
    if not cacheable or not is_anonymous():
        page, status, headers = render()
        if status == 200 and per_reader is not None:
            page = per_reader(page)
        response = make_response((page, status, headers))
        response.headers["Cache-Control"] = NO_STORE
        return response
    version = f"{page_fingerprint(current_app)}-{stamp.version}"
    weak = per_reader is not None
    if not is_resource_modified(request.environ, etag=version, last_modified=stamp.changed_at):
        return _validators(Response(status=304), version, stamp, weak=weak)
    key = page_key(version, request.full_path)
    kept = cached(key)
    if kept is None:
        rendered, status, headers = render()
        if status != 200:
            return make_response((rendered, status, headers))
        kept = (rendered, None)
        keep(key, kept)
    body = kept[0]
    if kept[1] is None:
        request.environ[KEPT_ENVIRON_KEY] = (key, body)
    if per_reader is not None:
        body = per_reader(body)
    return _validators(Response(body, mimetype=mimetype), version, stamp, weak=weak)


def _validators(response: Response, version: str, stamp: Stamp, *, weak: bool) -> Response:
    response.set_etag(version, weak=weak)
    response.last_modified = stamp.changed_at
    response.headers["Cache-Control"] = PRIVATE if weak else SHARED
    response.vary.add("Cookie")  # a reader with a session gets another page
    return response


def page_key(version: str, full_path: str) -> str:
    """The cache key of a page: its version (``page_fingerprint``-stamp) and its full path."""
    return f"page:{version}:{full_path}"


def cached(key: str) -> Kept | None:
    """The kept page, or None; a cache that is down is a miss, never a failed read."""
    try:
        found = cache.get(key)
    except Exception:
        log.warning("page cache unavailable (get %s)", key, exc_info=True)
        return None
    if isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], str):
        return found
    return None


def keep(key: str, kept: Kept) -> None:
    try:
        cache.set(key, kept)
    except Exception:
        log.warning("page cache unavailable (set %s)", key, exc_info=True)
