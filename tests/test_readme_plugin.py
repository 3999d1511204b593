"""The plugin the documentation shows works as written: found, listed, chosen and used.

The example is read from README.md's "## Writing a plugin" section when that section holds a
python block, else from docs/writing-a-plugin.md, so the published text is what is tested.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from support import CommentPoster

from blogengine.comments import get_registry, get_service
from blogengine.comments.contracts import Action, Status
from blogengine.comments.registry import SPAM_FILTERS

PROJECT = Path(__file__).resolve().parent.parent
SECTION = "## Writing a plugin"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, re.S | re.M)


def documented_plugin() -> tuple[Path, str]:
    """Where the example comes from, and its source: the one python block there."""
    readme = PROJECT / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if SECTION in text:
            section = text.split(SECTION, 1)[1]
            section = re.split(r"^## ", section, maxsplit=1, flags=re.M)[0]
            if python_blocks(section):
                [block] = python_blocks(section)
                return readme, block
    doc = PROJECT / "docs" / "writing-a-plugin.md"
    blocks = python_blocks(doc.read_text(encoding="utf-8"))
    assert len(blocks) == 1, f"{doc} should hold exactly one python block, not {len(blocks)}"
    return doc, blocks[0]


SOURCE_FILE, EXAMPLE = documented_plugin()


def test_the_example_imports_nothing_from_blogengine_but_the_contract() -> None:
    tree = ast.parse(EXAMPLE)
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert "blogengine.comments.contracts" in imported
    assert all(
        name == "blogengine.comments.contracts"
        for name in imported
        if name and name.split(".")[0] == "blogengine"
    ), imported
    assert any(isinstance(n, ast.FunctionDef) and n.name == "register" for n in tree.body)


@pytest.fixture
def plugin_file(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    path = folder / "documented_example.py"
    path.write_text(EXAMPLE, encoding="utf-8")
    return path


def documented_name(path: Path) -> str:
    """The spam filter the example registers (found the way the site finds it)."""
    from blogengine.comments.registry import Registry

    registry = Registry()
    registry.discover(path.parent)
    names = [e.name for e in registry.entries(SPAM_FILTERS) if e.origin == f"plugin file {path}"]
    assert len(names) == 1, f"the example in {SOURCE_FILE} should register one spam filter"
    return names[0]


@pytest.fixture
def app_config(plugin_file: Path) -> dict[str, Any]:
    name = documented_name(plugin_file)
    return {"PLUGINS_FOLDER": str(plugin_file.parent), "COMMENTS_SPAM_FILTERS": ["honeypot", name]}


def test_blogengine_plugins_lists_it_as_active(
    app: Flask, runner: FlaskCliRunner, plugin_file: Path
) -> None:
    name = documented_name(plugin_file)
    result = runner.invoke(args=["plugins"])
    assert result.exit_code == 0, result.output
    [line] = [ln for ln in result.output.splitlines() if ln.split()[2:3] == [name]]
    assert line.split()[:4] == ["spam", "filter", name, "yes,"]
    assert "#2" in line
    assert line.endswith(f"plugin file {plugin_file}")
    assert name in get_registry(app).names(SPAM_FILTERS)


def test_it_holds_a_too_short_comment_and_lets_a_real_one_through(
    app: Flask, post: Any, poster: CommentPoster, plugin_file: Path
) -> None:
    name = documented_name(plugin_file)
    short = poster.post(post.slug, body="Nice!")
    assert short.status_code == 303
    assert "awaiting moderation" in poster.client.get(short.headers["Location"]).get_data(
        as_text=True
    )
    poster.post(post.slug, body="A real reply with something to say about the post.")
    with app.app_context():
        # Numbered (published) comments first, then the unnumbered (held) ones.
        published, held = get_service().store.list_for_post(post.uid, status=None)
    assert held.status is Status.PENDING
    assert [(v.source, v.action) for v in held.verdicts] == [(name, Action.MODERATE)]
    assert published.status is Status.APPROVED
    assert published.verdicts == ()


def test_the_readme_and_the_how_to_show_the_same_example() -> None:
    """README.md carries the example itself; docs/writing-a-plugin.md must not drift from it."""
    assert SOURCE_FILE.name == "README.md"
    doc = PROJECT / "docs" / "writing-a-plugin.md"
    assert python_blocks(doc.read_text(encoding="utf-8")) == [EXAMPLE]


def test_the_documented_contract_test_passes_for_the_documented_plugin(tmp_path: Path) -> None:
    """docs/writing-a-plugin.md's SpamFilterContract example runs as written, and passes."""
    doc = (PROJECT / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8")
    [test_source] = re.findall(
        r'^```python title="tests/test_too_short.py"\n(.*?)^```', doc, re.S | re.M
    )
    (tmp_path / "too_short.py").write_text(EXAMPLE, encoding="utf-8")
    (tmp_path / "test_too_short.py").write_text(test_source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_too_short.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed", result.stdout), result.stdout[-500:]
