"""Browser fixtures: headless Chromium (Debian's) and blogengine sites served by gunicorn.

Every test here is skipped, with the reason, when /usr/bin/chromium is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    Reader,
    build_database,
    launch_site,
    stop_sites,
    wait_until_up,
)
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    sync_playwright,
)

HERE = Path(__file__).resolve().parent
NO_CHROMIUM = (
    f"e2e: {CHROMIUM} is missing; install Debian's chromium "
    "(apt-get install chromium) to run the browser tests"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this folder's tests, saying why, on a machine without Chromium."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=NO_CHROMIUM)
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveServer]]:
    """Three sites from one migrated, seeded database, started together and stopped together.

    * ``main``: the math CAPTCHA, the default filters, a 500-character comment limit;
    * ``short_ttl``: CAPTCHA questions expire after 2 s (the app has no clock hook yet);
    * ``flaky``: the test plugin's `flaky` store, failing while its fail_marker exists;
    * ``altcha``: the proof-of-work CAPTCHA with its default cost, math for readers without JS.
    * ``threads``: replies on the seeded article (its own copy, so the reading tests still
      see the archive's 11 comments), nested three levels deep at most.
    """
    database = build_database(tmp_path_factory.mktemp("database"))
    plans: dict[str, tuple[dict[str, Any], bool]] = {
        "main": ({"COMMENT_MAX_BODY": 500}, False),
        "short_ttl": ({"COMMENTS_CAPTCHA_OPTIONS": {"math": {"ttl": 2}}}, False),
        "flaky": ({"COMMENTS_CAPTCHA": "fixed"}, True),
        "altcha": ({"COMMENTS_CAPTCHA": "altcha"}, False),
        "threads": ({"COMMENTS_MAX_DEPTH": 3, "SITE_TIMEZONE": "Europe/Paris"}, False),
    }
    servers: dict[str, LiveServer] = {}
    try:
        for name, (config, flaky) in plans.items():
            root = tmp_path_factory.mktemp(name)
            servers[name] = launch_site(root, config, database, flaky_store=flaky)
        for server in servers.values():
            wait_until_up(server)
        yield servers
    finally:
        stop_sites(list(servers.values()))


@pytest.fixture(scope="session")
def site(sites: dict[str, LiveServer]) -> LiveServer:
    return sites["main"]


@pytest.fixture(scope="session")
def short_ttl_site(sites: dict[str, LiveServer]) -> LiveServer:
    return sites["short_ttl"]


@pytest.fixture(scope="session")
def threads_site(sites: dict[str, LiveServer]) -> LiveServer:
    return sites["threads"]


@pytest.fixture(scope="session")
def flaky_site(sites: dict[str, LiveServer]) -> LiveServer:
    return sites["flaky"]


@pytest.fixture(scope="session")
def altcha_site(sites: dict[str, LiveServer]) -> LiveServer:
    return sites["altcha"]


@pytest.fixture
def reader_on(browser: Browser) -> Iterator[Callable[[LiveServer], Reader]]:
    """Make a reader (a fresh browser context: own cookies) on a site; no dialog may open."""
    contexts: list[BrowserContext] = []
    readers: list[Reader] = []

    def make(server: LiveServer, **context_options: Any) -> Reader:
        """``context_options`` go to Playwright's new_context (java_script_enabled=False...)."""
        context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        reader = Reader(page=page, server=server)

        def on_dialog(dialog: Dialog) -> None:
            reader.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            if message.type != "error":
                return
            source = message.location.get("url", "")
            if source.endswith("/favicon.ico"):
                # Chromium asks once per browser, so only the first test would see it:
                # test_site_has_an_icon checks the icon instead, in every run.
                return
            reader.console_errors.append(f"{message.text} ({source})")

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda error: reader.console_errors.append(f"pageerror: {error}"))
        readers.append(reader)
        return reader

    yield make
    for context in contexts:
        context.close()
    opened = [d for r in readers for d in r.dialogs]
    assert not opened, f"a dialog opened (script ran from page content): {opened}"


@pytest.fixture
def reader(site: LiveServer, reader_on: Callable[[LiveServer], Reader]) -> Reader:
    """A reader on the main site."""
    return reader_on(site)
