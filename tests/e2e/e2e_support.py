"""What the browser tests share: a gunicorn-served site and a reader driving Chromium."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from live import free_port, site_env
from playwright.sync_api import Locator, Page, Response
from support import solve_math

PROJECT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = PROJECT / ".venv" / "bin"
#: Debian's Chromium; E2E_CHROMIUM names another build (never a downloaded one).
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = HERE / "artifacts"
FLAKY_PLUGIN = HERE / "flaky_store_plugin.py"

#: Logs to stdout (the site's gunicorn.log), then the app to serve.
GUNICORN_ARGS = ("--access-logfile", "-", "--error-logfile", "-", "wsgi:app")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: The archived article `blogengine seed seeds/*` imports (tests only read it).
SEED_TITLE = "Hillary Mann Leverett: America Loses Another Bit of Leverage with Iran"
#: A post of the tests' own, so commenting never changes the archived article.
PLAYGROUND_SLUG = "e2e-playground"
PLAYGROUND_TITLE = "A post for the browser tests"

_ADD_PLAYGROUND = f"""
from blogengine import create_app
from blogengine.extensions import db
from blogengine.models import Post
from blogengine.rendering import paragraphs_html

app = create_app()
with app.app_context():
    text = ["Comments posted by the browser tests land here."]
    db.session.add(Post(title={PLAYGROUND_TITLE!r}, slug={PLAYGROUND_SLUG!r}, body_format="text",
        body_source=text[0], body_html=paragraphs_html(text), excerpt=text[0]))
    db.session.commit()
"""


def typed_text(tag: str) -> str:
    """A comment as a reader types it: several lines, curly quotes, dashes, markup, unicode.

    ``tag`` makes it unique, so the duplicate filter never sees two tests' texts as one.
    """
    return (
        f"[{tag}] I read this twice – and the “protected status” bit… surprised me.\n"
        "Second line: café, naïve, Ελληνικά, 日本語 — and an emoji 🙂\n"
        "\n"
        "A new paragraph with <script>alert('typed')</script> & </textarea><b>not bold</b>\n"
        "    an indented line, kept as typed"
    )


@dataclass
class LiveServer:
    """A blogengine site served by gunicorn on 127.0.0.1 from its own temporary instance."""

    root: Path
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.root / "blog.db"

    @property
    def log_path(self) -> Path:
        return self.root / "gunicorn.log"

    @property
    def fail_marker(self) -> Path:
        """While this file exists, a site on the `flaky` store cannot store comments."""
        return self.root / "store-fails"

    def post_url(self, slug: str = PLAYGROUND_SLUG) -> str:
        return f"{self.url}/posts/{slug}"

    def comments_with_body(self, body: str) -> list[tuple[int | None, str]]:
        """(number, status) of every stored comment with exactly this text, read from SQLite
        (a held or spam comment has no number: None)."""
        stored = body.replace("\r\n", "\n").strip("\n")
        with sqlite3.connect(self.db_path, timeout=10) as conn:
            rows = conn.execute(
                "SELECT number, status FROM comments WHERE body = ? ORDER BY number", (stored,)
            ).fetchall()
        conn.close()
        return [(int(n) if n is not None else None, str(s)) for n, s in rows]

    def set_status(self, number: int, status: str) -> None:
        """Moderate comment ``number`` of the seeded article straight in SQLite (no desk yet)."""
        with sqlite3.connect(self.db_path, timeout=10) as conn:
            conn.execute(
                "UPDATE comments SET status = ? WHERE number = ? AND post_id = "
                "(SELECT uid FROM posts WHERE title = ?)",
                (status, number, SEED_TITLE),
            )
        conn.close()

    def failed_requests(self) -> list[str]:
        """Requests gunicorn answered with 4xx/5xx (favicon fetches reach no page event)."""
        if not self.log_path.exists():
            return []
        found = re.findall(r'"([A-Z]+ \S+) HTTP/[\d.]+" ([45]\d\d) ', self.log_path.read_text())
        return [f"{status} {request}" for request, status in found]

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def build_database(root: Path) -> Path:
    """Migrate and seed one database with the real commands; every site starts from a copy."""
    (root / "instance").mkdir(parents=True)
    env = site_env(root, {})
    seeds = sorted(str(p.relative_to(PROJECT)) for p in (PROJECT / "seeds").glob("*.txt"))
    _run(env, [str(BIN / "blogengine"), "db", "upgrade"])
    _run(env, [str(BIN / "blogengine"), "seed", *seeds])
    _run(env, [str(BIN / "python"), "-c", _ADD_PLAYGROUND])
    return root / "blog.db"


def launch_site(
    root: Path,
    config: Mapping[str, Any],
    database: Path,
    *,
    flaky_store: bool = False,
    workers: int = 2,
) -> LiveServer:
    """A new instance with a copy of ``database``, served by gunicorn (not yet waited for).

    ``flaky_store`` installs the test plugin and chooses its store, failing while the
    site's ``fail_marker`` exists. ``workers=1`` for a test that counts on the in-memory
    rate-limit store (each worker keeps its own counts).
    """
    (root / "instance").mkdir(parents=True)
    for suffix in ("", "-wal"):
        if Path(f"{database}{suffix}").exists():
            shutil.copy(f"{database}{suffix}", root / f"blog.db{suffix}")
    config = dict(config)
    server = LiveServer(root=root, env={}, port=free_port())
    if flaky_store:
        folder = root / "plugins"
        folder.mkdir()
        shutil.copy(FLAKY_PLUGIN, folder / "flaky_store.py")
        config["PLUGINS_FOLDER"] = str(folder)
        config["COMMENTS_STORE"] = "flaky"
        config["COMMENTS_STORE_OPTIONS"] = {"flaky": {"fail_marker": str(server.fail_marker)}}
    server.env = site_env(root, config)
    bind = f"127.0.0.1:{server.port}"
    with server.log_path.open("wb") as log:
        server.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "--bind", bind, *GUNICORN_ARGS],
            cwd=PROJECT,
            env=server.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return server


def stop_sites(servers: list[LiveServer]) -> None:
    """Stop each gunicorn we started (SIGINT: quick shutdown of arbiter and workers)."""
    running = [s.process for s in servers if s.process is not None and s.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGINT)
    for process in running:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _run(env: dict[str, str], command: list[str]) -> None:
    result = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:3])} failed ({result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )


def create_admin(server: LiveServer, name: str, password: str) -> None:
    """An owner account on ``server``'s site, made as an owner makes one: `create-admin`."""
    subprocess.run(
        [str(BIN / "blogengine"), "create-admin", name],
        cwd=PROJECT,
        env={**server.env, "BLOGENGINE_ADMIN_PASSWORD": password},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
        timeout=60,
    )


def wait_until_up(server: LiveServer, timeout: float = 30.0) -> None:
    """Poll the playground post until gunicorn answers 200; say why if it never does."""
    deadline = time.monotonic() + timeout
    assert server.process is not None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start-up:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.post_url(), timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def solve(question: str) -> str:
    """The answer a person gives to the CAPTCHA's question (math or fixed backend)."""
    if "?" in question:
        return str(solve_math(question))
    word = re.search(r"Type the word (\w+)", question)
    if word:
        return word.group(1)
    raise AssertionError(f"a CAPTCHA question the tests cannot answer: {question!r}")


COMMENT_ANCHOR = re.compile(r"#comment-(\d+)$")


def published_number(reader: Reader) -> int:
    """The number in the page's #comment-N anchor after a published comment's redirect."""
    match = COMMENT_ANCHOR.search(reader.page.url)
    assert match, f"not sent to a comment's anchor: {reader.page.url}"
    return int(match.group(1))


@dataclass
class Reader:
    """A reader in Chromium: opens posts, fills the comment form, reads what the page says."""

    page: Page
    server: LiveServer
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def open(self, slug: str = PLAYGROUND_SLUG) -> Response:
        answer = self.page.goto(self.server.post_url(slug))
        assert answer is not None and answer.status == 200, answer and answer.status
        return answer

    @property
    def respond(self) -> Locator:
        """The comment section (id="respond"), holding the form."""
        return self.page.locator("#respond")

    @property
    def name_field(self) -> Locator:
        return self.respond.get_by_label(re.compile(r"^\s*Name\b"))

    @property
    def comment_field(self) -> Locator:
        return self.respond.get_by_label(re.compile(r"^\s*Comment\b"))

    @property
    def captcha_field(self) -> Locator:
        return self.respond.locator('[name="captcha_answer"]')

    @property
    def submit_button(self) -> Locator:
        return self.respond.get_by_role("button", name="Post comment")

    def fill(self, *, name: str, text: str) -> None:
        self.name_field.fill(name)
        self.comment_field.fill(text)

    def captcha_question(self) -> str:
        """The text of the CAPTCHA input's label(s): the question a person reads."""
        return str(
            self.captcha_field.evaluate(
                "el => Array.from(el.labels || []).map(l => l.textContent).join(' ')"
            )
        )

    def captcha_token(self) -> str | None:
        token = self.respond.locator('[name="captcha_token"]')
        return token.get_attribute("value") if token.count() else None

    def answer_captcha(self, *, right: bool = True) -> None:
        answer = solve(self.captcha_question())
        if not right:
            answer = str(int(answer) + 1) if answer.isdigit() else answer + "x"
        self.captcha_field.fill(answer)

    def submit(self) -> Response:
        """Click "Post comment" and return the answer to the page's navigation."""
        with self.page.expect_navigation() as navigation:
            self.submit_button.click()
        answer = navigation.value
        assert answer is not None
        return answer

    def alert_text(self) -> str:
        return " ".join(self.page.get_by_role("alert").all_inner_texts())

    def status_text(self) -> str:
        return " ".join(self.page.get_by_role("status").all_inner_texts())

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path
