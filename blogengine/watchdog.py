"""Cut off a socket that outlives its deadline: a frozen database, a client sending slowly.

A thread blocked reading a socket cannot time itself out when the other side stays connected
but silent (a SIGSTOPped server: the kernel still acknowledges) or trickles a byte at a time
(a per-read timeout never fires). One daemon thread per process shuts such sockets down.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import socket
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)


class HasFileno(Protocol):
    def fileno(self) -> int: ...


class SocketWatchdog:
    """Shuts a connection's socket once its deadline passes; one daemon thread per process.

    Shutting the socket down (not closing the descriptor, which its owner closes) wakes the
    thread blocked reading it with end-of-file: a database driver raises "connection lost",
    a server reading a request body sees the body end.
    """

    def __init__(self, how: int = socket.SHUT_RDWR, what: str = "connection") -> None:
        self._how = how
        self._what = what
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, int]] = []  # (deadline, token, fd)
        self._live: set[int] = set()
        self._tokens = itertools.count(1)
        self._pid = 0

    def arm(self, connection: HasFileno, seconds: float) -> int:
        """Watch ``connection`` (a socket, a DBAPI connection) for ``seconds``; a token."""
        fd = int(connection.fileno())
        with self._lock:
            self._start_once()
            token = next(self._tokens)
            heapq.heappush(self._heap, (time.monotonic() + seconds, token, fd))
            self._live.add(token)
            if self._heap[0][1] == token:
                # Sooner than the deadline the thread sleeps until (or it sleeps with none).
                # Waking it for every statement cost two thread switches per statement.
                self._wake.notify()
            return token

    def disarm(self, token: int) -> None:
        with self._lock:
            self._live.discard(token)

    def _start_once(self) -> None:
        """A thread per process: gunicorn forks workers, and threads do not survive a fork."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._heap, self._live = [], set()
            threading.Thread(target=self._run, name=f"watchdog: {self._what}", daemon=True).start()

    def _run(self) -> None:
        with self._lock:
            while True:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # disarmed in time
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, token, fd = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(token)
                log.error("%s past its deadline: shutting its socket (fd %d)", self._what, fd)
                _shutdown(fd, self._how)


def _shutdown(fd: int, how: int) -> None:
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(how)
        finally:
            sock.close()
