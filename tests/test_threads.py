"""Replies, pages of threads, permalinks, who and when: the post page's conversation."""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from desk_support import make_owner, sign_in
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import (
    PostInfo,
    add_comment,
    add_post,
    build_app,
    hidden_fields,
    make_config,
    textarea,
)

from blogengine import create_app
from blogengine.comments import get_service
from blogengine.comments.contracts import (
    CommentDraft,
    NewComment,
    PostRef,
    Role,
    Status,
    StoredComment,
)
from blogengine.comments.forms import without_controls
from blogengine.comments.service import PUBLISHED_MESSAGE, REPLY_REFUSED_MESSAGE, OutcomeKind
from blogengine.comments.threads import build_threads
from blogengine.extensions import db
from blogengine.post_page import CANNOT_ANSWER
from blogengine.rendering import comment_html

ATOM = "{http://www.w3.org/2005/Atom}"
THR = "{http://purl.org/syndication/thread/1.0}"


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def reply(app: Flask, post: PostInfo, parent: StoredComment, body: str, **kw: Any) -> StoredComment:
    """A published reply put straight into the store."""
    with app.app_context():
        return get_service().store.add(
            NewComment(
                draft=CommentDraft(
                    post_id=post.uid, author=kw.pop("author", "Replier"), body=body,
                    parent_id=parent.id,
                ),
                status=kw.pop("status", Status.APPROVED),
                body_html=comment_html(body),
                created_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
            )
        )  # fmt: skip


def item(html: str, number: int) -> str:
    """The markup of comment ``number``'s own card (not its replies)."""
    match = re.search(
        rf'<li id="comment-{number}"[^>]*>\s*<div class="comment-card">(.*?)</div>\s*'
        r"(?:<ol|</li>)",
        html,
        re.S,
    )
    assert match, f"comment {number} is not on the page"
    return match.group(1)


def replies_of(html: str, number: int) -> list[int]:
    """Numbers of the comments nested directly or deeper under comment ``number``."""
    start = html.index(f'<li id="comment-{number}"')
    depth, pos, found = 0, start, []
    for tag in re.finditer(r'<li id="comment-(\d+)"|</li>', html[start:]):
        if tag.group(0) == "</li>":
            depth -= 1
            if depth == 0:
                break
        else:
            depth += 1
            if tag.start() > 0:
                found.append(int(tag.group(1)))
    del pos
    return found


# -- the tree -------------------------------------------------------------------------------
def stored(number: int, parent: int | None = None) -> StoredComment:
    return StoredComment(
        id=f"c{number}", post_id="p", number=number, author=f"A{number}", body="",
        body_html="", created_at=None, status=Status.APPROVED,
        parent_id=f"c{parent}" if parent else None,
    )  # fmt: skip


def shape(nodes: list[Any]) -> list[Any]:
    return [(n.comment.number, n.depth, shape(n.replies)) for n in nodes]


def test_replies_nest_and_deeper_ones_attach_at_the_last_level() -> None:
    chain = [stored(1), stored(2, 1), stored(3, 2), stored(4, 3), stored(5, 1), stored(6)]
    assert shape(build_threads(chain, 3)) == [
        (1, 1, [(2, 2, [(3, 3, []), (4, 3, [])]), (5, 2, [])]),
        (6, 1, []),
    ]
    nodes = build_threads(chain, 3)
    deep = nodes[0].replies[0].replies[1]
    assert deep.comment.number == 4 and deep.parent is not None and deep.parent.number == 3
    flat = build_threads(chain, 1)
    assert [(n.comment.number, n.depth) for n in flat] == [(i, 1) for i in range(1, 7)]
    assert [n.parent.number if n.parent else None for n in flat] == [None, 1, 2, 3, 1, None]


def test_a_reply_whose_parent_is_not_shown_is_at_the_top_and_says_so() -> None:
    nodes = build_threads([stored(1), stored(3, 2)], 5)
    assert shape(nodes) == [(1, 1, []), (3, 1, [])]
    assert nodes[1].parent_missing and nodes[1].parent is None


# -- replying through the form ----------------------------------------------------------------
def test_reply_link_opens_a_reply_form_without_script(app, client, post):
    ada = add_comment(app, post.uid, author="Ada", body="Top.")
    html = page(client, f"/posts/{post.slug}")
    link = f'href="/posts/{post.slug}?replyto={ada.number}#respond"'
    assert link in item(html, 1)

    form_page = page(client, f"/posts/{post.slug}?replyto=1")
    assert "Replying to <a" in form_page and "Ada (#1)</a>" in form_page
    assert hidden_fields(form_page)["replyto"] == "1"
    assert '<button type="submit">Post reply</button>' in form_page


def test_a_reply_is_nested_under_its_parent_and_says_whom_it_answers(app, client, post, poster):
    add_comment(app, post.uid, author="Ada", body="Top.")
    add_comment(app, post.uid, author="Bob", body="Another thread.")
    form = hidden_fields(page(client, f"/posts/{post.slug}?replyto=1"))
    sent = poster.post(post.slug, reuse=form, author="Cy", body="An answer to Ada.")
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/posts/{post.slug}#comment-3")

    html = page(client, sent.headers["Location"])
    assert replies_of(html, 1) == [3]
    assert replies_of(html, 2) == []
    assert 'In reply to <a href="#comment-1">Ada (#1)</a>' in item(html, 3)
    with app.app_context():
        answer = get_service().store.get_by_number(post.uid, 3)
        parent = get_service().store.get_by_number(post.uid, 1)
    assert answer is not None and parent is not None and answer.parent_id == parent.id


def test_a_failed_reply_keeps_every_field_and_whom_it_answers(app, client, post, poster):
    add_comment(app, post.uid, author="Ada", body="Top.")
    form = hidden_fields(page(client, f"/posts/{post.slug}?replyto=1"))
    text = "My answer,\n  kept as typed."
    sent = poster.post(
        post.slug, reuse=form, author="Cy", body=text, website="https://cy.example",
        captcha_answer="robot",
    )  # fmt: skip
    assert sent.status_code == 422
    html = sent.get_data(as_text=True)
    assert textarea(html) == text
    assert hidden_fields(html)["replyto"] == "1"
    assert "Replying to <a" in html and "Ada (#1)" in html
    assert 'value="https://cy.example"' in html


@pytest.mark.parametrize("fate", [Status.PENDING, Status.SPAM, Status.DELETED, "purged"])
def test_a_reply_to_a_comment_no_longer_published_is_refused_with_the_text_kept(
    app, client, post, poster, fate
):
    ada = add_comment(app, post.uid, author="Ada", body="Top.")
    form = hidden_fields(page(client, f"/posts/{post.slug}?replyto=1"))
    with app.app_context():
        store = get_service().store
        store.delete(ada.id) if fate == "purged" else store.set_status(ada.id, fate)
    text = "An answer that must not be lost."
    sent = poster.post(post.slug, reuse=form, author="Cy", body=text)

    assert sent.status_code == 422
    html = sent.get_data(as_text=True)
    assert REPLY_REFUSED_MESSAGE in html
    assert textarea(html) == text
    assert hidden_fields(html)["replyto"] == "", "the form is now a new comment's"
    with app.app_context():
        assert get_service().store.list_for_post(post.uid, None) == (
            [] if fate == "purged" else [get_service().store.get(ada.id)]
        )


@pytest.mark.parametrize("target", ["99", "0", "abc", "1 OR 1=1", "٣"])
def test_a_reply_to_an_unknown_or_other_posts_number_is_refused(app, client, post, poster, target):
    other = add_post(app, "Elsewhere", "elsewhere")
    for _ in range(3):
        add_comment(app, other.uid, body="On the other post.")
    form = hidden_fields(page(client, f"/posts/{post.slug}"))
    sent = poster.post(post.slug, reuse=form, replyto=target, body="Hello?")
    assert sent.status_code == 422
    assert REPLY_REFUSED_MESSAGE in sent.get_data(as_text=True)
    assert textarea(sent.get_data(as_text=True)) == "Hello?"


def test_replyto_for_an_unpublished_comment_shows_the_plain_form(app, client, post):
    ada = add_comment(app, post.uid, author="Ada", body="Top.")
    with app.app_context():
        get_service().store.set_status(ada.id, Status.SPAM)
    html = page(client, f"/posts/{post.slug}?replyto=1")
    assert CANNOT_ANSWER.format(number=1) in html
    assert hidden_fields(html)["replyto"] == ""
    assert "Replying to" not in html


def test_the_service_refuses_a_parent_of_another_post_or_not_published(app, post):
    other = add_post(app, "Elsewhere", "elsewhere")
    theirs = add_comment(app, other.uid, body="Theirs.")
    held = add_comment(app, post.uid, body="Held.", status=Status.PENDING)
    with app.app_context():
        service = get_service()
        for parent in (theirs, held):
            draft = CommentDraft(
                post_id=post.uid, author="Eve", body="Sneaky.", parent_id=parent.id,
                fields={"captcha_answer": "human"},
            )  # fmt: skip
            outcome = service.submit(draft, PostRef(post.uid, post.title))
            assert outcome.kind is OutcomeKind.REPLY_REFUSED
        assert service.store.list_for_post(post.uid, None) == [held]


@pytest.mark.parametrize("app_config", [{"COMMENTS_MAX_DEPTH": 2}])
def test_replies_deeper_than_the_setting_attach_at_the_last_level(app, client, post):
    top = add_comment(app, post.uid, author="Ada", body="Top.")
    r1 = reply(app, post, top, "One deep.", author="Bob")
    r2 = reply(app, post, r1, "Two deep.", author="Cy")
    reply(app, post, r2, "Three deep.", author="Di")
    html = page(client, f"/posts/{post.slug}")
    assert replies_of(html, 1) == [2, 3, 4]
    assert replies_of(html, 2) == [], "the last level holds no further list"
    assert 'class="comment depth-2"' in html and "depth-3" not in html
    assert 'In reply to <a href="#comment-2">Bob (#2)</a>' in item(html, 3)
    assert 'In reply to <a href="#comment-3">Cy (#3)</a>' in item(html, 4)


# -- numbers, notices and the POST URL ------------------------------------------------------
def test_numbers_have_no_gaps_from_spam_and_stay_when_approved_later(app, client, post, poster):
    held = poster.post(post.slug, body="Held: see http://a.example http://b.example http://c.x")
    assert held.status_code == 303 and held.headers["Location"].endswith("#your-comment")
    published = poster.post(post.slug, body="Published at once.")
    assert published.headers["Location"].endswith("#comment-1")
    with app.app_context():
        store = get_service().store
        [pending] = store.list_for_post(post.uid, Status.PENDING)
        assert pending.number is None
        assert get_service().moderate(pending.id, Status.APPROVED).number == 2
    html = page(client, f"/posts/{post.slug}")
    assert re.findall(r'<li id="comment-(\d+)"', html) == ["1", "2"]


def test_the_published_notice_is_inside_the_comment_the_reader_lands_on(app, client, post, poster):
    add_comment(app, post.uid, body="Before.")
    sent = poster.post(post.slug, body="Mine.")
    assert sent.headers["Location"].endswith("#comment-2")
    html = page(client, sent.headers["Location"])
    assert PUBLISHED_MESSAGE in item(html, 2)
    assert PUBLISHED_MESSAGE not in item(html, 1)
    assert html.count(PUBLISHED_MESSAGE) == 1
    assert PUBLISHED_MESSAGE not in page(client, f"/posts/{post.slug}"), "said once"


def test_the_pending_notice_is_where_the_reader_lands(client, post, poster):
    sent = poster.post(post.slug, body="Links http://a.example http://b.example http://c.x")
    html = page(client, sent.headers["Location"])
    own = html[html.index('<div id="your-comment"') :]
    assert "awaiting moderation" in own[: own.index("</div>")]


def test_a_get_on_the_comment_post_url_goes_to_the_form(client, post):
    answer = client.get(f"/posts/{post.slug}/comments")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/posts/{post.slug}#respond")
    assert client.get("/posts/nothing/comments").status_code == 404


# -- pages of threads and permalinks ----------------------------------------------------------
@pytest.mark.parametrize("app_config", [{"COMMENTS_PER_PAGE": 2}])
def test_threads_are_paged_whole_and_permalinks_find_their_page(app, client, post):
    tops = [add_comment(app, post.uid, author=f"T{i}", body=f"Thread {i}.") for i in range(5)]
    late = reply(app, post, tops[0], "A late answer to the first thread.")  # number 6
    html = page(client, f"/posts/{post.slug}")
    assert re.findall(r'<li id="comment-(\d+)"', html) == ["1", "6", "2"]
    assert "Page 1 of 3 of comments" in html
    assert f'href="/posts/{post.slug}?cpage=2#comments"' in html
    assert re.findall(r'<li id="comment-(\d+)"', page(client, f"/posts/{post.slug}?cpage=3")) == [
        "5"
    ]
    page(client, f"/posts/{post.slug}?cpage=4", status=404)
    page(client, f"/posts/{post.slug}?cpage=-1", status=404)
    page(client, f"/posts/{post.slug}?cpage=99999999999", status=404)

    for number, where in [
        (1, "#comment-1"),
        (late.number, "#comment-6"),
        (4, "?cpage=2#comment-4"),
    ]:
        answer = client.get(f"/posts/{post.slug}/comments/{number}")
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/posts/{post.slug}{where}"
    assert client.get(f"/posts/{post.slug}/comments/99").status_code == 404
    with app.app_context():
        get_service().store.set_status(tops[1].id, Status.SPAM)
    assert client.get(f"/posts/{post.slug}/comments/2").status_code == 404
    assert (
        client.get(f"/posts/{post.slug}/comments/5")
        .headers["Location"]
        .endswith("?cpage=2#comment-5")
    ), "a page is of published threads: later threads move up"


@pytest.mark.parametrize("app_config", [{"COMMENTS_PER_PAGE": 1}])
def test_a_published_comment_redirects_to_its_page(app, client, post, poster):
    add_comment(app, post.uid, body="First thread.")
    sent = poster.post(post.slug, body="Second thread.")
    assert sent.headers["Location"] == f"/posts/{post.slug}?cpage=2#comment-2"
    html = page(client, sent.headers["Location"])
    assert PUBLISHED_MESSAGE in item(html, 2)


@pytest.mark.parametrize("app_config", [{"COMMENTS_PER_PAGE": 1}])
def test_a_reply_form_on_a_later_page_stays_on_that_page_when_it_fails(app, client, post, poster):
    add_comment(app, post.uid, author="Ada", body="First thread.")
    add_comment(app, post.uid, author="Bob", body="Second thread.")
    html = page(client, f"/posts/{post.slug}?cpage=2&replyto=2")
    assert f'action="/posts/{post.slug}/comments?cpage=2#respond"' in html
    form = hidden_fields(html)
    sent = poster.client.post(
        f"/posts/{post.slug}/comments?cpage=2",
        data={**form, "author": "Cy", "body": "Kept.", "captcha_answer": "wrong"},
    )
    assert sent.status_code == 422
    assert re.findall(r'<li id="comment-(\d+)"', sent.get_data(as_text=True)) == ["2"]


# -- the feed -------------------------------------------------------------------------------
def test_the_comments_feed_says_which_comment_a_reply_answers(app, client, post):
    top = add_comment(app, post.uid, author="Ada", body="Top.")
    reply(app, post, top, "An answer.", author="Bob")
    xml = page(client, f"/posts/{post.slug}/comments.atom")
    entries = {
        e.find(f"{ATOM}title").text: e  # type: ignore[union-attr]
        for e in ET.fromstring(xml).iter(f"{ATOM}entry")
    }
    answer = entries["Comment 2 by Bob, in reply to Ada (#1)"]
    parent = entries["Comment 1 by Ada"]
    link = answer.find(f"{THR}in-reply-to")
    assert link is not None
    assert link.get("ref") == parent.find(f"{ATOM}id").text  # type: ignore[union-attr]
    assert link.get("href") == f"http://blog.test/posts/{post.slug}/comments/1"
    assert parent.find(f"{THR}in-reply-to") is None
    assert "In reply to Ada (#1)" in answer.find(f"{ATOM}content").text  # type: ignore[union-attr]


def test_the_feed_gives_timeless_archive_comments_the_posts_time(app, client):
    post = add_post(app, "Archived", "archived", published_at=datetime(2008, 12, 8, tzinfo=UTC))
    with app.app_context():
        get_service().store.add_many(
            [
                NewComment(
                    draft=CommentDraft(post_id=post.uid, author="Old", body="From 2008."),
                    status=Status.APPROVED, body_html="<p>From 2008.</p>", created_at=None,
                    number=1,
                )
            ]
        )  # fmt: skip
    xml = page(client, "/posts/archived/comments.atom")
    [entry] = ET.fromstring(xml).iter(f"{ATOM}entry")
    assert entry.find(f"{ATOM}updated").text == "2008-12-08T00:00:00Z"  # type: ignore[union-attr]
    assert entry.find(f"{ATOM}published") is None, "no made-up publication time"
    html = page(client, "/posts/archived")
    assert "<time" not in item(html, 1), "the archive has no time: none is shown"


# -- who and when ---------------------------------------------------------------------------
@pytest.mark.parametrize("app_config", [{"SITE_TIMEZONE": "Europe/Paris"}])
def test_each_comment_shows_its_time_in_the_sites_zone(app, client, post):
    add_comment(app, post.uid, created_at=datetime(2026, 12, 2, 9, 15, tzinfo=UTC))
    add_comment(app, post.uid, created_at=datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
    html = page(client, f"/posts/{post.slug}")
    assert '<time datetime="2026-12-02T10:15:00+01:00">2 December 2026, 10:15 CET</time>' in item(
        html, 1
    )
    assert '<time datetime="2026-07-02T00:30:00+02:00">2 July 2026, 00:30 CEST</time>' in item(
        html, 2
    )


def test_a_misspelt_time_zone_stops_start_up(tmp_path):
    with pytest.raises(ValueError, match="SITE_TIMEZONE 'Mars/Olympus'"):
        create_app(make_config(tmp_path, SITE_TIMEZONE="Mars/Olympus"))


def sign_in_owner(app: Flask, client: FlaskClient, name: str = "Hillary") -> None:
    """The owner signs in through the desk's sign-in form."""
    make_owner(app, name)
    assert sign_in(client, name).status_code == 303


def test_the_signed_in_owner_gets_no_captcha_and_is_published_with_the_mark(
    app, client, post, poster
):
    add_comment(app, post.uid, author="Hillary", body="A reader typing the owner's name.")
    sign_in_owner(app, client)
    html = page(client, f"/posts/{post.slug}")
    assert 'name="captcha_answer"' not in html
    assert 'value="Hillary"' in html, "the owner's name is filled in"
    form = hidden_fields(html)
    sent = client.post(
        f"/posts/{post.slug}/comments",
        data={
            **form,
            "author": "Hillary",
            "body": "The owner answers. http://a.x http://b.x http://c.x",
        },
    )  # three links would hold a reader's comment
    assert sent.status_code == 303 and sent.headers["Location"].endswith("#comment-2")
    html = page(client, f"/posts/{post.slug}")
    assert 'class="author-mark"' in item(html, 2)
    assert 'class="author-mark"' not in item(html, 1), "typing the name gets no mark"
    with app.app_context():
        owner_comment = get_service().store.get_by_number(post.uid, 2)
    assert owner_comment is not None and owner_comment.role is Role.OWNER


def test_no_reader_gets_the_mark_by_sending_a_role_field(app, client, post, poster):
    sent = poster.post(post.slug, author="Hillary", role="owner", body="I am the owner, trust me.")
    assert sent.status_code == 303
    html = page(client, sent.headers["Location"])
    assert 'class="author-mark"' not in html
    with app.app_context():
        [comment] = get_service().store.list_for_post(post.uid)
    assert comment.role is None


def test_identicons_are_local_and_reveal_no_email(app, client, post):
    add_comment(app, post.uid, author="Ada", email="Ada@Example.org", body="One.")
    add_comment(app, post.uid, author="Ada L.", email="ada@example.org ", body="Two.")
    add_comment(app, post.uid, author="Ada", body="No email.")
    html = page(client, f"/posts/{post.slug}")
    icons = re.findall(r'<img class="avatar" src="/identicon/([0-9a-f]{32})\.svg"', html)
    assert len(icons) == 3
    assert icons[0] == icons[1], "the same email, the same face"
    assert icons[2] != icons[0]
    for digest in (hashlib.md5, hashlib.sha256):
        assert digest(b"ada@example.org").hexdigest()[:16] not in html
    assert "gravatar" not in html and "ada@example.org" not in html.lower()
    svg = client.get(f"/identicon/{icons[0]}.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.get_data(as_text=True).startswith("<svg ")
    assert "immutable" in svg.headers["Cache-Control"]
    assert client.get("/identicon/not-hex.svg").status_code == 404


def test_identicons_change_with_the_sites_secret(tmp_path, monkeypatch, post, app, client):
    add_comment(app, post.uid, author="Ada", email="ada@example.org")
    first = re.findall(r"/identicon/(\w+)\.svg", page(client, f"/posts/{post.slug}"))
    app.config["SECRET_KEY"] = "another-secret"
    second = re.findall(r"/identicon/(\w+)\.svg", page(client, f"/posts/{post.slug}"))
    assert first and second and first != second


@pytest.mark.parametrize("app_config", [{"COMMENTS_GRAVATAR": True}])
def test_gravatar_only_when_the_owner_turns_it_on(app, client, post):
    add_comment(app, post.uid, author="Ada", email="ada@example.org")
    add_comment(app, post.uid, author="Bob")
    html = page(client, f"/posts/{post.slug}")
    sha = hashlib.sha256(b"ada@example.org").hexdigest()
    assert f'src="https://www.gravatar.com/avatar/{sha}?s=80&amp;d=identicon"' in item(html, 1)
    assert "/identicon/" in item(html, 2), "no email: the local identicon"


# -- hostile reply targets ------------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, PostInfo]]:
    """One app for every example (a function-scoped fixture cannot feed @given), CSRF off."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        app = build_app(tmp_path_factory.mktemp("fuzz-reply"), monkeypatch, WTF_CSRF_ENABLED=False)
        post = add_post(app, "Fuzz", "fuzz")
        add_comment(app, post.uid, author="Ada", body="Published.")
        add_comment(app, post.uid, author="Held", body="Held.", status=Status.PENDING)
        yield app, post
        with app.app_context():
            db.engine.dispose()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.one_of(st.text(max_size=30), st.integers(-5, 10**12).map(str)))
def test_any_reply_target_is_answered_or_refused_never_a_5xx(fuzz_app, target):
    """Whatever ``replyto`` holds: a reply to a published comment (#1, and the new threads
    earlier examples published), or a 422 that keeps the text; a GET with it shows the form."""
    app, post = fuzz_app
    client = app.test_client()
    with app.app_context():
        published = {c.number for c in get_service().store.list_for_post(post.uid)}
    shown = client.get(f"/posts/{post.slug}", query_string={"replyto": target})
    assert shown.status_code == 200
    body = f"Answer to {target!r}"
    sent = client.post(
        f"/posts/{post.slug}/comments",
        data={"author": "Fuzz", "body": body, "captcha_answer": "human", "replyto": target,
              "submission_key": "k" * 16 + str(abs(hash(target)))[:16]},
    )  # fmt: skip
    typed = (without_controls(target) or "").strip()
    if sent.status_code == 303:
        with app.app_context():
            store = get_service().store
            # Held or published (the duplicate filter may hold texts alike): stored once.
            [comment] = [c for c in store.list_for_post(post.uid, None) if c.body == body]
            number = int(typed) if typed.isascii() and typed.isdigit() else None
            parent = store.get_by_number(post.uid, number) if number else None
        if typed:
            assert number in published, "only a published comment is answered"
            assert parent is not None and comment.parent_id == parent.id
        else:
            assert comment.parent_id is None, "no target: a new thread"
    else:
        assert sent.status_code == 422, sent.status_code
        assert typed, "a comment without a target is not refused"
        page = sent.get_data(as_text=True)
        assert REPLY_REFUSED_MESSAGE in page
        assert textarea(page) == body


def author_link(runner: Any, slug: str) -> str:
    result = runner.invoke(args=["posts", "author-link", slug])
    assert result.exit_code == 0, result.output
    [path] = [line for line in result.output.splitlines() if line.startswith("/posts/")]
    return path


def test_an_author_link_gives_the_posts_author_the_mark_on_that_post_only(
    app, client, post, runner
):
    other = add_post(app, "Another", "another")
    path = author_link(runner, post.slug)
    assert path.startswith(f"/posts/{post.slug}/author/")
    landed = client.get(path)
    assert landed.status_code == 303 and landed.headers["Location"].endswith("#respond")

    html = page(client, f"/posts/{post.slug}")
    assert "You are this post’s author" in html
    assert 'name="captcha_answer"' not in html
    sent = client.post(
        f"/posts/{post.slug}/comments",
        data={**hidden_fields(html), "author": "Hillary", "body": "The author answers."},
    )
    assert sent.status_code == 303
    assert 'class="author-mark"' in item(page(client, sent.headers["Location"]), 1)

    elsewhere = page(client, f"/posts/{other.slug}")
    assert 'name="captcha_answer"' in elsewhere, "the link is for its own post only"
    sent = client.post(
        f"/posts/{other.slug}/comments",
        data={**hidden_fields(elsewhere), "author": "Hillary", "body": "Elsewhere.",
              "captcha_answer": "human"},
    )  # fmt: skip
    assert 'class="author-mark"' not in page(client, sent.headers["Location"])
    with app.app_context():
        [mine] = get_service().store.list_for_post(post.uid)
        [theirs] = get_service().store.list_for_post(other.uid)
    assert (mine.role, theirs.role) == (Role.AUTHOR, None)


def test_a_damaged_expired_or_other_posts_author_link_does_nothing(app, client, post, runner):
    other = add_post(app, "Another", "another")
    good = author_link(runner, other.slug)
    token = good.rsplit("/", 1)[1]
    # Damage a character in the middle of the signature: the last base64
    # character carries spare bits, so changing it may decode to the same bytes.
    middle = len(token) - 10
    damaged = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for path in (
        f"/posts/{post.slug}/author/{token}",  # another post's link
        f"/posts/{other.slug}/author/{damaged}",  # damaged
    ):
        assert client.get(path).status_code == 403, path
    app.config["AUTHOR_LINK_DAYS"] = -1  # every link is now too old
    answer = client.get(good)
    assert answer.status_code == 403
    assert "ask the blog's owner for a new one" in html.unescape(answer.get_data(as_text=True))
    assert "You are this post’s author" not in page(client, f"/posts/{other.slug}")


def _pager_over_every_page(page: int, pages: int) -> list[tuple[int, str]]:
    """The pager's rule as the template once applied it, page by page over all of them."""
    items = []
    for each in range(1, pages + 1):
        distance = abs(each - page)
        if distance == 0:
            items.append((each, "current"))
        elif each in (1, pages) or distance <= 2:
            items.append((each, "link"))
        elif distance == 3:
            items.append((each, "gap"))
    return items


def test_the_pager_shows_the_same_pages_without_looking_at_every_page() -> None:
    from blogengine.post_page import CommentPage

    for pages in range(2, 40):
        for page in range(1, pages + 1):
            links = CommentPage([], 0, page, pages).links()
            assert links == _pager_over_every_page(page, pages), (page, pages)
    assert len(CommentPage([], 0, 100, 200).links()) == 9  # 1, gap, 98-102, gap, 200
