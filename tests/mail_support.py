"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, a free port, in a thread."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nothing listens on (the OS picks it; closed again at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Inbox:
    """Accepts every message (250) and keeps it, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class Refusing:
    """Refuses every recipient with ``reply`` (a 4xx or 5xx line) and counts the tries."""

    reply: str
    tries: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.tries += 1
        return self.reply


@contextmanager
def smtp_server(handler: object, port: int | None = None, **smtp: Any) -> Iterator[int]:
    """Serve SMTP with ``handler`` on 127.0.0.1 until the block ends; yields the port.

    ``smtp`` goes to aiosmtpd's SMTP class (an ``authenticator``, say).
    """
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def mail_config(port: int, **overrides: Any) -> dict[str, Any]:
    """Mail switched on, through the test server on ``port``."""
    config: dict[str, Any] = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_DEFAULT_SENDER": "Blog <blog@blog.test>",
        "MAIL_OWNER_ADDRESS": "owner@blog.test",
        "MAIL_TIMEOUT": 10.0,
    }
    config.update(overrides)
    return config


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")  # SMTP carries CRLF line ends


def link_in(message: EmailMessage, path_part: str) -> str:
    """The first http(s) link in the message's text whose path contains ``path_part``."""
    for url in re.findall(r"https?://\S+", body_of(message)):
        if path_part in url:
            return str(url)
    raise AssertionError(f"no link with {path_part!r} in:\n{body_of(message)}")


def password_checker(user: str, password: str) -> Any:
    """An aiosmtpd authenticator accepting only ``user`` / ``password`` (LOGIN or PLAIN)."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 on failure

    return check
