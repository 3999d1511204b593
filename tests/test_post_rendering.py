"""The owner's posts: their own links, highlighted code, and an excerpt that reads as one."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from blogengine.highlight import stylesheet
from blogengine.rendering import comment_html, markdown_html

POST = """# Highlighted

## Before anything

```python
def answer(x):
    return x < 42
```

The opening words of the post, with [a link](https://example.org/owner).

Later words.
"""


def test_the_owners_links_are_not_nofollow_but_readers_links_are() -> None:
    owner = markdown_html("See [my other post](https://example.org/a).")
    assert '<a href="https://example.org/a">my other post</a>' in owner
    assert "nofollow" not in owner and "ugc" not in owner
    reader = comment_html("See https://example.org/spam")
    assert 'rel="nofollow ugc noopener"' in reader


def test_fenced_code_keeps_its_language_and_is_highlighted_without_style() -> None:
    html = markdown_html(POST)
    assert '<pre><code class="language-python">' in html
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">answer</span>' in html
    assert "style=" not in html and "<script" not in html


def test_an_unknown_language_keeps_its_class_and_plain_escaped_text() -> None:
    html = markdown_html("```nosuchlanguage\n<b>bold?</b>\n```\n")
    assert html == (
        '<pre><code class="language-nosuchlanguage">&lt;b&gt;bold?&lt;/b&gt;\n</code></pre>\n'
    )


def test_only_language_and_token_classes_survive_the_sanitiser() -> None:
    html = markdown_html(
        '<span class="k evil">x</span> <code class="language-py x">y</code> '
        '<p class="big">z</p> <span class="nf" style="color:red" onclick="a()">w</span>'
    )
    assert '<span class="k">x</span>' in html
    assert "<code>y</code>" in html  # a class that is not just a language goes
    assert "big" not in html and "style" not in html and "onclick" not in html
    assert '<span class="nf">w</span>' in html


def test_the_stylesheet_is_static_current_and_linked_under_the_csp(app: Flask) -> None:
    client = app.test_client()
    served = client.get("/static/pygments.css")
    assert served.status_code == 200
    assert served.get_data(as_text=True) == stylesheet(), "regenerate: see highlight.py"
    page = client.get("/")
    assert re.search(r'<link rel="stylesheet" href="/static/pygments.css[^"]*">', page.text)
    assert "style-src 'self';" in page.headers["Content-Security-Policy"]


def test_the_index_excerpt_is_the_first_paragraph_as_text(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    article = tmp_path / "post.md"
    article.write_text(POST)
    assert runner.invoke(args=["posts", "add", str(article)]).exit_code == 0
    page = app.test_client().get("/").get_data(as_text=True)
    assert "The opening words of the post, with a link." in page
    assert "Before anything" not in page and "return x" not in page
