"""Sending one message through the configured SMTP server (stdlib smtplib), errors classified.

A refusal with a 5xx code is permanent (RFC 5321: do not repeat it unchanged); a 4xx code, a
server that is down, a dropped connection or a timeout is temporary and worth another try.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from .settings import MailSettings


class DeliveryError(Exception):
    """The message was not accepted; ``permanent`` says whether trying again could help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    """Hands one message to a mail server or raises DeliveryError."""

    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """One SMTP connection per message: a blog sends few, and a stale connection never lingers."""

    def __init__(self, settings: MailSettings) -> None:
        if not settings.server:
            raise ValueError("no MAIL_SERVER: mail is off")
        self.settings = settings
        self.server: str = settings.server

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            if s.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.server, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.server, s.port, timeout=s.timeout)
            with smtp:
                if s.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, s.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _refusal(code, text, "recipient refused") from exc
        except smtplib.SMTPResponseException as exc:
            raise _refusal(exc.smtp_code, exc.smtp_error, type(exc).__name__) from exc
        except (smtplib.SMTPException, OSError) as exc:  # down, dropped, timed out, TLS
            raise DeliveryError(
                f"{self.server}:{s.port}: {type(exc).__name__}: {exc}", permanent=False
            ) from exc
        if refused:  # only with several recipients; ours have one
            code, text = next(iter(refused.values()))
            raise _refusal(code, text, "recipient refused")


def _refusal(code: int, text: bytes | str, what: str) -> DeliveryError:
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return DeliveryError(f"{what}: {code} {reply}", permanent=500 <= code < 600)
