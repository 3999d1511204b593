"""What is said once when the site starts serving, not before every `blogengine` command.

gunicorn.conf.py's ``when_ready`` hook logs these; another server's entry point can do the
same with ``serve_warnings(app)``.
"""

from __future__ import annotations

from flask import Flask

from .comments import WEAK_CAPTCHAS

MEMORY_STORAGE_WARNING = (
    "COMMENTS_RATE_LIMIT ({limit!r}) is counted in each process's memory "
    "(RATELIMIT_STORAGE_URI is memory://): with several gunicorn workers a reader may post "
    "that many comments per worker. Set RATELIMIT_STORAGE_URI to a shared store, e.g. "
    "redis://127.0.0.1:6379, to count once for the whole site."
)
WEAK_CAPTCHA_WARNING = (
    "COMMENTS_CAPTCHA is {name!r}: {why}. Choose 'altcha' or a provider on a public site."
)


def serve_warnings(app: Flask) -> list[str]:
    """Settings that are fine for a test or a private site but weak for a public one."""
    config = app.config
    warnings = []
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if config["COMMENTS_RATE_LIMIT"] and storage.startswith("memory://"):
        warnings.append(MEMORY_STORAGE_WARNING.format(limit=config["COMMENTS_RATE_LIMIT"]))
    captcha = config["COMMENTS_CAPTCHA"]
    if captcha in WEAK_CAPTCHAS:
        warnings.append(WEAK_CAPTCHA_WARNING.format(name=captcha, why=WEAK_CAPTCHAS[captcha]))
    return warnings
