"""What is said once when the site starts serving, not before every `blogengine` command.

gunicorn.conf.py's ``when_ready`` hook logs these; another server's entry point can do the
same with ``serve_warnings(app)``.
"""

from __future__ import annotations

from flask import Flask

from .comments import WEAK_CAPTCHAS

MEMORY_STORAGE_WARNING = (
    "{limits} counted in each process's memory (RATELIMIT_STORAGE_URI is memory://): with "
    "several gunicorn workers {what} per worker. Set RATELIMIT_STORAGE_URI to a shared store, "
    "e.g. redis://127.0.0.1:6379, to count once for the whole site."
)
#: The limits kept in the rate-limit store, and what a per-process count lets through.
COUNTED_LIMITS = (
    ("COMMENTS_RATE_LIMIT", "a reader may post that many comments"),
    ("DESK_SIGNIN_LIMIT", "someone guessing the owner's password may fail that many times"),
)
WEAK_CAPTCHA_WARNING = (
    "COMMENTS_CAPTCHA is {name!r}: {why}. Choose 'altcha' or a provider on a public site."
)


def serve_warnings(app: Flask) -> list[str]:
    """Settings that are fine for a test or a private site but weak for a public one."""
    config = app.config
    warnings = []
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    counted = [(key, what) for key, what in COUNTED_LIMITS if config.get(key)]
    if counted and storage.startswith("memory://"):
        limits = " and ".join(f"{key} ({config[key]!r})" for key, _ in counted)
        warnings.append(
            MEMORY_STORAGE_WARNING.format(
                limits=limits + (" are" if len(counted) > 1 else " is"),
                what=", and ".join(what for _, what in counted),
            )
        )
    captcha = config["COMMENTS_CAPTCHA"]
    if captcha in WEAK_CAPTCHAS:
        warnings.append(WEAK_CAPTCHA_WARNING.format(name=captcha, why=WEAK_CAPTCHAS[captcha]))
    return warnings
