"""One form POST to a third-party service (siteverify, Akismet), and why it failed in words.

Plain ``urllib``: a form POST with a timeout does not justify a new dependency.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

#: Answers are short; a service that sends more is not read past this.
MAX_ANSWER = 65536


@dataclass(frozen=True)
class FormAnswer:
    status: int
    headers: Mapping[str, str]
    body: bytes


class ServiceUnavailable(Exception):
    """The service could not be asked or did not answer; ``str()`` says why, briefly."""


def post_form(
    url: str, form: Mapping[str, str], timeout: float, user_agent: str = "blogengine"
) -> FormAnswer:
    """POST ``form`` url-encoded; a 2xx answer, or ServiceUnavailable (timeouts, 5xx, refused)."""
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "User-Agent": user_agent,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_ANSWER)
            return FormAnswer(response.status, dict(response.headers.items()), body)
    except OSError as exc:  # URLError, HTTPError, timeouts, resets
        raise ServiceUnavailable(_failure(exc)) from exc


def _failure(exc: OSError) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    reason = getattr(exc, "reason", None)
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
        return "timed out"
    return type(reason or exc).__name__
