"""A request body must arrive within REQUEST_BODY_TIMEOUT seconds (gunicorn only).

gunicorn's sync workers bounded a slow body by killing the worker after its 30 s timeout,
at the price of one blocked worker per slow client. Its gthread workers (gunicorn.conf.py)
never time a request out, so this bound is kept here: a request with a body has its socket's
reading side shut once the deadline passes, the body ends early, and reading it raises 408
(gunicorn sets ``wsgi.input_terminated``, so Werkzeug would otherwise take the part that came
for the whole body).
The socket is the one gunicorn puts in the WSGI environ; other servers are not bounded here
(nginx in front bounds them all with client_body_timeout: docs/deploy.md).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, render_template
from werkzeug.exceptions import RequestTimeout

from .watchdog import SocketWatchdog

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

TOO_SLOW_MESSAGE = (
    "What your browser sent did not arrive within {seconds} seconds, so it could not be read "
    "or kept. Please go back in your browser to get your text, and send it again."
)

_watchdog = SocketWatchdog(how=socket.SHUT_RD, what="request body")


class BodyDeadline:
    """WSGI middleware: arm the watchdog while a request with a body is handled."""

    def __init__(self, app: WSGIApplication, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        if sock is None or not self.seconds or not _has_body(environ):
            return self.app(environ, start_response)
        environ["wsgi.input"] = DeadlineInput(
            environ["wsgi.input"], time.monotonic() + self.seconds
        )
        token = _watchdog.arm(sock, self.seconds)
        try:
            return self.app(environ, start_response)
        finally:
            _watchdog.disarm(token)


def _has_body(environ: WSGIEnvironment) -> bool:
    length = environ.get("CONTENT_LENGTH") or "0"
    chunked = "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
    return chunked or (length.isdigit() and int(length) > 0)


class DeadlineInput:
    """The body stream; what is read once the deadline has passed is cut short: 408."""

    def __init__(self, stream: Any, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _checked(self, data: bytes) -> bytes:
        if time.monotonic() >= self._deadline:
            raise RequestTimeout()
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._checked(self._stream.read(size if size is not None else -1))

    def readline(self, size: int | None = -1) -> bytes:
        return self._checked(self._stream.readline(size if size is not None else -1))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def body_too_slow(_error: RequestTimeout) -> Any:
    """408 that says what happened; the text never fully arrived, so it cannot be kept."""
    seconds = int(current_app.config["REQUEST_BODY_TIMEOUT"])
    html = render_template(
        "errors/message.html",
        title="Sent too slowly",
        message=TOO_SLOW_MESSAGE.format(seconds=seconds),
    )
    return current_app.make_response((html, RequestTimeout.code, {"Connection": "close"}))


def init_app(app: Flask) -> None:
    seconds = float(app.config["REQUEST_BODY_TIMEOUT"] or 0)
    app.wsgi_app = BodyDeadline(app.wsgi_app, seconds)  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
    app.register_error_handler(RequestTimeout, body_too_slow)
