"""`make bench`: blogengine against a naive Flask app and the bare floor, in one run, as ratios.

Why ratios: the machine is shared, so absolute figures move with everyone else's load; two
servers measured one after the other in the same minute move together. Each workload runs
against gunicorn serving blogengine and, in the same run, the baseline (`bench/baseline_app.py`:
a naive Flask + SQLAlchemy + Jinja page of the same post, and the same bytes returned from
memory). Both are served the way `make run` serves: 2 workers, with the project's
`gunicorn.conf.py` (gthread, 4 threads each, an access log), which gunicorn reads from its
working folder. The load comes from wrk (Debian's package) when it is
installed, else from Python threads; every request goes to 127.0.0.1, and every workload is
bounded in time (--seconds) and, for writes, in count.

Figures: requests/s, p50/p99 latency, server CPU ms per request (utime + stime of the gunicorn
workers from /proc/<pid>/stat, before and after), peak RSS per worker (VmHWM) for the memory
workload. Every comment POST answered 303 is checked afterwards in the database: stored once,
under the number its Location names, with the text that was sent.

    python -m bench.perf                   # everything (PostgreSQL too if it answers)
    python -m bench.perf --seconds 4 --no-postgres
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from bench import fixtures
from bench.load_comments import (
    DEFAULT_PG_URL,
    PROJECT,
    _bin,
    _pg_connect,
    _with_search_path,
    form_fields,
    percentile,
    serving,
)

HERE = Path(__file__).resolve().parent
CACHE_DIR = HERE / ".cache"
RESULTS_DIR = HERE / "results"
WRK_SCRIPT = HERE / "wrk_load.lua"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WORKERS = 2
#: Writes prepared per second of a write workload: more than any server here answers (the
#: naive app's best was about 530/s), so none runs out and each rate is a rate. Until
#: 2026-12-02 it was 1,500 per workload, which capped the naive POST at 250/s in 6 s.
WRITES_PER_SECOND = 1000
#: Unmeasured POSTs to each server before its first write workload.
WARM_WRITES = 200
SEED_CHUNK = 1000

#: The small site: the post everyone reads (11 comments), two posts to write to (at 11 and at
#: 2,000 comments), the 10,000-comment post (memory) and six more: a 10-post site.
SMALL_SITE = [
    ("Eleven comments", 11),
    ("Write at eleven", 11),
    ("Write at two thousand", 2000),
    ("Ten thousand comments", 10_000),
    *[(f"Small post {n}", 2) for n in range(6)],
]
PG_SITE = SMALL_SITE[:3]
LARGE_POSTS = 10_000


# -- the sites ---------------------------------------------------------------------------------


@dataclass
class Site:
    """A migrated, seeded instance folder and the env that points blogengine at it."""

    name: str
    root: Path
    db_url: str
    schema: str | None = None
    slugs: dict[str, str] = field(default_factory=dict)  # title -> slug
    uids: dict[str, str] = field(default_factory=dict)  # slug -> uid

    def env(self, **config: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGENGINE_")}
        env.update(
            BLOGENGINE_INSTANCE_PATH=str(self.root / "instance"),
            BLOGENGINE_SQLALCHEMY_DATABASE_URI=self.db_url,
            BLOGENGINE_SECRET_KEY="bench-" + self.name,
            BLOGENGINE_COMMENTS_CAPTCHA="none",  # the default chain without CAPTCHA (issue 9)
            BLOGENGINE_RATELIMIT_ENABLED="false",  # every client is 127.0.0.1
            BLOGENGINE_COMMENTS_RATE_LIMIT="",
            PYTHONUNBUFFERED="1",
        )
        env.update({f"BLOGENGINE_{k}": v for k, v in config.items()})
        return env


def _fingerprint() -> str:
    """What a cached seeded database depends on: the fixtures and the migrations."""
    import hashlib

    digest = hashlib.sha256((HERE / "fixtures.py").read_bytes())
    for path in sorted((PROJECT / "blogengine" / "migrations" / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(repr((SMALL_SITE, LARGE_POSTS)).encode())
    return digest.hexdigest()[:12]


def _seed(site: Site, paths: Sequence[Path], log: list[str]) -> None:
    """`blogengine db upgrade`, then `blogengine seed` (in chunks: argv has a limit)."""
    env = site.env()
    subprocess.run(
        [_bin("blogengine"), "db", "upgrade"], env=env, cwd=PROJECT, check=True, capture_output=True
    )
    for start in range(0, len(paths), SEED_CHUNK):
        chunk = [str(p) for p in paths[start : start + SEED_CHUNK]]
        done = subprocess.run(
            [_bin("blogengine"), "seed", *chunk],
            env=env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"seed failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    log.append(f"{site.name}: seeded {len(paths)} archive files through `blogengine seed`")


def sqlite_site(name: str, root: Path, sizes: Sequence[tuple[str, int]], log: list[str]) -> Site:
    """A SQLite site seeded once per fixture version (bench/.cache), copied for this run."""
    root.mkdir(parents=True)
    (root / "instance").mkdir()
    target = root / "instance" / "blogengine.db"
    cached = CACHE_DIR / f"{name}-{_fingerprint()}.db"
    if not cached.exists():
        started = time.monotonic()
        build = Site(name, root / "build", f"sqlite:///{root / 'build' / 'site.db'}")
        (build.root / "instance").mkdir(parents=True)
        _seed(build, fixtures.write_posts(build.root / "archive", sizes), log)
        CACHE_DIR.mkdir(exist_ok=True)
        for stale in CACHE_DIR.glob(f"{name}-*.db"):  # built for older fixtures or migrations
            stale.unlink()
        _sqlite_copy(build.root / "site.db", cached)
        log.append(f"{name}: built in {time.monotonic() - started:.0f} s, kept as {cached.name}")
    _sqlite_copy(cached, target)
    site = Site(name, root, f"sqlite:///{target}")
    with sqlite3.connect(target) as conn:
        rows = conn.execute("SELECT title, slug, uid FROM posts").fetchall()
    site.slugs = {title: slug for title, slug, _ in rows}
    site.uids = {slug: uid for _, slug, uid in rows}
    return site


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API: the WAL's pages too)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def postgres_site(root: Path, pg_url: str, log: list[str]) -> Site:
    """A PostgreSQL schema of its own (dropped at the end), seeded through `blogengine seed`."""
    schema = f"bench_perf_{secrets.token_hex(4)}"
    with _pg_connect(pg_url) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    site = Site("postgres", root, _with_search_path(pg_url, schema), schema=schema)
    (root / "instance").mkdir(parents=True)
    _seed(site, fixtures.write_posts(root / "archive", PG_SITE), log)
    with _pg_connect(site.db_url) as conn:
        rows = conn.execute("SELECT title, slug, uid FROM posts").fetchall()
    site.slugs = {title: slug for title, slug, _ in rows}
    site.uids = {slug: uid for _, slug, uid in rows}
    return site


def drop_postgres(site: Site, pg_url: str) -> None:
    if site.schema:
        with _pg_connect(pg_url) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{site.schema}" CASCADE')


def stored_bodies(site: Site, slug: str) -> list[tuple[int, str]]:
    """(number, text) of every comment stored on the post, read past the app."""
    query = "SELECT number, body FROM comments WHERE post_id = %s"
    uid = site.uids[slug]
    if site.schema is None:
        with sqlite3.connect(site.db_url.removeprefix("sqlite:///"), timeout=30) as conn:
            return conn.execute(query.replace("%s", "?"), (uid,)).fetchall()
    with _pg_connect(site.db_url) as conn:
        return [tuple(row) for row in conn.execute(query, (uid,))]  # type: ignore[misc]


# -- the servers -------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    base: str
    master: int

    @property
    def workers(self) -> list[int]:
        """The gunicorn master's children (its workers)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.master:
                found.append(int(stat.parent.name))
        return found

    def cpu_ticks(self) -> int:
        total = 0
        for pid in self.workers:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total

    def peak_rss_mb(self) -> float:
        """The largest worker's peak resident set (VmHWM), in MB."""
        peaks = []
        for pid in self.workers:
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks.append(int(match.group(1)))
        return round(max(peaks, default=0) / 1024, 1)


@contextmanager
def server(
    name: str, env: dict[str, str], root: Path, ready: str, app: str = "wsgi:app"
) -> Iterator[Server]:
    log_path = root / f"{name}.log"
    with serving(env, log_path, WORKERS, ready, app) as (base, proc):
        yield Server(name, base, proc.pid)
    text = log_path.read_text(errors="replace")
    if "Traceback" in text:
        print(f"WARNING: a traceback in {log_path}:\n{text[-3000:]}", file=sys.stderr)


# -- the load ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    connections: int = 32
    threads: int = 2
    seconds: float = 6.0
    use_wrk: bool = True


def measure(
    srv: Server,
    path: str,
    load: Load,
    *,
    bodies: Sequence[str] | None = None,
    header: str | None = None,
    ok: int = 200,
) -> dict[str, Any]:
    """One workload: requests/s of ``ok`` answers, p50/p99, server CPU ms per request."""
    before = srv.cpu_ticks()
    if load.use_wrk:
        raw = _wrk(srv.base + path, load, bodies, header)
    else:
        raw = _python_load(srv.base + path, load, bodies, header)
    cpu_ms = (srv.cpu_ticks() - before) * 1000 / CLOCK_TICKS
    seconds = raw["duration_us"] / 1e6
    statuses: Counter[int] = Counter()
    for part in raw["statuses"]:  # one entry per status and wrk thread
        statuses[int(part["status"])] += int(part["count"])
    answered = sum(statuses.values())
    extra: dict[str, Any] = {}
    if bodies is not None:
        # wrk's duration is the whole run: a thread out of bodies waits idle, so a workload
        # that ran out measured its bodies, not its rate (a floor; the ratio says so).
        extra = {"bodies": len(bodies), "ran_out": answered >= len(bodies)}
    return {
        "server": srv.name,
        "path": path,
        "per_second": round(statuses[ok] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "cpu_ms": round(cpu_ms / answered, 2) if answered else None,
        "answered": answered,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": raw.get("errors", {}),
        "seconds": round(seconds, 2),
        "locations": raw["locations"],
        **extra,
    }


def _wrk(url: str, load: Load, bodies: Sequence[str] | None, header: str | None) -> Any:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        env = dict(os.environ, BENCH_OUT=f"{tmp}/out.json", BENCH_HEADER=header or "")
        if bodies is not None:
            for n in range(load.threads):
                Path(f"{tmp}/bodies.{n}").write_text("\n".join(bodies[n :: load.threads]) + "\n")
            env["BENCH_BODIES"] = f"{tmp}/bodies"
        seconds = f"-d{max(1, round(load.seconds))}s"
        cmd = [
            "wrk",
            f"-t{load.threads}",
            f"-c{load.connections}",
            seconds,
            "--timeout",
            "30s",
            "-s",
            str(WRK_SCRIPT),
            url,
        ]
        subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=load.seconds + 120)
        return json.loads(Path(f"{tmp}/out.json").read_text())


def _python_load(url: str, load: Load, bodies: Sequence[str] | None, header: str | None) -> Any:
    """The same report as wrk's, from threads with keep-alive connections (wrk missing)."""
    parts = urllib.parse.urlsplit(url)
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    locations: list[str] = []
    queue = iter(bodies) if bodies is not None else None
    deadline = time.monotonic() + load.seconds
    headers = dict([header.split(":", 1)]) if header else {}
    headers = {k.strip(): v.strip() for k, v in headers.items()}

    def work(_n: int) -> None:
        conn = HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.monotonic() < deadline:
            sent_headers = dict(headers)
            body = None
            if queue is not None:
                with lock:
                    body = next(queue, None)
                if body is None:
                    return
                sent_headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            conn.request(
                "POST" if body else "GET",
                parts.path + (f"?{parts.query}" if parts.query else ""),
                body=body,
                headers=sent_headers,
            )
            answer = conn.getresponse()
            answer.read()
            with lock:
                latencies.append((time.perf_counter() - started) * 1e6)
                statuses[answer.status] += 1
                if answer.status == 303:
                    locations.append(answer.headers.get("Location", ""))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=load.connections) as pool:
        list(pool.map(work, range(load.connections)))
    return {
        "duration_us": (time.perf_counter() - started) * 1e6,
        "requests": sum(statuses.values()),
        "p50_us": percentile(latencies, 50),
        "p99_us": percentile(latencies, 99),
        "statuses": [{"status": k, "count": v} for k, v in statuses.items()],
        "locations": locations,
    }


def prepared_forms(srv: Server, slug: str, count: int, run_id: str, tag: str) -> list[str]:
    """``count`` filled comment forms, each from its own GET of the page (token, key)."""
    parts = urllib.parse.urlsplit(srv.base)

    def one(index: int) -> str:
        conn = HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("GET", f"/posts/{slug}")
        page = conn.getresponse().read().decode()
        form = form_fields(page)
        form.update(
            author=f"Reader {index % 97}", body=comment_body(run_id, tag, index), homepage_url=""
        )
        return urllib.parse.urlencode(form)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def comment_body(run_id: str, tag: str, index: int) -> str:
    """Unique and link-free, so the duplicate and links filters have nothing to say."""
    return f"Bench {run_id} {tag} comment {index}. Written under load, every word mine."


def naive_forms(count: int, run_id: str) -> list[str]:
    return [
        urllib.parse.urlencode(
            {"author": f"Reader {i % 97}", "body": comment_body(run_id, "naive", i)}
        )
        for i in range(count)
    ]


def check_writes(
    site: Site, slug: str, result: dict[str, Any], run_id: str, tag: str
) -> dict[str, Any]:
    """Each 303 names a stored comment of ours, once; no text of ours is stored twice."""
    ours = f"Bench {run_id} {tag} comment "
    stored = [(n, body) for n, body in stored_bodies(site, slug) if body.startswith(ours)]
    texts = Counter(body for _, body in stored)
    by_number = {n: body for n, body in stored}
    numbers = [
        int(m.group(1)) for loc in result["locations"] if (m := re.search(r"#comment-(\d+)$", loc))
    ]
    accepted = result["statuses"].get("303", 0)
    problems = {
        "303_without_a_number": accepted - len(numbers),
        "303_numbers_repeated": len(numbers) - len(set(numbers)),
        "303_not_stored_as_ours": sum(1 for n in numbers if n not in by_number),
        "texts_stored_twice": sum(1 for c in texts.values() if c > 1),
        "stored_fewer_than_303s": max(0, accepted - len(stored)),
    }
    return {
        "accepted_303": accepted,
        "stored": len(stored),
        # Sent when the time ran out, stored, but their answer was not waited for.
        "stored_unanswered": max(0, len(stored) - accepted),
        "problems": {k: v for k, v in problems.items() if v},
        "ok": not any(problems.values()),
    }


def copy_to_baseline(site: Site, titles: Sequence[str], target: Path) -> None:
    """The same posts and approved comments in the naive app's tables."""
    source = site.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        dst.execute(
            "CREATE TABLE naive_posts (id INTEGER PRIMARY KEY, slug VARCHAR(200) UNIQUE,"
            " title VARCHAR(500), body_html TEXT)"
        )
        dst.execute(
            "CREATE TABLE naive_comments (id INTEGER PRIMARY KEY, post_id INTEGER "
            "REFERENCES naive_posts(id), number INTEGER, author VARCHAR(200), "
            "body_html TEXT, created_at DATETIME)"
        )
        dst.execute("CREATE INDEX ix_naive_comments_post_id ON naive_comments (post_id)")
        dst.execute("PRAGMA journal_mode = WAL")
        for title in titles:
            post_id, slug, uid, body = src.execute(
                "SELECT id, slug, uid, body_html FROM posts WHERE title = ?", (title,)
            ).fetchone()
            dst.execute("INSERT INTO naive_posts VALUES (?, ?, ?, ?)", (post_id, slug, title, body))
            rows = src.execute(
                "SELECT number, author, body_html, created_at FROM comments "
                "WHERE post_id = ? AND status = 'approved'",
                (uid,),
            ).fetchall()
            dst.executemany(
                "INSERT INTO naive_comments (post_id, number, author, body_html, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(post_id, *row) for row in rows],
            )


# -- the run -----------------------------------------------------------------------------------


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run(args: argparse.Namespace) -> dict[str, Any]:
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)
    load = Load(
        args.connections,
        args.threads,
        args.seconds,
        shutil.which("wrk") is not None and not args.python_load,
    )
    root = Path(tempfile.mkdtemp(prefix="blogengine-perf-"))
    log: list[str] = []
    results: dict[str, Any] = {"run_id": run_id, "uptime_before": uptime(), "log": log}
    results["load"] = {
        "generator": "wrk" if load.use_wrk else "python threads",
        "connections": load.connections,
        "threads": load.threads,
        "seconds": load.seconds,
        "gunicorn_workers": WORKERS,
        "gunicorn_worker_class": args.worker_class or "gthread (gunicorn.conf.py), 4 threads",
    }
    figures: dict[str, Any] = {}
    results["figures"] = figures
    checks: dict[str, Any] = {}
    results["checks"] = checks
    pg: Site | None = None
    try:
        small = sqlite_site("small", root / "small", SMALL_SITE, log)
        many = [(f"Archived article {n}", 1) for n in range(LARGE_POSTS)]
        large = sqlite_site("large", root / "large", many, log)
        read_slug = small.slugs["Eleven comments"]
        w11, w2000 = small.slugs["Write at eleven"], small.slugs["Write at two thousand"]
        big = small.slugs["Ten thousand comments"]
        page_path = f"/posts/{read_slug}"
        no_cache = {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": "true"}

        with ExitStack() as stack:
            cached = stack.enter_context(server("blogengine", small.env(), root, page_path))
            uncached = stack.enter_context(
                server("blogengine-nocache", small.env(**no_cache), root, page_path)
            )
            (root / "page.html").write_bytes(_get(cached.base + page_path))
            copy_to_baseline(small, ["Eleven comments", "Write at eleven"], root / "naive.db")
            baseline_env = dict(
                os.environ,
                BASELINE_DB=f"sqlite:///{root / 'naive.db'}",
                BASELINE_PAGE=str(root / "page.html"),
            )
            naive = stack.enter_context(
                server("naive", baseline_env, root, page_path, "bench.baseline_app:app")
            )
            for srv in (cached, uncached, naive):  # warm: imports, templates, connections
                _get(srv.base + page_path)
                _get(srv.base + "/memory" if srv is naive else srv.base + "/")

            # Reads of the 11-comment post.
            figures["read_naive"] = measure(naive, page_path, load)
            figures["read_cached"] = measure(cached, page_path, load)
            figures["read_uncached"] = measure(uncached, page_path, load)
            figures["read_memory"] = measure(naive, "/memory", load)
            etag = _etag(cached.base + page_path)
            figures["read_304"] = measure(
                cached, page_path, load, header=f"If-None-Match: {etag}", ok=304
            )
            # The post with 10,000 comments: its first page of threads, cached and not.
            big_path = f"/posts/{big}"
            for srv in (cached, uncached):
                _get(srv.base + big_path)
            figures["read_big_cached"] = measure(cached, big_path, load)
            figures["read_big_uncached"] = measure(uncached, big_path, load)

            # Writes: one comment per POST, CSRF on, the default chain, no CAPTCHA. Both
            # servers' write paths are warmed first, on the read post (its reads are done).
            warm_writes(naive, read_slug, naive_forms(WARM_WRITES, run_id + "-warm"))
            warm_writes(
                cached, read_slug, prepared_forms(cached, read_slug, WARM_WRITES, run_id, "warm")
            )
            count = args.writes
            naive_path = f"/posts/{w11}/comments"
            figures["write_naive_first"] = measure(
                naive, naive_path, load, bodies=naive_forms(count, run_id), ok=303
            )
            # At 11, then 2,000, then 11 again: the later of two workloads on one database
            # ran slower or faster by the order alone (its WAL, the machine), so the post
            # at 11 is measured on both sides of the one at 2,000 and its mean is compared.
            for tag, slug in (("at11", w11), ("at2000", w2000), ("at11_again", w11)):
                forms = prepared_forms(cached, slug, count, run_id, tag)
                result = measure(cached, f"/posts/{slug}/comments", load, bodies=forms, ok=303)
                figures[f"write_{tag}"] = result
                checks[f"write_{tag}"] = check_writes(small, slug, result, run_id, tag)
            figures["write_at11_first"] = figures.pop("write_at11")
            figures["write_at11"] = mean_of(
                figures["write_at11_first"], figures["write_at11_again"]
            )
            # The naive POST again after them: its rate, bound by its fsync per commit, moved
            # most of all between runs; the mean of both sides of ours is what is compared.
            figures["write_naive_again"] = measure(
                naive, naive_path, load, bodies=naive_forms(count, run_id + "-again"), ok=303
            )
            figures["write_naive"] = mean_of(
                figures["write_naive_first"], figures["write_naive_again"]
            )

            # The index: a 10-post site, then 10,000 posts (page 1 and page 500), uncached.
            figures["index_10"] = measure(uncached, "/", load)
        with server("large-nocache", large.env(**no_cache), root, "/") as srv:
            _get(srv.base + "/?page=500")
            figures["index_10000_p1"] = measure(srv, "/", load)
            figures["index_10000_p500"] = measure(srv, "/?page=500", load)

        # Memory: a fresh server per page, the largest worker's peak RSS after serving it.
        for tag, slug, rounds in (("11", read_slug, 200), ("10000", big, 20)):
            with server(f"memory-{tag}", small.env(), root, "/") as srv:
                started = time.monotonic()
                for _ in range(rounds):
                    _get(srv.base + f"/posts/{slug}")
                    if time.monotonic() - started > 120:
                        break
                figures[f"memory_{tag}"] = {"peak_rss_mb": srv.peak_rss_mb(), "slug": slug}

        if not args.no_postgres:
            try:
                pg = postgres_site(root / "pg", args.pg_url, log)
            except Exception as exc:  # no server: say so, measure the rest
                log.append(f"PostgreSQL skipped: {exc}")
            if pg is not None:
                pg_w11 = pg.slugs["Write at eleven"]
                with ExitStack() as stack:
                    pgc = stack.enter_context(server("pg", pg.env(), root, page_path))
                    pgu = stack.enter_context(
                        server("pg-nocache", pg.env(**no_cache), root, page_path)
                    )
                    _get(pgc.base + page_path)
                    _get(pgu.base + page_path)
                    figures["pg_read_cached"] = measure(pgc, page_path, load)
                    figures["pg_read_uncached"] = measure(pgu, page_path, load)
                    pg_read = pg.slugs["Eleven comments"]
                    warm = prepared_forms(pgc, pg_read, WARM_WRITES, run_id, "pg-warm")
                    warm_writes(pgc, pg_read, warm)
                    forms = prepared_forms(pgc, pg_w11, count, run_id, "pg")
                    result = measure(pgc, f"/posts/{pg_w11}/comments", load, bodies=forms, ok=303)
                    figures["pg_write_at11"] = result
                    checks["pg_write_at11"] = check_writes(pg, pg_w11, result, run_id, "pg")
    finally:
        results["uptime_after"] = uptime()
        if pg is not None:
            drop_postgres(pg, args.pg_url)
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    for figure in figures.values():
        figure.pop("locations", None)
    results["ratios"] = ratios(figures)
    results["ok"] = all(c["ok"] for c in checks.values())
    return results


def mean_of(*runs: dict[str, Any]) -> dict[str, Any]:
    """One workload measured more than once: the mean of its figures (p99: the worst)."""

    def mean(key: str) -> float:
        return round(sum(run[key] for run in runs) / len(runs), 2)

    return {
        "server": runs[0]["server"],
        "path": runs[0]["path"],
        "per_second": round(mean("per_second"), 1),
        "p50_ms": mean("p50_ms"),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "cpu_ms": mean("cpu_ms"),
        "answered": sum(run["answered"] for run in runs),
        "ran_out": any(run.get("ran_out") for run in runs),
        "runs": len(runs),
    }


def warm_writes(srv: Server, slug: str, bodies: Sequence[str]) -> None:
    """POST ``bodies`` one after the other, unmeasured: the first writes of a fresh server
    (statements compiled, the learning model's first tokens, the database's WAL begun) are
    not what a workload measures."""
    parts = urllib.parse.urlsplit(srv.base)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in bodies:
        conn.request("POST", f"/posts/{slug}/comments", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 303:
            raise RuntimeError(f"warming {srv.name}'s writes: {answer.status}")
    conn.close()


def _get(url: str) -> bytes:
    parts = urllib.parse.urlsplit(url)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=120)
    conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"GET {url}: {answer.status}")
    return body


def _etag(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", parts.path)
    answer = conn.getresponse()
    answer.read()
    return answer.headers["ETag"]


#: (name, numerator, denominator, target, what): a ratio of requests/s (or of RSS).
RATIOS = [
    ("post page (cached) / naive page", "read_cached", "read_naive", 0.8, ">="),
    ("post page (cache off) / naive page", "read_uncached", "read_naive", None, ">="),
    ("post page (cached) / bare Flask from memory", "read_cached", "read_memory", 0.5, ">="),
    (
        "10,000-comment post, first page / 11-comment post (page cache)",
        "read_big_cached",
        "read_cached",
        1 / 1.5,
        ">=",
    ),
    (
        "10,000-comment post, first page / 11-comment post (cache off)",
        "read_big_uncached",
        "read_uncached",
        1 / 1.5,
        ">=",
    ),
    ("comment POST at 11 / naive POST", "write_at11", "write_naive", 0.75, ">="),
    ("comment POST at 2,000 / at 11", "write_at2000", "write_at11", 0.9, ">="),
    ("index p1 at 10,000 posts / at 10", "index_10000_p1", "index_10", 1 / 1.5, ">="),
    ("index p500 at 10,000 posts / p1 at 10", "index_10000_p500", "index_10", 1 / 1.5, ">="),
    ("PostgreSQL / SQLite: post page (cached)", "pg_read_cached", "read_cached", 0.8, ">="),
    (
        "PostgreSQL / SQLite: post page (cache off)",
        "pg_read_uncached",
        "read_uncached",
        0.8,
        ">=",
    ),
    ("PostgreSQL / SQLite: comment POST at 11", "pg_write_at11", "write_at11", 0.8, ">="),
    ("peak RSS per worker: 10,000-comment post / 11", "memory_10000", "memory_11", 1.2, "<="),
]


def ratios(figures: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, top, bottom, target, sense in RATIOS:
        if top not in figures or bottom not in figures:
            continue
        key = "peak_rss_mb" if top.startswith("memory") else "per_second"
        a, b = figures[top][key], figures[bottom][key]
        value = round(a / b, 2) if b else None
        ran_out = [k for k in (top, bottom) if figures[k].get("ran_out")]
        met = None
        if target is not None and value is not None and not ran_out:
            met = value >= target if sense == ">=" else value <= target
        out.append(
            {
                "ratio": name,
                "value": value,
                "target": target and f"{sense} {target:.2f}",
                "met": met,
                "ran_out": ran_out,
            }
        )
    return out


ROWS = [
    ("read post page (11 comments), page cache", "read_cached"),
    ("read post page, cache off", "read_uncached"),
    ("read post page, If-None-Match → 304", "read_304"),
    ("read 10,000-comment post (first page of threads), page cache", "read_big_cached"),
    ("read 10,000-comment post (first page of threads), cache off", "read_big_uncached"),
    ("naive Flask+SQLAlchemy+Jinja page", "read_naive"),
    ("bare Flask, same bytes from memory", "read_memory"),
    ("comment POST, post at 11 comments (first)", "write_at11_first"),
    ("comment POST, post at 2,000 comments", "write_at2000"),
    ("comment POST, post at 11 comments (again)", "write_at11_again"),
    ("comment POST, post at 11 comments (mean of the two)", "write_at11"),
    ("naive app's comment POST (first)", "write_naive_first"),
    ("naive app's comment POST (again, after ours)", "write_naive_again"),
    ("naive app's comment POST (mean of the two)", "write_naive"),
    ("index page 1, 10-post site (cache off)", "index_10"),
    ("index page 1, 10,000 posts (cache off)", "index_10000_p1"),
    ("index page 500, 10,000 posts (cache off)", "index_10000_p500"),
    ("PostgreSQL: read post page, page cache", "pg_read_cached"),
    ("PostgreSQL: read post page, cache off", "pg_read_uncached"),
    ("PostgreSQL: comment POST at 11", "pg_write_at11"),
]


def table(results: dict[str, Any]) -> str:
    """The Markdown tables bench/README.md shows."""
    figures = results["figures"]
    lines = [
        "| workload | req/s | p50 ms | p99 ms | server CPU ms/req |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, key in ROWS:
        f = figures.get(key)
        if f:
            lines.append(
                f"| {label} | {f['per_second']:,} | {f['p50_ms']} | {f['p99_ms']} | {f['cpu_ms']} |"
            )
    for tag in ("11", "10000"):
        f = figures.get(f"memory_{tag}")
        if f:
            lines.append(
                f"| peak RSS per worker, post with {int(tag):,} comments | "
                f"{f['peak_rss_mb']} MB | | | |"
            )
    lines += ["", "| ratio (same run) | value | target | met |", "|---|---:|---:|:---:|"]
    for r in results["ratios"]:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        if r.get("ran_out"):
            met = f"not judged: {', '.join(r['ran_out'])} ran out of writes (--writes)"
        lines.append(f"| {r['ratio']} | {r['value']} | {r['target'] or ''} | {met} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.perf",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="per workload")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--writes",
        type=int,
        default=None,
        help=f"POSTs prepared per workload (default: {WRITES_PER_SECOND:,} per second of it)",
    )
    parser.add_argument("--python-load", action="store_true", help="not wrk, even if present")
    parser.add_argument(
        "--worker-class",
        help="gunicorn's worker class for every server (default: gunicorn.conf.py's gthread); "
        "sync is how issue 9 first measured",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BLOGENGINE_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    if args.worker_class:  # read by gunicorn after its config file, for every server
        os.environ["GUNICORN_CMD_ARGS"] = f"--worker-class {args.worker_class}"
    if args.writes is None:
        args.writes = int(args.seconds * WRITES_PER_SECOND)
    started = time.monotonic()
    results = run(args)
    results["wall_seconds"] = round(time.monotonic() - started)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"perf-{results['run_id']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(results["log"]))
    print(f"load: {results['load']}")
    print(f"before: {results['uptime_before']}\nafter:  {results['uptime_after']}\n")
    print(table(results))
    print()
    for name, check in results["checks"].items():
        print(f"writes {name}: {check}")
    print(
        f"\n{'every 303 stored once' if results['ok'] else 'WRITES VIOLATED'}; "
        f"{results['wall_seconds']} s; written to {path}"
    )
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
