"""The socket watchdog: a deadline shuts the socket, a disarmed one does not, and arming a
deadline later than the one its thread sleeps until does not wake that thread."""

from __future__ import annotations

import socket
import threading
import time

from blogengine.watchdog import SocketWatchdog


class CountingCondition(threading.Condition):
    """A Condition that counts how often the watchdog's thread is woken."""

    def __init__(self, lock: threading.Lock) -> None:
        super().__init__(lock)
        self.notified = 0

    def notify(self, n: int = 1) -> None:
        self.notified += 1
        super().notify(n)


def watched_pair() -> tuple[socket.socket, socket.socket]:
    ours, theirs = socket.socketpair()
    ours.settimeout(5)
    return ours, theirs


def test_a_socket_past_its_deadline_is_shut_and_a_disarmed_one_is_not() -> None:
    watchdog = SocketWatchdog()
    cut, spared = watched_pair(), watched_pair()
    try:
        watchdog.arm(cut[0], 0.1)
        token = watchdog.arm(spared[0], 0.1)
        watchdog.disarm(token)
        assert cut[0].recv(1) == b"", "shut down: the blocked read sees the end"
        time.sleep(0.2)
        spared[1].sendall(b"x")
        assert spared[0].recv(1) == b"x"
    finally:
        for pair in (cut, spared):
            for sock in pair:
                sock.close()


def test_a_sooner_deadline_wakes_the_thread_and_a_later_one_does_not() -> None:
    watchdog = SocketWatchdog()
    watchdog._wake = counting = CountingCondition(watchdog._lock)
    long, short = watched_pair(), watched_pair()
    others = [watched_pair() for _ in range(20)]
    try:
        first = watchdog.arm(long[0], 30)
        assert counting.notified == 1, "nothing to wait for before: woken"
        tokens = [watchdog.arm(pair[0], 30) for pair in others]  # a statement each
        for token in tokens:
            watchdog.disarm(token)
        assert counting.notified == 1, "later than the deadline it sleeps until: not woken"
        started = time.monotonic()
        watchdog.arm(short[0], 0.1)
        assert counting.notified == 2
        assert short[0].recv(1) == b"", "the sooner deadline is kept"
        assert time.monotonic() - started < 3
        watchdog.disarm(first)
    finally:
        for pair in (long, short, *others):
            for sock in pair:
                sock.close()
