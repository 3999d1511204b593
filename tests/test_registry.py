"""The plugin interface: backends found in all three sources, chosen by config, and used.

The plugins here are written outside blogengine, the way a site owner or a third party would:
a file in a plugins folder, and a separately built and installed distribution (tests/plugin_dist)
whose entry points name the backends.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from support import CommentPoster, make_config, make_post

from blogengine import create_app
from blogengine.comments import get_registry, get_service
from blogengine.comments.builtin.captcha_fixed import FixedAnswerCaptcha
from blogengine.comments.builtin.filter_honeypot import HoneypotFilter
from blogengine.comments.builtin.filter_links import LinksFilter
from blogengine.comments.contracts import Action, Status
from blogengine.comments.registry import (
    CAPTCHA,
    COMMENT_STORES,
    SPAM_FILTERS,
    Registry,
    RegistryError,
    UnknownBackend,
)
from blogengine.extensions import db
from blogengine.serving import serve_warnings

PLUGIN_DIST = Path(__file__).resolve().parent / "plugin_dist"

PINEAPPLE_PLUGIN = '''
"""A site's own filter: comments about pineapple wait for the owner."""

from blogengine.comments.contracts import Action, Verdict


class PineappleFilter:
    def __init__(self, *, word: str = "pineapple") -> None:
        self.word = word

    def check(self, draft, ctx):
        if self.word in draft.body.lower():
            return Verdict(Action.MODERATE, f"mentions {self.word}", "pineapple")
        return None


def register(registry):
    registry.register_spam_filter("pineapple", PineappleFilter)
'''


def write_plugin(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def new_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> Flask:
    """create_app with the test config (no migrations: start-up is what is under test)."""
    monkeypatch.setenv("BLOGENGINE_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(make_config(tmp_path, **overrides))


# -- the installed distribution ----------------------------------------------------------
@pytest.fixture(scope="session")
def shout_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/plugin_dist built and installed by pip, once per session, into its own folder.

    A --target folder rather than the venv's site-packages: parallel workers and other test
    runs sharing the venv never see the plugin, and nothing is left behind if a run dies.
    """
    target = tmp_path_factory.mktemp("site-packages")
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    source = shutil.copytree(PLUGIN_DIST, tmp_path_factory.mktemp("plugin-src") / "dist")
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
            "--no-build-isolation", "--disable-pip-version-check",
            "--target", str(target), str(source),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    assert (target / "blogengine_shout-1.0.0.dist-info" / "entry_points.txt").is_file()
    return target


@pytest.fixture
def shout_installed(shout_dist: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The installed distribution on sys.path for one test, then gone again."""
    monkeypatch.syspath_prepend(str(shout_dist))  # also invalidates importlib's caches
    yield shout_dist
    sys.modules.pop("blogengine_shout", None)
    importlib.invalidate_caches()


# -- discovery ---------------------------------------------------------------------------
def test_builtins_are_found_in_every_slot() -> None:
    registry = Registry()
    registry.discover(None)
    assert {"none", "math", "fixed"} <= set(registry.names(CAPTCHA))
    assert {"honeypot", "links", "duplicate"} <= set(registry.names(SPAM_FILTERS))
    assert "sql" in registry.names(COMMENT_STORES)
    origins = {e.name: e.origin for e in registry.entries(CAPTCHA)}
    assert origins["math"] == "built-in"


def test_entry_points_of_an_installed_distribution_are_found(shout_installed: Path) -> None:
    registry = Registry()
    registry.discover(None)
    [shout] = [e for e in registry.entries(CAPTCHA) if e.name == "shout"]
    [caps] = [e for e in registry.entries(SPAM_FILTERS) if e.name == "capslock"]
    assert shout.origin == "entry point blogengine_shout:ShoutCaptcha (blogengine-shout)"
    assert caps.origin == "entry point blogengine_shout:CapsLockFilter (blogengine-shout)"
    assert "blogengine_shout" not in sys.modules, "entry points are loaded only when chosen"
    cls = registry.backend_class(CAPTCHA, "shout")
    assert Path(sys.modules[cls.__module__].__file__ or "").parent == shout_installed


def test_plugin_file_is_found_with_its_path_as_origin(tmp_path: Path) -> None:
    path = write_plugin(tmp_path / "plugins", "pineapple", PINEAPPLE_PLUGIN)
    registry = Registry()
    registry.discover(tmp_path / "plugins")
    [entry] = [e for e in registry.entries(SPAM_FILTERS) if e.name == "pineapple"]
    assert entry.origin == f"plugin file {path}"


def test_files_starting_with_underscore_and_other_files_are_not_plugins(tmp_path: Path) -> None:
    folder = tmp_path / "plugins"
    write_plugin(folder, "_helpers", "X = 1\n")  # no register(): it would fail if loaded
    (folder / "notes.txt").write_text("not python")
    with_folder, without = Registry(), Registry()
    with_folder.discover(folder)
    without.discover(None)
    for slot in (CAPTCHA, SPAM_FILTERS, COMMENT_STORES):
        assert with_folder.names(slot) == without.names(slot)


# -- a plugin file, selected and used through the real form --------------------------------
class TestPluginFileFilterInUse:
    @pytest.fixture
    def app_config(self, tmp_path: Path) -> dict[str, Any]:
        write_plugin(tmp_path / "plugins", "pineapple", PINEAPPLE_PLUGIN)
        return {
            "PLUGINS_FOLDER": str(tmp_path / "plugins"),
            "COMMENTS_SPAM_FILTERS": ["honeypot", "pineapple"],
        }

    def test_it_is_in_the_chain(self, app: Flask) -> None:
        assert get_service(app).chain.names == ["honeypot", "pineapple"]

    def test_a_comment_it_dislikes_is_held_for_moderation(
        self, app: Flask, post: Any, poster: CommentPoster
    ) -> None:
        assert app.config["WTF_CSRF_ENABLED"] is not False
        response = poster.post(post.slug, body="Pineapple belongs on pizza.")
        assert response.status_code == 303
        page = poster.client.get(response.headers["Location"]).get_data(as_text=True)
        assert "awaiting moderation" in page
        with app.app_context():
            [comment] = get_service().store.list_for_post(post.uid, status=None)
        assert comment.status is Status.PENDING
        assert [(v.source, v.action, v.reason) for v in comment.verdicts] == [
            ("pineapple", Action.MODERATE, "mentions pineapple")
        ]
        other_reader = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
        assert "Pineapple belongs on pizza." not in other_reader

    def test_a_comment_it_has_no_opinion_on_is_published(
        self, app: Flask, post: Any, poster: CommentPoster
    ) -> None:
        response = poster.post(post.slug, body="Mango, though.")
        page = poster.client.get(response.headers["Location"]).get_data(as_text=True)
        assert "your comment is published" in page
        with app.app_context():
            [comment] = get_service().store.list_for_post(post.uid)
        assert comment.body == "Mango, though."
        assert comment.verdicts == ()

    def test_without_a_csrf_token_nothing_reaches_the_filter(
        self, app: Flask, post: Any, poster: CommentPoster
    ) -> None:
        form = poster.form_for(post.slug)
        del form["csrf_token"]
        response = poster.post(post.slug, reuse=form, body="pineapple")
        assert response.status_code == 400
        with app.app_context():
            assert get_service().store.list_for_post(post.uid, status=None) == []


# -- an installed distribution, selected and used through the real form ---------------------
class TestInstalledDistributionInUse:
    @pytest.fixture
    def app_config(self, shout_installed: Path) -> dict[str, Any]:
        return {
            "COMMENTS_CAPTCHA": "shout",
            "COMMENTS_CAPTCHA_OPTIONS": {"shout": {"word": "mango"}},
            "COMMENTS_SPAM_FILTERS": ["capslock", "links"],
        }

    def test_its_challenge_is_in_the_form(self, post: Any, poster: CommentPoster) -> None:
        page = poster.client.get(f"/posts/{post.slug}").get_data(as_text=True)
        assert "Shout the word mango (in capitals)" in page

    def test_a_wrong_answer_is_refused_with_its_message(
        self, app: Flask, post: Any, poster: CommentPoster
    ) -> None:
        response = poster.post(post.slug, captcha_answer="mango")
        assert response.status_code == 422
        assert "Please shout MANGO, in capitals." in response.get_data(as_text=True)
        with app.app_context():
            assert get_service().store.list_for_post(post.uid, status=None) == []

    def test_the_right_answer_publishes(self, app: Flask, post: Any, poster: CommentPoster) -> None:
        response = poster.post(post.slug, captcha_answer="MANGO", body="Quietly said.")
        assert response.status_code == 303
        with app.app_context():
            [comment] = get_service().store.list_for_post(post.uid)
        assert comment.body == "Quietly said."

    def test_its_filter_holds_a_shouted_comment(
        self, app: Flask, post: Any, poster: CommentPoster
    ) -> None:
        response = poster.post(post.slug, captcha_answer="MANGO", body="THIS IS VERY LOUD")
        assert response.status_code == 303
        with app.app_context():
            [comment] = get_service().store.list_for_post(post.uid, status=None)
        assert comment.status is Status.PENDING
        assert [v.source for v in comment.verdicts] == ["capslock"]

    def test_blogengine_plugins_names_the_distribution(self, runner: Any) -> None:
        result = runner.invoke(args=["plugins"])
        assert result.exit_code == 0, result.output
        [line] = [ln for ln in result.output.splitlines() if " shout " in ln]
        assert line.split()[:3] == ["captcha", "shout", "yes"]
        assert line.endswith("entry point blogengine_shout:ShoutCaptcha (blogengine-shout)")


# -- selection fails loudly at start-up --------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "slot", "listed"),
    [
        ("COMMENTS_CAPTCHA", "friendlycaptcha", "captcha", ["altcha", "fixed", "math", "none"]),
        (
            "COMMENTS_SPAM_FILTERS",
            ["honeypot", "cleantalk"],
            "spam_filters",
            ["akismet", "honeypot"],
        ),
        ("COMMENTS_STORE", "mongo", "comment_stores", ["sql"]),
    ],
)
def test_an_unknown_backend_stops_start_up_listing_what_exists(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    value: Any,
    slot: str,
    listed: list[str],
) -> None:
    with pytest.raises(UnknownBackend) as raised:
        new_app(tmp_path, monkeypatch, **{key: value})
    name = value if isinstance(value, str) else value[-1]
    assert raised.value.slot == slot
    assert raised.value.name == name
    message = str(raised.value)
    assert f"unknown {slot} backend {name!r}" in message
    available = message.split("available: ", 1)[1]
    for existing in listed:
        assert f"{existing}," in available or f"{existing} (" in available, existing


def test_an_unknown_backend_lists_plugin_file_backends_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path / "plugins", "pineapple", PINEAPPLE_PLUGIN)
    with pytest.raises(UnknownBackend, match="pineapple"):
        new_app(
            tmp_path,
            monkeypatch,
            PLUGINS_FOLDER=str(tmp_path / "plugins"),
            COMMENTS_SPAM_FILTERS=["pinapple"],
        )


def test_a_plugin_file_reusing_a_built_in_name_names_both_origins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_plugin(
        tmp_path / "plugins",
        "mylinks",
        """
        class Links:
            def check(self, draft, ctx):
                return None

        def register(registry):
            registry.register_spam_filter("links", Links)
        """,
    )
    with pytest.raises(RegistryError) as raised:
        new_app(tmp_path, monkeypatch, PLUGINS_FOLDER=str(tmp_path / "plugins"))
    message = str(raised.value)
    assert "'links' is defined twice" in message
    assert "by built-in" in message
    assert f"by plugin file {path}" in message


def test_two_plugin_files_with_one_name_name_both_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_plugin(tmp_path / "plugins", "a_pineapple", PINEAPPLE_PLUGIN)
    second = write_plugin(tmp_path / "plugins", "b_pineapple", PINEAPPLE_PLUGIN)
    with pytest.raises(RegistryError) as raised:
        new_app(tmp_path, monkeypatch, PLUGINS_FOLDER=str(tmp_path / "plugins"))
    assert f"by plugin file {first} and by plugin file {second}" in str(raised.value)


def test_a_plugin_file_reusing_an_entry_point_name_names_both_origins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shout_installed: Path
) -> None:
    path = write_plugin(
        tmp_path / "plugins",
        "shout",
        """
        from blogengine.comments.builtin.captcha_none import NoCaptcha

        def register(registry):
            registry.register_captcha("shout", NoCaptcha)
        """,
    )
    with pytest.raises(RegistryError) as raised:
        new_app(tmp_path, monkeypatch, PLUGINS_FOLDER=str(tmp_path / "plugins"))
    message = str(raised.value)
    assert "captcha backend 'shout' is defined twice" in message
    assert "entry point blogengine_shout:ShoutCaptcha (blogengine-shout)" in message
    assert f"plugin file {path}" in message


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"COMMENTS_SPAM_FILTERS_OPTIONS": {"links": {"max_link": 3}}}, ["links", "max_link"]),
        ({"COMMENTS_CAPTCHA_OPTIONS": {"fixed": {"anwser": "x"}}}, ["fixed", "anwser"]),
        ({"COMMENTS_STORE_OPTIONS": {"sql": {"retry": 3}}}, ["sql", "retry"]),
    ],
)
def test_a_misspelt_option_fails_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(RegistryError, match="bad options") as raised:
        new_app(tmp_path, monkeypatch, **overrides)
    for word in words:
        assert word in str(raised.value)


def test_options_reach_the_backend_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = new_app(
        tmp_path,
        monkeypatch,
        COMMENTS_CAPTCHA_OPTIONS={"fixed": {"answer": "blue"}, "math": {"nonsense": 1}},
        COMMENTS_SPAM_FILTERS_OPTIONS={"links": {"max_links": 7}},
    )
    service = get_service(app)
    assert isinstance(service.captcha, FixedAnswerCaptcha)
    assert service.captcha.answer == "blue"
    links = dict(service.chain.filters)["links"]
    assert isinstance(links, LinksFilter)
    assert links.max_links == 7


def test_a_plugin_file_without_register_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_plugin(tmp_path / "plugins", "forgetful", "class Filter:\n    pass\n")
    with pytest.raises(RegistryError) as raised:
        new_app(tmp_path, monkeypatch, PLUGINS_FOLDER=str(tmp_path / "plugins"))
    assert str(raised.value) == f"plugin file {path} has no register(registry) function"


def test_a_plugin_file_that_does_not_import_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_plugin(tmp_path / "plugins", "broken", "import no_such_module_here\n")
    with pytest.raises(RegistryError) as raised:
        new_app(tmp_path, monkeypatch, PLUGINS_FOLDER=str(tmp_path / "plugins"))
    assert f"plugin file {path} failed to import" in str(raised.value)
    assert "no_such_module_here" in str(raised.value)


def test_a_backend_that_breaks_the_contract_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(
        tmp_path / "plugins",
        "lazy",
        """
        class Lazy:
            def judge(self, draft):  # not check()
                return None

        def register(registry):
            registry.register_spam_filter("lazy", Lazy)
        """,
    )
    with pytest.raises(RegistryError, match="'lazy' does not implement SpamFilter"):
        new_app(
            tmp_path,
            monkeypatch,
            PLUGINS_FOLDER=str(tmp_path / "plugins"),
            COMMENTS_SPAM_FILTERS=["lazy"],
        )


def test_a_found_but_unselected_plugin_is_not_in_the_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path / "plugins", "pineapple", PINEAPPLE_PLUGIN)
    app = new_app(tmp_path, monkeypatch, PLUGINS_FOLDER=str(tmp_path / "plugins"))
    assert "pineapple" in get_registry(app).names(SPAM_FILTERS)
    assert "pineapple" not in get_service(app).chain.names


# -- configuration sources: DefaultConfig < instance/config.py < BLOGENGINE_* env -----------
@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No BLOGENGINE_* variable from the surrounding shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("BLOGENGINE_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_env_overrides_instance_config_which_overrides_defaults(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    instance, plugins = tmp_path / "instance", tmp_path / "plugins"
    instance.mkdir()
    write_plugin(plugins, "pineapple", PINEAPPLE_PLUGIN)
    (instance / "config.py").write_text(
        textwrap.dedent(f"""
        SECRET_KEY = "from-instance-config"
        SQLALCHEMY_DATABASE_URI = "sqlite:///{tmp_path / "site.db"}"
        PLUGINS_FOLDER = {str(plugins)!r}
        COMMENTS_CAPTCHA = "fixed"
        COMMENTS_SPAM_FILTERS = ["links", "duplicate"]
        COMMENTS_SPAM_FILTERS_OPTIONS = {{"links": {{"max_links": 9}}}}
        SITE_TITLE = "Title from instance"
        """)
    )
    clean_env.setenv("BLOGENGINE_INSTANCE_PATH", str(instance))
    clean_env.setenv("BLOGENGINE_COMMENTS_SPAM_FILTERS", '["honeypot", "pineapple"]')
    clean_env.setenv("BLOGENGINE_COMMENTS_SPAM_FILTERS_OPTIONS", '{"honeypot": {"field": "hp"}}')
    clean_env.setenv("BLOGENGINE_SITE_TITLE", "Title from env")

    app = create_app()

    assert app.config["COMMENTS_STORE"] == "sql"  # DefaultConfig only
    assert app.config["COMMENTS_CAPTCHA"] == "fixed"  # instance/config.py over the default
    assert app.config["SECRET_KEY"] == "from-instance-config"
    assert app.config["SITE_TITLE"] == "Title from env"  # env over instance/config.py
    assert app.config["COMMENTS_SPAM_FILTERS"] == ["honeypot", "pineapple"]  # parsed JSON
    service = get_service(app)
    assert isinstance(service.captcha, FixedAnswerCaptcha)
    assert service.chain.names == ["honeypot", "pineapple"]
    honeypot = dict(service.chain.filters)["honeypot"]
    assert isinstance(honeypot, HoneypotFilter)
    assert honeypot.field == "hp"

    # And the env-chosen plugin works on a comment posted through the form, CSRF on.
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    with app.app_context():
        upgrade()
        uid = make_post(title="Fruit", slug="fruit").uid
    poster = CommentPoster(app.test_client())
    response = poster.post("fruit", body="Pineapple again.")
    assert response.status_code == 303
    with app.app_context():
        [comment] = get_service().store.list_for_post(uid, status=None)
        db.engine.dispose()
    assert comment.status is Status.PENDING
    assert [v.source for v in comment.verdicts] == ["pineapple"]


def test_env_and_instance_config_are_ignored_when_a_test_config_is_given(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('COMMENTS_STORE = "mongo"\n')
    clean_env.setenv("BLOGENGINE_COMMENTS_CAPTCHA", "none")
    app = new_app(tmp_path, clean_env)  # would fail on "mongo" if config.py were read
    assert app.config["COMMENTS_CAPTCHA"] == "fixed"
    assert app.config["COMMENTS_STORE"] == "sql"


def test_a_comma_separated_filter_list_from_env_is_accepted(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        f'SECRET_KEY = "k"\nSQLALCHEMY_DATABASE_URI = "sqlite:///{tmp_path / "s.db"}"\n'
    )
    clean_env.setenv("BLOGENGINE_INSTANCE_PATH", str(instance))
    clean_env.setenv("BLOGENGINE_COMMENTS_SPAM_FILTERS", "links, honeypot")
    app = create_app()
    assert get_service(app).chain.names == ["links", "honeypot"]


@pytest.mark.parametrize("name", ["fixed", "none"])
def test_a_captcha_that_keeps_no_bot_out_is_warned_about_when_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    app = new_app(tmp_path, monkeypatch, COMMENTS_CAPTCHA=name)
    assert any(f"COMMENTS_CAPTCHA is '{name}'" in w for w in serve_warnings(app))
