"""Absolute links for emails and feeds, which are read far from the request that made them."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_request_context, url_for

log = logging.getLogger(__name__)


def external_url(endpoint: str, **values: Any) -> str:
    """The full URL of ``endpoint``: SITE_URL when set, else the request's or SERVER_NAME's host.

    With none of them (a CLI command on a site without SITE_URL) the link starts with
    http://localhost and a warning says to set SITE_URL.
    """
    config = current_app.config
    site_url = (config.get("SITE_URL") or "").rstrip("/")
    if site_url or not (has_request_context() or config.get("SERVER_NAME")):
        anchor = values.pop("_anchor", None)
        adapter = current_app.url_map.bind("localhost", script_name="/")
        path = adapter.build(endpoint, values)
        if anchor:
            path += f"#{anchor}"
        if not site_url:
            log.warning("SITE_URL is not set: links in emails start with http://localhost")
            site_url = "http://localhost"
        return site_url + path
    return url_for(endpoint, _external=True, **values)
