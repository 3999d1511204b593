"""An outbox message's last error, said in words the owner can act on.

The worker records what smtplib said (``smtp.SmtpTransport``): an exception name, an SMTP
reply code, an OS error. The desk shows that text as it is and, before it, what it means
and what to check; an error no rule knows is still shown, with a general hint.
"""

from __future__ import annotations

import re

#: (pattern searched in the recorded error, what it means and what to do), first match wins.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), words)
    for pattern, words in (
        (
            r"ConnectionRefused|Errno 111|Connection refused",
            "The mail server refused the connection: nothing listens at MAIL_SERVER and "
            "MAIL_PORT. Check both, and that the server is running.",
        ),
        (
            r"gaierror|Name or service not known|nodename nor servname|Temporary failure in name",
            "The mail server's name could not be found: check MAIL_SERVER.",
        ),
        (
            r"Timeout|timed out",
            "The mail server did not answer in time (MAIL_TIMEOUT). It may be down or "
            "blocked by a firewall.",
        ),
        (
            r"SMTPAuthenticationError|\b53[05]\b",
            "The mail server refused to sign in: check MAIL_USERNAME and MAIL_PASSWORD.",
        ),
        (
            r"SSL|TLS|certificate",
            "The secure connection failed: check MAIL_USE_TLS (STARTTLS, usually port 587) "
            "or MAIL_USE_SSL (usually port 465) against what the server offers.",
        ),
        (
            r"SMTPServerDisconnected|Connection reset|Broken pipe|Connection unexpectedly",
            "The mail server closed the connection before taking the message.",
        ),
        (
            r"SMTPSenderRefused",
            "The mail server refused the sender address: check MAIL_DEFAULT_SENDER.",
        ),
        (
            r"recipient refused: 5\d\d",
            "The mail server refused the recipient for good: the address may not exist.",
        ),
        (
            r"recipient refused: 4\d\d",
            "The mail server asked to try later (a temporary refusal); it was tried "
            "MAIL_MAX_ATTEMPTS times.",
        ),
        (r"^cannot build", "The message itself could not be written (a header was refused)."),
        (r"\b5\d\d\b", "The mail server refused the message for good."),
        (r"\b4\d\d\b", "The mail server asked to try later (a temporary refusal)."),
    )
)
UNKNOWN = "The message was not accepted; the mail server's answer is below."


def in_words(error: str | None) -> str | None:
    """What ``error`` (an outbox message's ``last_error``) means, or None when there is none."""
    if not error:
        return None
    for pattern, words in _RULES:
        if pattern.search(error):
            return words
    return UNKNOWN
