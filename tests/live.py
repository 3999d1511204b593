"""A site served by real gunicorn, as `make run` serves it, for tests outside the browser ones."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
BIN = PROJECT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def site_env(root: Path, config: Mapping[str, Any]) -> dict[str, str]:
    """The environment for every command of one site: BLOGENGINE_* keys, JSON where needed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGENGINE_")}
    settings: dict[str, Any] = {
        "INSTANCE_PATH": str(root / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'blog.db'}",
        "SECRET_KEY": "e2e-secret-" + root.name,
        "COMMENTS_CAPTCHA": "math",
        # Many comments come from 127.0.0.1 within a minute; the limit has tests of its own.
        "COMMENTS_RATE_LIMIT": "",
        # The default chain without its statistical model (as tests/support.py's config):
        # a browser test of the form must not hang on what the model thinks of its text.
        "COMMENTS_SPAM_FILTERS": ["honeypot", "impersonation", "links", "duplicate"],
        **config,
    }
    for key, value in settings.items():
        env[f"BLOGENGINE_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def gunicorn(
    env: Mapping[str, str], port: int, log: Path, *, workers: int = 2, prefix: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """gunicorn with the repository's gunicorn.conf.py, the command `make run` runs.

    ``prefix`` runs it under another command (``setpriv ...`` to drop root's powers).
    """
    command = [
        *prefix,
        str(BIN / "gunicorn"),
        "-c",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "wsgi:app",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=PROJECT, env=dict(env), stdout=out, stderr=out)


def wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start-up:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
