"""A throwaway PostgreSQL cluster the tests start, stop and freeze themselves.

initdb/pg_ctl from Debian's /usr/lib/postgresql/*/bin, run as ``nobody`` (PostgreSQL refuses to
run as root, and the tests run as root) on a free loopback port, in a temporary folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from live import free_port

CLUSTER_USER = "nobody"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def why_not_available() -> str | None:
    """Why a private cluster cannot run here, or None when it can."""
    if postgres_bin() is None:
        return "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) are not installed"
    if shutil.which("runuser") is None and os.geteuid() == 0:
        return "runuser is missing: PostgreSQL cannot be started as root"
    try:
        pwd.getpwnam(CLUSTER_USER)
    except KeyError:
        return f"no {CLUSTER_USER!r} user to run PostgreSQL as"
    return None


class Cluster:
    """One cluster: ``start()``, ``stop()``, ``freeze()``/``thaw()`` (SIGSTOP/SIGCONT)."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None, why_not_available()
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="blogengine-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        user = pwd.getpwnam(CLUSTER_USER)
        os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", CLUSTER_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def pids(self) -> list[int]:
        """The postmaster and every process it started."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        pids = [postmaster]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                pids.append(int(stat.parent.name))
        return pids

    def freeze(self) -> None:
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.pids():
            os.kill(pid, signal.SIGCONT)

    def destroy(self) -> None:
        try:
            self.thaw()
            self.stop()
        except (OSError, RuntimeError, ValueError):
            pass
        shutil.rmtree(self.root, ignore_errors=True)
