"""Comments under load: many readers posting at once to several gunicorn workers.

Why: SQLite (WAL, busy timeout, BEGIN IMMEDIATE) and PostgreSQL (advisory lock per post) must
neither lose nor duplicate a comment, nor leave a gap in a post's numbers, when every worker
writes at once. The script builds a throw-away site, serves it with gunicorn, drives it with
threads that behave like browsers (own cookies, CSRF token and submission key from the page),
then reads the database directly and checks the invariants.

    python -m bench.load_comments --comments 2000 --clients 32 --db sqlite
    python -m bench.load_comments --comments 2000 --clients 32 --db postgres

CAPTCHA is set to `none`: the challenge is not what is measured (a bot would solve it anyway),
and the default spam chain ["honeypot", "links", "duplicate"] runs on unique texts. Rate limits
are switched off (RATELIMIT_ENABLED, COMMENTS_RATE_LIMIT) because every client is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_FILTERS = ["honeypot", "links", "duplicate"]
LOCKED = "database is locked"
REQUEST_TIMEOUT = 60.0

_INPUT = re.compile(r"<input[^>]*>")
_NAME = re.compile(r'\bname="([^"]+)"')
_VALUE = re.compile(r'\bvalue="([^"]*)"')
_ANCHOR = re.compile(r"#comment-(\d+)$")


@dataclass(frozen=True)
class LoadConfig:
    """One run's size; the defaults are the README's full-size run."""

    comments: int = 2000
    clients: int = 32
    workers: int = 4
    db: str = "sqlite"
    posts: int = 1
    time_limit: float = 600.0
    baseline_requests: int = 1000
    pg_url: str = DEFAULT_PG_URL
    spam_filters: tuple[str, ...] = tuple(DEFAULT_FILTERS)
    keep: bool = False


@dataclass
class Site:
    """The throw-away site: its folder, env, database URL and posts."""

    root: Path
    env: dict[str, str]
    db_url: str
    schema: str | None
    slugs: list[str] = field(default_factory=list)
    uids: dict[str, str] = field(default_factory=dict)


@dataclass
class Attempt:
    """One reader's try: GET the page, POST the comment. Status 0 means no HTTP answer."""

    index: int
    slug: str
    body: str
    get_status: int = 0
    get_ms: float = 0.0
    post_status: int = 0
    post_ms: float = 0.0
    location: str = ""
    locked: bool = False
    error: str = ""


# -- the site --------------------------------------------------------------------------------


def _bin(name: str) -> str:
    """A console script of the interpreter running us (the venv's), else from PATH."""
    candidate = Path(sys.executable).with_name(name)
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found next to {sys.executable} nor on PATH")
    return found


def _with_search_path(url: str, schema: str) -> str:
    """The URL whose connections see only ``schema`` (keeps other tests' tables untouched)."""
    option = "options=" + urllib.parse.quote(f"-csearch_path={schema}", safe="")
    return url + ("&" if "?" in url else "?") + option


def _pg_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def _run(cmd: Sequence[str], env: dict[str, str], timeout: float = 120.0) -> str:
    done = subprocess.run(
        list(cmd), cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout


_MAKE_POSTS = """
import json, sys
from blogengine import create_app
from blogengine.extensions import db
from blogengine.models import Post
from blogengine.rendering import paragraphs_html

app = create_app()
out = []
with app.app_context():
    for i in range(int(sys.argv[1])):
        text = [f"Load post {i}.", "Readers are about to talk about it, all at once."]
        post = Post(title=f"Load post {i}", slug=f"load-post-{i}", body_format="text",
                    body_source="\\n".join(text), body_html=paragraphs_html(text),
                    excerpt=text[0])
        db.session.add(post)
        db.session.commit()
        out.append([post.slug, post.uid])
print(json.dumps(out))
"""


def prepare(config: LoadConfig, root: Path) -> Site:
    """A fresh instance folder, env, migrated database and the posts to comment on."""
    instance = root / "instance"
    instance.mkdir(parents=True)
    schema = None
    if config.db == "sqlite":
        db_url = f"sqlite:///{instance / 'blogengine.db'}"
    elif config.db == "postgres":
        schema = f"bench_{secrets.token_hex(4)}"
        with _pg_connect(config.pg_url) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        db_url = _with_search_path(config.pg_url, schema)
    else:
        raise ValueError(f"unknown database {config.db!r}: sqlite or postgres")

    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGENGINE_")}
    env.update(
        BLOGENGINE_INSTANCE_PATH=str(instance),
        BLOGENGINE_SQLALCHEMY_DATABASE_URI=db_url,
        BLOGENGINE_SECRET_KEY=f"bench-{secrets.token_hex(16)}",
        BLOGENGINE_COMMENTS_CAPTCHA="none",
        BLOGENGINE_COMMENTS_SPAM_FILTERS=json.dumps(list(config.spam_filters)),
        BLOGENGINE_RATELIMIT_ENABLED="false",
        BLOGENGINE_COMMENTS_RATE_LIMIT="",
        PYTHONUNBUFFERED="1",
    )
    site = Site(root=root, env=env, db_url=db_url, schema=schema)
    _run([_bin("blogengine"), "db", "upgrade"], env)
    made = json.loads(_run([sys.executable, "-c", _MAKE_POSTS, str(config.posts)], env))
    site.slugs = [slug for slug, _ in made]
    site.uids = {slug: uid for slug, uid in made}
    return site


def drop(site: Site, config: LoadConfig) -> None:
    """Remove the PostgreSQL schema (the temp folder is removed by the caller)."""
    if site.schema:
        with _pg_connect(config.pg_url) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{site.schema}" CASCADE')


# -- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(site: Site, workers: int, ready_path: str) -> Iterator[tuple[str, Path]]:
    """`gunicorn -w N wsgi:app` on a free local port, until it answers; stopped on exit."""
    with serving(site.env, site.root / "gunicorn.log", workers, ready_path) as (base, _proc):
        yield base, site.root / "gunicorn.log"


@contextmanager
def serving(
    env: dict[str, str], log_path: Path, workers: int, ready_path: str, app: str = "wsgi:app"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`gunicorn -w N APP` on a free 127.0.0.1 port, until it answers; (base URL, master)."""
    port = _free_port()
    cmd = [_bin("gunicorn"), "-w", str(workers), "--bind", f"127.0.0.1:{port}", app]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}):\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(base + ready_path, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer in 60 s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


# -- the readers -----------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep the 303 itself: its status and Location are what is measured."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Reader:
    """One browser: its own cookie jar (session, CSRF), no redirect following."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str, float]:
        """(status, body, Location, milliseconds); status 0 when no HTTP answer came."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=data, timeout=REQUEST_TIMEOUT) as answer:
                status, body, location = answer.status, answer.read(), answer.headers["Location"]
        except urllib.error.HTTPError as answer:
            status, body, location = answer.code, answer.read(), answer.headers["Location"]
        except (urllib.error.URLError, OSError) as exc:
            return 0, repr(exc), "", (time.perf_counter() - started) * 1000
        ms = (time.perf_counter() - started) * 1000
        return status, body.decode("utf-8", "replace"), location or "", ms

    def comment(self, attempt: Attempt) -> Attempt:
        """GET the post page, fill the form from it, POST the comment."""
        status, page, _, ms = self.request(f"/posts/{attempt.slug}")
        attempt.get_status, attempt.get_ms = status, ms
        attempt.locked = LOCKED in page
        if status != 200:
            attempt.error = page[-300:] if status == 0 else ""
            return attempt
        form = form_fields(page)
        form.update(author=f"Reader {attempt.index % 97}", body=attempt.body)
        status, answer, location, ms = self.request(f"/posts/{attempt.slug}/comments", form)
        attempt.post_status, attempt.post_ms, attempt.location = status, ms, location
        attempt.locked = attempt.locked or LOCKED in answer
        if status == 0:
            attempt.error = answer[-300:]
        return attempt


def form_fields(page: str) -> dict[str, str]:
    """The named inputs that carry a value (csrf_token, submission_key), as a browser sends."""
    fields = {}
    for tag in _INPUT.findall(page):
        name, value = _NAME.search(tag), _VALUE.search(tag)
        if name and value:
            fields[name.group(1)] = value.group(1).replace("&amp;", "&")
    return fields


def comment_text(run_id: str, index: int) -> str:
    """A unique, link-free text so the duplicate and links filters have nothing to say."""
    return f"Comment {index} of run {run_id}.\nWritten under load; every word is mine."


def _concurrently(clients: int, work: Any, deadline: float) -> float:
    """Run ``work(reader_index, deadline)`` on ``clients`` threads; the wall time in seconds."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(work, c, deadline) for c in range(clients)]
        for future in futures:
            future.result()
    return time.perf_counter() - started


def read_pages(base: str, slug: str, clients: int, count: int, limit: float) -> dict[str, Any]:
    """The baseline: ``count`` GETs of the post page by ``clients`` readers at once."""
    tickets = iter(range(count))
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    locked = 0

    def work(_client: int, deadline: float) -> None:
        nonlocal locked
        reader = Reader(base)
        while time.monotonic() < deadline:
            with lock:
                if next(tickets, None) is None:
                    return
            status, body, _, ms = reader.request(f"/posts/{slug}")
            with lock:
                statuses[status] += 1
                latencies.append(ms)
                locked += LOCKED in body

    seconds = _concurrently(clients, work, time.monotonic() + limit)
    ok = statuses[200]
    return {
        "requests": sum(statuses.values()),
        "seconds": round(seconds, 3),
        "per_second": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "locked": locked,
    }


def post_comments(site: Site, base: str, config: LoadConfig, run_id: str) -> tuple[list, float]:
    """``config.comments`` comments by ``config.clients`` readers; (attempts, seconds)."""
    tickets = iter(range(config.comments))
    lock = threading.Lock()
    attempts: list[Attempt] = []

    def work(_client: int, deadline: float) -> None:
        reader = Reader(base)
        while time.monotonic() < deadline:
            with lock:
                index = next(tickets, None)
            if index is None:
                return
            slug = site.slugs[index % len(site.slugs)]
            attempt = reader.comment(Attempt(index, slug, comment_text(run_id, index)))
            with lock:
                attempts.append(attempt)

    seconds = _concurrently(config.clients, work, time.monotonic() + config.time_limit)
    return sorted(attempts, key=lambda a: a.index), seconds


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile in ms, rounded; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return round(ordered[int(rank) - 1], 1)


# -- the checks ------------------------------------------------------------------------------


def stored_rows(site: Site) -> list[tuple[str, str, int, str]]:
    """(post_id, body, number, status) of every stored comment, read past the app."""
    query = "SELECT post_id, body, number, status FROM comments"
    if site.schema is None:
        path = site.db_url.removeprefix("sqlite:///")
        with sqlite3.connect(path, timeout=30) as conn:
            return [tuple(row) for row in conn.execute(query)]
    with _pg_connect(site.db_url) as conn:
        return [tuple(row) for row in conn.execute(query)]


def check(site: Site, attempts: Sequence[Attempt], log_text: str) -> dict[str, Any]:
    """Every invariant the load must keep, each with a count and a few examples."""
    rows = stored_rows(site)
    by_body: dict[str, list[tuple[str, str, int, str]]] = {}
    for row in rows:
        by_body.setdefault(row[1], []).append(row)
    sent = {a.body for a in attempts}
    accepted = [a for a in attempts if a.post_status == 303]
    lost = [a.index for a in accepted if len(by_body.get(a.body, [])) == 0]
    duplicated = [a.index for a in accepted if len(by_body.get(a.body, [])) > 1]
    ghosts = [a.index for a in attempts if a.post_status != 303 and a.body in by_body]
    unknown = [body[:60] for body in by_body if body not in sent]
    wrong_post = [
        a.index for a in accepted if any(r[0] != site.uids[a.slug] for r in by_body.get(a.body, []))
    ]
    anchor_mismatch = []
    for a in accepted:
        match = _ANCHOR.search(a.location)
        stored = by_body.get(a.body, [])
        if match and len(stored) == 1 and int(match.group(1)) != stored[0][2]:
            anchor_mismatch.append(a.index)
    numbers: dict[str, list[int]] = {}
    for post_id, _, number, _ in rows:
        numbers.setdefault(post_id, []).append(number)
    gaps = {
        post_id: _gap_summary(nums)
        for post_id, nums in numbers.items()
        if sorted(nums) != list(range(1, len(nums) + 1))
    }
    server_5xx = [a.index for a in attempts if a.get_status >= 500 or a.post_status >= 500]
    no_answer = [
        a.index
        for a in attempts
        if a.get_status == 0 or (a.post_status == 0 and a.get_status == 200)
    ]
    locked = [a.index for a in attempts if a.locked]
    violations = {
        "lost": lost,
        "duplicated": duplicated,
        "ghosts": ghosts,
        "unknown": unknown,
        "wrong_post": wrong_post,
        "anchor_mismatch": anchor_mismatch,
        "number_gaps": gaps,
        "server_5xx": server_5xx,
        "no_answer": no_answer,
        "locked_in_body": locked,
        "locked_in_log": log_text.count(LOCKED),
        "tracebacks_in_log": log_text.count("Traceback"),
    }
    return {
        "stored": len(rows),
        "statuses": dict(Counter(row[3] for row in rows)),
        "violations": {
            k: (v if isinstance(v, int) else _examples(v)) for k, v in violations.items()
        },
        "ok": not any(violations.values()),
    }


def _examples(found: Sequence[Any] | dict[str, Any]) -> Any:
    """A count and the first few, so a failing JSON stays readable."""
    if isinstance(found, dict):
        return found
    return {"count": len(found), "first": list(found[:10])} if found else 0


def _gap_summary(numbers: list[int]) -> dict[str, Any]:
    counts = Counter(numbers)
    top = max(numbers, default=0)
    return {
        "count": len(numbers),
        "max": top,
        "repeated": sorted(n for n, c in counts.items() if c > 1)[:10],
        "missing": [n for n in range(1, top + 1) if n not in counts][:10],
    }


# -- the run ---------------------------------------------------------------------------------


def run(config: LoadConfig, results_dir: Path | None = RESULTS_DIR) -> dict[str, Any]:
    """Prepare, serve, measure the GET baseline, post the comments, check; the report."""
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    root = Path(tempfile.mkdtemp(prefix=f"blogengine-bench-{config.db}-"))
    site: Site | None = None
    try:
        site = prepare(config, root)
        first = site.slugs[0]
        with gunicorn(site, config.workers, f"/posts/{first}") as (base, log_path):
            warm = max(config.clients, config.workers * 4)
            read_pages(base, first, config.clients, warm, 60)
            before = read_pages(
                base, first, config.clients, config.baseline_requests, config.time_limit
            )
            attempts, seconds = post_comments(site, base, config, run_id)
            # The full page is slow to render; a few rounds are enough to measure it.
            after_count = min(config.baseline_requests, config.clients * 4)
            after = read_pages(base, first, config.clients, after_count, config.time_limit)
        log_text = log_path.read_text(errors="replace")
        checks = check(site, attempts, log_text)
        report = summarise(config, run_id, attempts, seconds, before, after, checks)
        if results_dir is not None:
            results_dir.mkdir(parents=True, exist_ok=True)
            path = results_dir / f"comments-{config.db}-{run_id}.json"
            report["attempts_sample"] = [asdict(a) for a in attempts if _bad(a)][:50]
            path.write_text(json.dumps(report, indent=2) + "\n")
            report["json"] = str(path)
        if not checks["ok"]:
            report["server_log_tail"] = log_text[-4000:]
        return report
    finally:
        if site is not None:
            drop(site, config)
        if config.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def _bad(a: Attempt) -> bool:
    return a.post_status != 303 or a.locked or bool(a.error)


def summarise(
    config: LoadConfig,
    run_id: str,
    attempts: Sequence[Attempt],
    seconds: float,
    before: dict[str, Any],
    after: dict[str, Any],
    checks: dict[str, Any],
) -> dict[str, Any]:
    """The figures the README table shows, and the ratio to the same run's GET baseline."""
    accepted = sum(a.post_status == 303 for a in attempts)
    per_second = round(accepted / seconds, 1) if seconds else 0.0
    errors = Counter(
        f"GET {a.get_status}" if a.get_status != 200 else f"POST {a.post_status}"
        for a in attempts
        if a.post_status != 303
    )
    return {
        "run_id": run_id,
        "config": {k: v for k, v in asdict(config).items() if k not in ("pg_url", "keep")},
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            # The machine may be shared: a load average well above the CPU count means noise.
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "requested": config.comments,
        "attempted": len(attempts),
        "accepted": accepted,
        "seconds": round(seconds, 3),
        "comments_per_second": per_second,
        "post_p50_ms": percentile([a.post_ms for a in attempts if a.post_status], 50),
        "post_p99_ms": percentile([a.post_ms for a in attempts if a.post_status], 99),
        "get_p50_ms": percentile([a.get_ms for a in attempts], 50),
        "get_p99_ms": percentile([a.get_ms for a in attempts], 99),
        "errors": dict(sorted(errors.items())),
        "baseline_get": before,
        "get_after_load": after,
        "ratio_to_baseline_get": round(per_second / before["per_second"], 3)
        if before["per_second"]
        else None,
        "checks": checks,
    }


def print_summary(report: dict[str, Any]) -> None:
    """A few lines for a person; the JSON has everything."""
    c = report["config"]
    before, after, checks = report["baseline_get"], report["get_after_load"], report["checks"]
    print(
        f"{c['db']}: {report['accepted']}/{report['requested']} comments accepted in "
        f"{report['seconds']:.1f} s by {c['clients']} clients on {c['workers']} workers "
        f"({c['posts']} post(s), filters {c['spam_filters']})"
    )
    print(
        f"  comments/s {report['comments_per_second']}  "
        f"POST p50 {report['post_p50_ms']} ms  p99 {report['post_p99_ms']} ms  "
        f"(page GET in the cycle p50 {report['get_p50_ms']} ms  p99 {report['get_p99_ms']} ms)"
    )
    print(
        f"  baseline GET/s {before['per_second']} (empty post, p50 {before['p50_ms']} ms); "
        f"after load {after['per_second']} (p50 {after['p50_ms']} ms); "
        f"comments/s ÷ baseline GET/s = {report['ratio_to_baseline_get']}"
    )
    print(f"  errors {report['errors'] or 'none'}  stored {checks['stored']} {checks['statuses']}")
    print(f"  machine {report['machine']}")
    bad = {k: v for k, v in checks["violations"].items() if v}
    print("  invariants: " + ("all kept" if checks["ok"] else f"VIOLATED {json.dumps(bad)}"))
    if "json" in report:
        print(f"  written to {report['json']}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; exit status 1 when an invariant is broken."""
    parser = argparse.ArgumentParser(prog="python -m bench.load_comments", description=__doc__)
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--posts", type=int, default=1, help="posts the comments spread over")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per phase")
    parser.add_argument("--baseline-requests", type=int, default=1000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BLOGENGINE_TEST_POSTGRES_URL", DEFAULT_PG_URL),
        help="server database; the run gets its own schema in it, dropped afterwards",
    )
    parser.add_argument(
        "--filters", default=",".join(DEFAULT_FILTERS), help="spam chain, comma-separated"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    config = LoadConfig(
        comments=args.comments,
        clients=args.clients,
        workers=args.workers,
        db=args.db,
        posts=args.posts,
        time_limit=args.time_limit,
        baseline_requests=args.baseline_requests,
        pg_url=args.pg_url,
        spam_filters=tuple(n.strip() for n in args.filters.split(",") if n.strip()),
        keep=args.keep,
    )
    report = run(config, None if args.no_json else RESULTS_DIR)
    print_summary(report)
    return 0 if report["checks"]["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
