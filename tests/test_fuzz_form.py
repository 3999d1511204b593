"""Fuzzing the comment form: whatever a client sends, never a 5xx, and the form comes back.

The property, for every request Hypothesis builds: the answer is not a server error; when it is
not a redirect (the comment was stored) the page holds the comment form, and when the body
was sent as a text field of a request that was read (not a 413), the textarea gives it back as
typed (line breaks made "\\n" and control characters dropped, as the form does) and the name
field too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support import build_app, hidden_fields, input_value, make_post, textarea

from blogengine.comments.forms import without_controls
from blogengine.extensions import db

SLUG = "fuzz"
TEXT_FIELDS = ("author", "email", "website", "body")
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- the apps, built once per module (a function-scoped fixture cannot feed @given) -------


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Flask]]:
    """Two apps on their own databases: CSRF on (as served) and off (to reach deeper code)."""
    built: dict[str, Flask] = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, csrf in (("csrf", True), ("nocsrf", False)):
            tmp = tmp_path_factory.mktemp(f"fuzz-{name}")
            app = build_app(tmp, monkeypatch, WTF_CSRF_ENABLED=csrf)
            with app.app_context():
                make_post(title="Fuzz me", slug=SLUG)
            built[name] = app
        yield built
        for app in built.values():
            with app.app_context():
                db.engine.dispose()


# -- what a client may send ---------------------------------------------------------------

#: Any text UTF-8 can carry (Hypothesis leaves out surrogates), NUL and controls included.
texts = st.text(max_size=200)
#: Beyond COMMENT_MAX_BODY (10,000) and up to beyond MAX_CONTENT_LENGTH (256 KiB).
huge_texts = st.builds(
    lambda chunk, n: (chunk * (n // max(1, len(chunk)) + 1))[:n],
    st.text(min_size=1, max_size=5),
    st.integers(min_value=9_000, max_value=300_000),
)
values = st.one_of(texts, texts, texts, huge_texts, st.just(""), st.just("   \r\n\t"))
#: Per field: mostly what passes validation (so the store is reached too), else anything.
_author = st.text(min_size=1, max_size=60).map(lambda t: "A" + t)
_body = texts.map(lambda t: t + " b")
_email = st.sampled_from(["", "reader@example.org"]) | st.emails()
_website = st.sampled_from(["", "example.org/ü?q=<x>", "http://[::1]:80/"])


def mostly(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Three in four from ``valid``, else anything (one_of would flatten and dilute it)."""
    return st.sampled_from([valid, valid, valid, values]).flatmap(lambda chosen: chosen)


FIELD_VALUES = {
    "author": mostly(_author),
    "email": mostly(_email),
    "website": mostly(_website),
    "body": mostly(_body),
}


@dataclass
class Sent:
    """One request to make, and what it means for the property."""

    kind: str  # "urlencoded", "multipart", "raw" or "json"
    fields: list[tuple[str, Any]] = field(default_factory=list)
    raw: bytes = b""
    body_text: str | None = None  # the first "body" sent as a text field, if any
    author_text: str | None = None
    merge_hidden: bool = False  # a JSON object that also carries the page's fields


@st.composite
def form_fields(draw: st.DrawFn, files: bool) -> tuple[list[tuple[str, Any]], dict[str, str]]:
    """The visible fields: each missing, once or repeated; files instead of text if allowed.

    Also returns each field's first value when that one is text (the one the form reads).
    """
    pairs: list[tuple[str, Any]] = []
    for name in TEXT_FIELDS:
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 1, 1, 2, 3]))):
            if files and draw(st.integers(0, 4)) == 0:
                content = draw(st.binary(max_size=100))
                filename = draw(st.sampled_from(["x.txt", "", "a b.bin"]))
                pairs.append((name, (io.BytesIO(content), filename)))
            else:
                pairs.append((name, draw(FIELD_VALUES[name])))
    pairs = draw(st.permutations(pairs))
    first: dict[str, str] = {}
    for name, value in pairs:
        if name not in first and isinstance(value, str):
            first[name] = value
    return pairs, first


@st.composite
def hidden_choice(draw: st.DrawFn) -> dict[str, str]:
    """Which of the page's own fields (token, key, CAPTCHA) to keep, break or drop."""
    if draw(st.integers(0, 9)) < 7:
        return {}  # all kept, so the request gets past the token and the CAPTCHA
    return {
        name: draw(st.sampled_from(["keep", "keep", "keep", "drop", "garble"]))
        for name in ("csrf_token", "submission_key", "captcha_answer")
    }


def apply_hidden(page_fields: dict[str, str], choice: dict[str, str]) -> list[tuple[str, str]]:
    given_fields = dict(page_fields, captcha_answer="human")
    out = []
    for name, value in given_fields.items():
        if name in TEXT_FIELDS:
            continue  # the page's empty inputs: the request decides about those
        how = choice.get(name, "keep")
        if how == "drop":
            continue
        out.append((name, value[::-1] + "x" if how == "garble" else value))
    return out


@st.composite
def requests(draw: st.DrawFn) -> tuple[Sent, dict[str, str]]:
    kind = draw(st.sampled_from(["urlencoded"] * 3 + ["multipart"] * 2 + ["raw", "json"]))
    choice = draw(hidden_choice())
    if kind in ("urlencoded", "multipart"):
        pairs, first = draw(form_fields(files=kind == "multipart"))
        sent = Sent(kind, pairs, body_text=first.get("body"), author_text=first.get("author"))
    elif kind == "raw":
        # Raw bytes, percent-encoded or not at all: invalid UTF-8, stray '&', '=' and '%'.
        parts = []
        for name in TEXT_FIELDS:
            value = draw(st.binary(max_size=60))
            encoded = quote_from_bytes(value).encode() if draw(st.booleans()) else value
            parts.append(name.encode() + b"=" + encoded)
        parts.append(draw(st.binary(max_size=30)))
        sent = Sent(kind, raw=b"&".join(parts))
    else:
        document = draw(
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | texts,
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(TEXT_FIELDS) | texts, inner, max_size=5)
                ),
                max_leaves=10,
            )
        )
        sent = Sent(kind, raw=json.dumps(document).encode())
        sent.merge_hidden = isinstance(document, dict) and draw(st.booleans())
    return sent, choice


# -- sending and checking -----------------------------------------------------------------


def send(app: Flask, sent: Sent, choice: dict[str, str]) -> Any:
    client = app.test_client()
    page = client.get(f"/posts/{SLUG}")
    assert page.status_code == 200
    hidden = apply_hidden(hidden_fields(page.get_data(as_text=True)), choice)
    url = f"/posts/{SLUG}/comments"
    if sent.kind in ("urlencoded", "multipart"):
        data = [*hidden, *sent.fields]
        return client.post(url, data=_multidict(data), content_type=_content_type(sent.kind))
    headers = {}
    token = dict(hidden).get("csrf_token")
    if sent.kind == "raw":
        raw = b"&".join(f"{k}={v}".encode() for k, v in hidden) + b"&" + sent.raw
        return client.post(url, data=raw, content_type="application/x-www-form-urlencoded")
    raw = sent.raw
    if sent.merge_hidden:
        raw = json.dumps({**json.loads(raw), **dict(hidden)}).encode()
    if token:
        headers["X-CSRFToken"] = token  # a JSON client would send the token this way
    return client.post(url, data=raw, content_type="application/json", headers=headers)


def _multidict(pairs: list[tuple[str, Any]]) -> Any:
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def _content_type(kind: str) -> str:
    return "multipart/form-data" if kind == "multipart" else "application/x-www-form-urlencoded"


def check(response: Any, sent: Sent) -> None:
    status = response.status_code
    assert status < 500, f"{status} for a {sent.kind} request"
    if status == 303:
        assert f"/posts/{SLUG}#" in response.headers["Location"]
        return
    assert status in (400, 413, 422), status
    page = response.get_data(as_text=True)
    assert '<form class="comment-form"' in page, "the form comes back"
    assert 'name="body"' in page
    if status == 413 or sent.kind not in ("urlencoded", "multipart"):
        return
    typed = (sent.body_text or "").replace("\r\n", "\n").replace("\r", "\n")
    assert textarea(page) == without_controls(typed)  # controls go: never typed on purpose
    assert input_value(page, "author") == without_controls(sent.author_text or "")


# -- the properties -----------------------------------------------------------------------


@FUZZ
@given(request=requests())
def test_form_with_csrf_never_fails(apps: dict[str, Flask], request: tuple[Sent, dict]) -> None:
    sent, choice = request
    response = send(apps["csrf"], sent, choice)
    event(f"{sent.kind} -> {response.status_code}")  # --hypothesis-show-statistics
    check(response, sent)


@settings(FUZZ, max_examples=100)
@given(request=requests())
def test_form_without_csrf_never_fails(apps: dict[str, Flask], request: tuple[Sent, dict]) -> None:
    sent, choice = request
    response = send(apps["nocsrf"], sent, choice)
    event(f"{sent.kind} -> {response.status_code}")
    check(response, sent)


# -- the cases the fuzzers found, kept as plain regression tests ---------------------------


@pytest.mark.parametrize("app_name", ["csrf", "nocsrf"])
@pytest.mark.parametrize("file_field", ["body", "author", "email", "website"])
def test_a_file_where_text_belongs_is_a_422(
    apps: dict[str, Flask], app_name: str, file_field: str
) -> None:
    fields = {"author": "Ada", "body": "Text.", "email": "", "website": ""}
    fields[file_field] = (io.BytesIO(b"not text"), "x.txt")  # type: ignore[assignment]
    sent = Sent("multipart", list(fields.items()))
    sent.body_text = None if file_field == "body" else "Text."
    sent.author_text = None if file_field == "author" else "Ada"
    response = send(apps[app_name], sent, {})
    check(response, sent)
    if file_field in ("body", "author"):
        assert response.status_code == 422


@pytest.mark.parametrize("app_name", ["csrf", "nocsrf"])
@pytest.mark.parametrize(
    "document", [[1, 2], "text", 7, None, {"body": {"a": 1}, "author": 5}, {"body": ["x"]}]
)
def test_a_json_body_is_not_read_as_the_form(
    apps: dict[str, Flask], app_name: str, document: object
) -> None:
    sent = Sent("json", raw=json.dumps(document).encode())
    sent.merge_hidden = isinstance(document, dict)
    response = send(apps[app_name], sent, {})
    check(response, sent)
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("app_name", ["csrf", "nocsrf"])
def test_malformed_json_is_not_a_500(apps: dict[str, Flask], app_name: str) -> None:
    sent = Sent("json", raw=b'{"body": "unterminated')
    response = send(apps[app_name], sent, {})
    check(response, sent)


def test_raw_non_utf8_urlencoded_body_is_a_400_with_the_form(apps: dict[str, Flask]) -> None:
    """Werkzeug drops a urlencoded body that is not UTF-8 whole: the token with it."""
    sent = Sent("raw", raw=b"author=\xff\xfeAda&body=caf\xe9")
    response = send(apps["csrf"], sent, {})
    check(response, sent)
    assert response.status_code == 400


def test_percent_encoded_non_utf8_is_kept_as_typed(apps: dict[str, Flask]) -> None:
    sent = Sent("raw", raw=b"author=Ada%FF&body=caf%E9 %C3( fuzz-regression")
    response = send(apps["csrf"], sent, {})
    check(response, sent)
    assert response.status_code == 303
    page = apps["csrf"].test_client().get(response.headers["Location"]).get_data(as_text=True)
    assert "Ada%FF" in page and "caf%E9 %C3( fuzz-regression" in page


def test_over_max_content_length_is_a_413_with_the_form(apps: dict[str, Flask]) -> None:
    sent = Sent("urlencoded", [("author", "Ada"), ("body", "x" * 300_000)])
    response = send(apps["csrf"], sent, {})
    check(response, sent)
    assert response.status_code == 413
