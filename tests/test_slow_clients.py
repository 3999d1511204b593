"""Slow clients cannot starve readers: real gunicorn, configured as `make run` serves it.

Two connections that send their body a few bytes at a time held both sync workers of a
two-worker site, and a reader's GET waited until gunicorn killed them. Each socket read here
has a bound, so a starved reader fails the test instead of stalling it.
"""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from live import BIN, PROJECT, free_port, gunicorn, site_env, stop, wait_until_up

#: Generous bounds for an answer that comes at once when nothing is starved.
READER_BOUND = 10.0
SLOW_BODY = (
    "POST /posts/any/comments HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "Content-Length: 100000\r\n"
    "\r\n"
    "author=Slow&body=one+byte+at+a+time"
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    env = site_env(tmp_path, {"REQUEST_BODY_TIMEOUT": 3})
    (tmp_path / "instance").mkdir()
    subprocess.run(
        [str(BIN / "blogengine"), "db", "upgrade"], cwd=PROJECT, env=env, check=True, timeout=120
    )
    port, log = free_port(), tmp_path / "gunicorn.log"
    process = gunicorn(env, port, log, workers=2)
    try:
        wait_until_up(process, f"http://127.0.0.1:{port}/", log)
        yield f"127.0.0.1:{port}"
    finally:
        stop(process)


def slow_client(address: str) -> socket.socket:
    host, port = address.split(":")
    sock = socket.create_connection((host, int(port)), timeout=READER_BOUND * 3)
    sock.sendall(SLOW_BODY.encode())  # then nothing more: the body never completes
    return sock


def read_page(sock: socket.socket) -> str:
    """The whole answer: until the page's end, or the server closes (each read bounded)."""
    data = b""
    while b"</html>" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


@pytest.mark.slow
def test_two_slow_bodies_do_not_block_a_reader_and_are_cut_off(site: str) -> None:
    slow = [slow_client(site) for _ in range(2)]
    try:
        with urllib.request.urlopen(f"http://{site}/", timeout=READER_BOUND) as page:
            assert page.status == 200
        for sock in slow:  # REQUEST_BODY_TIMEOUT (3 s here) ends each with a 408
            answer = read_page(sock)
            assert answer.startswith("HTTP/1.1 408"), answer[:200]
            assert "did not arrive within 3 seconds" in answer
    finally:
        for sock in slow:
            sock.close()


def test_make_run_serves_with_the_repository_gunicorn_config() -> None:
    run = (PROJECT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "gunicorn -c gunicorn.conf.py" in run
    config: dict[str, object] = {}
    exec((PROJECT / "gunicorn.conf.py").read_text(), config)
    assert config["worker_class"] == "gthread"
    assert int(str(config["threads"])) >= 2
