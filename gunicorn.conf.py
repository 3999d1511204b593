"""gunicorn's settings for blogengine: `gunicorn -c gunicorn.conf.py wsgi:app` (`make run` uses it).

Threads, not sync workers: a sync worker is held by one connection from its first byte to its
last, so two clients that send their bodies slowly stopped every reader on a two-worker site.
A gthread worker reads headers only once a connection has data, and a slow body holds one
thread of several; blogengine itself cuts a body that is not all there within
REQUEST_BODY_TIMEOUT seconds (30), which the sync worker's 30 s timeout used to do by killing
the worker. In production put nginx in front (it buffers whole requests): docs/deploy.md.
Command-line flags (`--bind`, `--workers`) override what is set here.
"""

import os
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
#: A worker whose main loop stops answering for this long is restarted.
timeout = 30
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"


def when_ready(server: Any) -> None:
    """Say once, as the site starts serving, what its configuration leaves open."""
    from blogengine import create_app
    from blogengine.serving import serve_warnings

    for warning in serve_warnings(create_app()):
        server.log.warning(warning)
