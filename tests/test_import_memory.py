"""Importing a 100 MB WXR export keeps memory flat: one item at a time, cleared after use."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from flask import Flask

from blogengine.archives import wxr
from blogengine.archives.importer import run_import
from blogengine.archives.model import Report
from blogengine.comments import get_service

SIZE = 100 * 1024 * 1024
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Big</title><wp:wxr_version>1.2</wp:wxr_version>
"""
PARAGRAPH = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod. " * 14


def item(n: int) -> str:
    """About 50 KB: a long post body over many lines, and three comments."""
    body = "\n\n".join(PARAGRAPH for _ in range(45))
    comments = "".join(
        f"<wp:comment><wp:comment_id>{n * 10 + i + 1}</wp:comment_id>"
        f"<wp:comment_author>Reader {i}</wp:comment_author>"
        f"<wp:comment_date_gmt>2020-01-0{i + 1} 10:00:00</wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[{PARAGRAPH}]]></wp:comment_content>"
        f"<wp:comment_approved>1</wp:comment_approved>"
        f"<wp:comment_parent>{n * 10 + i if i else 0}</wp:comment_parent></wp:comment>\n"
        for i in range(3)
    )
    return (
        f"<item><title>Post {n}</title><wp:post_id>{n}</wp:post_id>"
        f"<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status>"
        f"<wp:post_type>post</wp:post_type>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>\n{comments}</item>\n"
    )


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("big") / "big.wordpress.xml"
    items = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        while out.tell() < SIZE:
            out.write(item(items))
            items += 1
        out.write("</channel></rss>\n")
    return path, items


@pytest.mark.slow
def test_reading_a_100_mb_export_keeps_memory_flat(big_export: tuple[Path, int]) -> None:
    path, items = big_export
    assert path.stat().st_size >= SIZE
    report = Report(str(path))
    tracemalloc.start()
    try:
        count = sum(1 for _ in wxr.read(path, report))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == items and report.total_comments == 3 * items
    assert report.replies == 2 * items
    # One item is ~50 KB: a generous bound that a parser holding the file (100 MB) breaks.
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.slow
def test_a_dry_run_of_a_100_mb_export_keeps_memory_flat(
    app: Flask, big_export: tuple[Path, int]
) -> None:
    """The writer's planning pass too: nothing per post is kept but the claimed slugs."""
    path, items = big_export
    with app.app_context():
        store = get_service().store
        tracemalloc.start()
        try:
            report = run_import(str(path), lambda r: wxr.read(path, r), store, dry_run=True)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert report.actions["imported"] == items
    assert report.comments_added == 3 * items
    assert peak < 30 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
