"""Local fakes of third-party services on 127.0.0.1, speaking their documented protocols.

* ``FakeSiteverify``: the siteverify endpoint Turnstile, hCaptcha and reCAPTCHA share: a form
  POST of ``secret``, ``response`` and ``remoteip``, answered with JSON ``success`` and
  ``error-codes``. A token is good once (then ``timeout-or-duplicate``, or hCaptcha's
  ``already-seen-response``), an unknown one is ``invalid-input-response``.
* ``FakeAkismet``: ``/1.1/comment-check`` ("true"/"false", ``X-akismet-pro-tip: discard``,
  "invalid" with ``X-akismet-debug-help`` for a bad key), ``/1.1/submit-spam`` and
  ``/1.1/submit-ham`` ("Thanks for making the web a better place.").

Each can be told to hang (past the client's timeout), answer HTTP 500 or answer garbage.
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeService:
    """What every fake shares: the requests seen and how to misbehave."""

    url: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    #: None (behave), "hang", "500" or "garbage".
    failure: str | None = None
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError


@dataclass
class FakeSiteverify(FakeService):
    secret: str = "fake-secret"
    #: The code a second use of a token gets (hCaptcha says "already-seen-response").
    duplicate_code: str = "timeout-or-duplicate"
    issued: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    expired: set[str] = field(default_factory=set)

    def issue(self, *, expired: bool = False) -> str:
        """A token the provider's widget would put in the form after a person's check."""
        token = "tok." + secrets.token_urlsafe(32)
        (self.expired if expired else self.issued).add(token)
        return token

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        codes: list[str] = []
        if not form.get("secret"):
            codes.append("missing-input-secret")
        elif form["secret"] != self.secret:
            codes.append("invalid-input-secret")
        token = form.get("response", "")
        if not token:
            codes.append("missing-input-response")
        elif token in self.expired:
            codes.append("timeout-or-duplicate")
        elif token in self.used:
            codes.append(self.duplicate_code)
        elif token not in self.issued:
            codes.append("invalid-input-response")
        if not codes:
            self.issued.discard(token)
            self.used.add(token)
        body: dict[str, Any] = {"success": not codes, "error-codes": codes}
        if not codes:
            body.update(challenge_ts="2026-12-02T08:00:00Z", hostname="blog.test")
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


@dataclass
class FakeAkismet(FakeService):
    api_key: str = "fake-akismet-key"
    blog: str = "https://blog.test/"

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        plain = {"Content-Type": "text/plain; charset=utf-8"}
        if form.get("api_key") != self.api_key or not form.get("blog"):
            help_text = "Empty 'blog' value" if form.get("blog") == "" else "Invalid API key."
            return 200, {**plain, "X-akismet-debug-help": help_text}, b"invalid"
        if path == "/1.1/comment-check":
            author = form.get("comment_author", "")
            content = form.get("comment_content", "")
            if author == "akismet-guaranteed-spam" or "blatant-spam" in content:
                return 200, {**plain, "X-akismet-pro-tip": "discard"}, b"true"
            if "viagra" in content.lower() or "casino" in content.lower():
                return 200, plain, b"true"
            return 200, plain, b"false"
        if path in ("/1.1/submit-spam", "/1.1/submit-ham"):
            return 200, plain, b"Thanks for making the web a better place."
        return 404, plain, b"unknown endpoint"


def _handler(service: FakeService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            path = urllib.parse.urlsplit(self.path).path
            service.requests.append((path, form))
            if service.failure == "hang":
                service.release.wait(30)
                return
            if service.failure == "500":
                status, headers, body = 500, {"Content-Type": "text/plain"}, b"oops"
            elif service.failure == "garbage":
                status, headers, body = 200, {"Content-Type": "text/html"}, b"<html>busy</html>"
            else:
                status, headers, body = service.answer(path, form)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    return Handler


@contextmanager
def serving(service: FakeService, path: str = "") -> Iterator[FakeService]:
    """Serve ``service`` on 127.0.0.1 (a free port) while the block runs; ``url`` + path."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(service))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    service.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield service
    finally:
        service.release.set()
        server.shutdown()
        server.server_close()
