"""Every field a reader (or a stolen owner account) controls comes out escaped or sanitised.

Each payload goes through the real form as name, text and website, and through
markdown_html; the HTML that results is parsed, never grepped, and must hold no element,
attribute or URL that can run script.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient
from xss_payloads import PAYLOADS

from blogengine.rendering import LINK_REL, comment_html, markdown_html

#: Elements a payload must never manage to create.
DANGEROUS_TAGS = frozenset({
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "style", "link", "meta", "base", "form", "template", "noscript",
})  # fmt: skip
#: Attributes whose value a browser follows or loads.
URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "lowsrc", "dynsrc", "cite", "srcset", "codebase",
})  # fmt: skip
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
ATOM = "{http://www.w3.org/2005/Atom}"
SAFE_WEBSITE = "https://reader.example/home"


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Every comment published (no filter holds it back) and room for long names."""
    return {"COMMENTS_SPAM_FILTERS": [], "COMMENT_MAX_AUTHOR": 2000}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag in ``html`` with its attributes, entities already decoded."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def url_is_dangerous(value: str) -> bool:
    """What a browser would see as the scheme: whitespace and controls dropped, case folded."""
    squeezed = "".join(ch for ch in value if ord(ch) > 0x20 and ord(ch) != 0x7F).casefold()
    return squeezed.startswith(BAD_SCHEMES)


def problems(html: str, baseline: Counter[str] | None = None) -> list[str]:
    """Every way ``html`` could run script; ``baseline`` counts the page's own dangerous tags."""
    found: list[str] = []
    tags: Counter[str] = Counter()
    for tag, attrs in elements(html):
        if tag in DANGEROUS_TAGS:
            tags[tag] += 1
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...>")
            if name in ("style", "srcdoc"):
                found.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value and url_is_dangerous(value):
                found.append(f"<{tag} {name}={value!r}>")
    allowed = baseline or Counter()
    found.extend(f"<{tag}> x{n - allowed[tag]}" for tag, n in tags.items() if n > allowed[tag])
    return found


def dangerous_tag_counts(html: str) -> Counter[str]:
    return Counter(tag for tag, _ in elements(html) if tag in DANGEROUS_TAGS)


def feed_contents(xml: str) -> list[str]:
    """The HTML (or text) a feed reader renders: every entry's title, content and summary."""
    root = ET.fromstring(xml)
    out = []
    for entry in root.iter(f"{ATOM}entry"):
        for part in ("title", "content", "summary"):
            for node in entry.iter(f"{ATOM}{part}"):
                out.append("".join(node.itertext()))
        for name in entry.iter(f"{ATOM}name"):
            out.append(name.text or "")
    return out


def test_checker_catches_what_it_looks_for() -> None:
    """The assertions below mean something only if the checker sees real attacks."""
    assert problems("<p>fine <a href='https://x.example'>x</a></p>") == []
    assert problems("<img src=x onerror=alert(1)>")
    assert problems("<a href=' JaVa&#x09;Script:alert(1)'>x</a>")
    assert problems("<a href='\x01data:text/html,x'>x</a>")
    assert problems("<svg><circle/></svg>")
    assert problems("<p style='x'>")
    assert problems("<form></form>", Counter(form=1)) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_html_sanitises(payload: str) -> None:
    for source in (payload, f"Before\n\n{payload}\n\nafter", f"[link]({payload})"):
        html = markdown_html(source)
        assert problems(html) == [], (source, html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_comment_html_escapes(payload: str) -> None:
    html = comment_html(payload)
    assert problems(html) == [], html
    for tag, _attrs in elements(html):
        assert tag in ("p", "br", "a"), html


def test_payload_list_is_broad() -> None:
    assert len(set(PAYLOADS)) >= 60


def _post_page(client: FlaskClient, response: Any) -> str:
    """The page the reader sees: the re-rendered form, or the post after the redirect."""
    if response.status_code == 303:
        return client.get(response.headers["Location"]).get_data(as_text=True)
    return response.get_data(as_text=True)


def test_every_payload_through_the_form_as_name_text_and_website(app, post, poster) -> None:
    app.config["COMMENTS_PER_PAGE"] = 10_000  # every payload on the one page checked last
    client = poster.client
    first = poster.post(post.slug, author="Baseline", body="Plain.", website=SAFE_WEBSITE)
    assert first.status_code == 303
    baseline = dangerous_tag_counts(_post_page(client, first))
    assert baseline["form"] == 1, "the comment form itself is on the page"

    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for number, payload in enumerate(PAYLOADS):
        try:
            response = poster.post(
                post.slug, author=payload, body=f"{payload}\n#{number}", website=SAFE_WEBSITE
            )
        except Exception as exc:
            failures.append(f"name/text {payload!r}: the view raised {exc!r}")
            continue
        statuses[response.status_code] += 1
        if response.status_code != 303:
            failures.append(f"name/text {payload!r}: status {response.status_code}")
        failures += [
            f"name/text {payload!r}: {p}" for p in problems(_post_page(client, response), baseline)
        ]

        try:
            response = poster.post(post.slug, body=f"website #{number}", website=payload)
        except Exception as exc:  # a 500 loses the reader's comment: report it, go on
            failures.append(f"website {payload!r}: the view raised {exc!r}")
            continue
        statuses[response.status_code] += 1
        failures += [
            f"website {payload!r}: {p}" for p in problems(_post_page(client, response), baseline)
        ]

    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    failures += [f"final page: {p}" for p in problems(page, baseline)]
    assert not failures, "\n".join(failures)
    assert statuses[303] >= len(PAYLOADS), statuses
    assert statuses[422] > 0, "unsafe websites are refused, and the refusal page is checked too"
    assert "{{7*7}}" in page and "{% print(7*7) %}" in page, "template syntax stays text"
    assert "test-secret-not-for-production" not in page

    feed = client.get(f"/posts/{post.slug}/comments.atom")
    assert feed.status_code == 200
    contents = feed_contents(feed.get_data(as_text=True))
    assert any("{{7*7}}" in c for c in contents), "the feed carries the comments"
    feed_failures = [f"feed: {p} in {c[:80]!r}" for c in contents for p in problems(c)]
    assert not feed_failures, "\n".join(feed_failures)


def test_website_links_carry_rel_nofollow_ugc_noopener(app, post, poster) -> None:
    response = poster.post(
        post.slug, author="Zoë", website=SAFE_WEBSITE, body="Also see https://b.example/page"
    )
    assert response.status_code == 303
    page = poster.client.get(response.headers["Location"]).get_data(as_text=True)
    links = {
        dict(attrs).get("href"): set((dict(attrs).get("rel") or "").split())
        for tag, attrs in elements(page)
        if tag == "a"
    }
    assert SAFE_WEBSITE in links, "the author's name links to their website"
    assert "https://b.example/page" in links, "a web address in the text becomes a link"
    external = {href: rel for href, rel in links.items() if re.match(r"https?://", href or "")}
    for href, rel in external.items():
        assert set(LINK_REL.split()) <= rel, (href, rel)
