"""Reading a desk list's tab and page number from the query string, the same on every list."""

from __future__ import annotations

from collections.abc import Collection

from flask import abort, request

#: Further than any real list goes; a larger number is a made-up URL.
LAST_PAGE = 100_000


def tab_and_page(arg: str, tabs: Collection[str], default: str) -> tuple[str, int]:
    """The chosen tab (query ``arg``) and page; 404 for a tab or page that cannot exist."""
    tab = request.args.get(arg, default)
    page = request.args.get("page", 1, type=int) or 1
    if tab not in tabs or not 1 <= page <= LAST_PAGE:
        abort(404)
    return tab, page
