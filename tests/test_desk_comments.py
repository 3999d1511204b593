"""The desk's moderation queue: tabs, what each comment shows, decisions one by one and in bulk."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from desk_support import csrf_of, make_owner, sign_in, text
from flask import Flask
from flask.testing import FlaskClient
from support import CommentPoster, PostInfo, add_comment
from test_cli import learned, with_learner
from test_queries import statements_for

from blogengine.comments import get_moderation, get_service
from blogengine.comments.contracts import Action, Status, StoredComment, Verdict
from blogengine.comments.moderation import Decision, UnknownComments
from blogengine.timeutil import utcnow

HELD = (Verdict(Action.MODERATE, "3 links (more than 2)", "links"),)


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {**with_learner(tmp_path), "DESK_PER_PAGE": 3}


@pytest.fixture
def owner_client(app: Flask, client: FlaskClient) -> FlaskClient:
    make_owner(app)
    assert sign_in(client).status_code == 303
    return client


def pending(
    app: Flask, post: PostInfo, body: str, minutes_ago: int = 0, **kw: Any
) -> StoredComment:
    return add_comment(
        app,
        post.uid,
        body,
        status=Status.PENDING,
        verdicts=HELD,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        **kw,
    )


def status_of(app: Flask, comment: StoredComment) -> Status | None:
    with app.app_context():
        found = get_service().store.get(comment.id)
        return found.status if found else None


def decide(client: FlaskClient, tab: str = "pending", **form: Any) -> Any:
    fields = csrf_of(client, f"/admin/comments?status={tab}")
    fields["status"] = tab
    return client.post("/admin/comments", data={**fields, **form})


def test_the_queue_shows_everything_the_owner_needs(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    pending(
        app,
        post,
        "Visit http://spam.example now\n\n<b>bold?</b>",
        author="Mallory",
        email="mallory@example.org",
    )
    page = text(owner_client.get("/admin/comments"))
    assert "A post to talk about" in page
    assert "Mallory" in page
    assert "mallory@example.org" in page, "the owner sees the email"
    assert "UTC</time>" in page
    # The text as readers would see it: the stored, sanitised HTML.
    assert '<a href="http://spam.example" rel="nofollow ugc noopener">' in page
    assert "&lt;b&gt;bold?&lt;/b&gt;" in page
    assert "<strong>links</strong>:" in page and "3 links (more than 2)" in page
    assert "<strong>CAPTCHA</strong>: none (imported" in page
    for label in ("Approve", "Spam", "Trash"):  # a held comment has no number yet
        assert f'>{label}<span class="visually-hidden"> pending comment by Mallory</span>' in page
    # The readers' page never shows the email.
    assert "mallory@example.org" not in text(owner_client.get(f"/posts/{post.slug}"))


def test_tabs_count_each_status_and_the_header_counts_pending(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    for body in ("one", "two"):
        pending(app, post, body)
    add_comment(app, post.uid, "spam", status=Status.SPAM)
    add_comment(app, post.uid, "trashed", status=Status.DELETED)
    page = text(owner_client.get("/admin/posts"))
    assert re.search(r'id="badge-pending">2<span class="visually-hidden"> pending', page)
    page = text(owner_client.get("/admin/comments"))
    for label, count in (("Pending", 2), ("Approved", 0), ("Spam", 1), ("Trash", 1)):
        assert re.search(rf">{label} <span class=\"count\">\({count}\)</span>", page), label
    assert "trashed" in text(owner_client.get("/admin/comments?status=deleted"))


def test_approve_one_publishes_it_and_teaches_the_filters(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    held = pending(app, post, "Please publish me.")
    answer = decide(owner_client, one=f"approve:{held.id}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/comments?status=pending"
    assert status_of(app, held) is Status.APPROVED
    assert learned(app) == [(held.id, False)]
    assert "1 comment approved." in text(owner_client.get(answer.headers["Location"]))
    assert "Please publish me." in text(owner_client.get(f"/posts/{post.slug}"))


def test_spam_and_not_spam_teach_every_learning_filter(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    held = pending(app, post, "Cheap pills")
    decide(owner_client, one=f"spam:{held.id}")
    assert status_of(app, held) is Status.SPAM
    decide(owner_client, "spam", one=f"not-spam:{held.id}")
    assert status_of(app, held) is Status.APPROVED
    assert learned(app) == [(held.id, True), (held.id, False)]


def test_bulk_decisions_apply_to_the_ticked_comments_only(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    a, b, c = (pending(app, post, f"comment {n}", minutes_ago=n) for n in range(3))
    answer = decide(owner_client, bulk="spam", ids=[a.id, c.id])
    assert answer.status_code == 303
    assert [status_of(app, x) for x in (a, b, c)] == [Status.SPAM, Status.PENDING, Status.SPAM]
    assert "2 comments marked as spam." in text(owner_client.get("/admin/comments"))


def test_trash_restore_and_delete_for_good(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    held = pending(app, post, "Going away")
    decide(owner_client, one=f"trash:{held.id}")
    assert status_of(app, held) is Status.DELETED
    decide(owner_client, "deleted", one=f"restore:{held.id}")
    assert status_of(app, held) is Status.PENDING
    decide(owner_client, one=f"trash:{held.id}")
    decide(owner_client, "deleted", bulk="delete", ids=[held.id])
    assert status_of(app, held) is None
    assert learned(app) == [], "trash and delete are no lesson about spam"


def test_nothing_ticked_an_unknown_id_or_a_bad_decision_changes_nothing(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    held = pending(app, post, "Still here")
    answer = decide(owner_client, bulk="approve")
    assert "No comment was selected" in text(owner_client.get(answer.headers["Location"]))
    decide(owner_client, bulk="approve", ids=[held.id, "0" * 32])
    assert "no comment with id 00000000" in text(owner_client.get("/admin/comments"))
    decide(owner_client, bulk="publish-everything", ids=[held.id])
    assert "Choose what to do" in text(owner_client.get("/admin/comments"))
    assert status_of(app, held) is Status.PENDING


def test_a_decision_without_the_csrf_token_is_refused(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    held = pending(app, post, "Protected")
    answer = owner_client.post("/admin/comments", data={"one": f"approve:{held.id}"})
    assert answer.status_code == 400
    assert status_of(app, held) is Status.PENDING


def test_search_by_text_author_or_address_and_pages(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    for n in range(5):
        pending(app, post, f"Plain comment {n}", minutes_ago=n, author=f"Reader {n}")
    special = add_comment(app, post.uid, "Odd words here", author="Zed", status=Status.PENDING)
    page = text(owner_client.get("/admin/comments?q=odd+WORDS"))
    assert "Zed" in page and "Reader" not in page
    assert "Zed" in text(owner_client.get("/admin/comments?q=zed"))
    assert "No pending comment matches" in text(owner_client.get("/admin/comments?q=nothing"))
    # 6 pending at 3 a page: newest first, then the next page.
    first = text(owner_client.get("/admin/comments"))
    assert first.count('class="queue-item"') == 3 and "Zed" in first
    assert 'rel="next" href="/admin/comments?status=pending&amp;page=2"' in first
    second = text(owner_client.get("/admin/comments?page=2"))
    assert second.count('class="queue-item"') == 3 and "Reader 4" in second
    assert special.id in first


def test_search_by_address(app: Flask, owner_client: FlaskClient, post: PostInfo) -> None:
    with app.app_context():
        from blogengine.comments.contracts import CommentDraft, NewComment

        get_service().store.add(
            NewComment(
                draft=CommentDraft(
                    post_id=post.uid, author="Addr", body="x", remote_addr="192.0.2.44"
                ),
                status=Status.PENDING,
                body_html="<p>x</p>",
                created_at=utcnow(),
            )
        )
    pending(app, post, "another")
    page = text(owner_client.get("/admin/comments?q=192.0.2.44"))
    assert "192.0.2.44" in page and page.count('class="queue-item"') == 1


def test_the_queue_costs_the_same_statements_for_1_or_3_comments(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    pending(app, post, "first")
    one = statements_for(app, owner_client, "/admin/comments")
    pending(app, post, "second")
    pending(app, post, "third")
    three = statements_for(app, owner_client, "/admin/comments")
    assert len(one) == len(three)


def test_the_moderation_service_resolves_ids_before_changing_anything(
    app: Flask, post: PostInfo
) -> None:
    held = pending(app, post, "kept")
    with app.app_context():
        with pytest.raises(UnknownComments):
            get_moderation().decide(Decision.APPROVE, [held.id, "nope"])
        assert status_of(app, held) is Status.PENDING
        [done] = get_moderation().decide(Decision.APPROVE, [held.id[:6]], prefixes=True)
        assert done.id == held.id
    assert status_of(app, held) is Status.APPROVED


def test_the_queue_shows_archived_and_held_comments_as_they_are(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    """An archive's comment has no time, a held one no number yet: the queue says so."""
    from blogengine.comments.contracts import CommentDraft, NewComment

    with app.app_context():
        get_service().store.add_many(
            [
                NewComment(
                    draft=CommentDraft(post_id=post.uid, author="Archived", body="From 2008."),
                    status=Status.APPROVED,
                    body_html="<p>From 2008.</p>",
                    created_at=None,
                    number=1,
                )
            ]
        )
    held = add_comment(app, post.uid, author="Held", body="Wait for me.", status=Status.PENDING)
    approved = text(owner_client.get("/admin/comments?status=approved"))
    assert "not known (the archive kept none)" in approved and "#1" in approved
    queue = text(owner_client.get("/admin/comments"))
    assert "pending comment by Held" in queue and "#None" not in queue
    assert held.number is None


def test_the_captcha_line_says_what_the_captcha_did(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    """A CAPTCHA whose service did not answer is "not checked" (its verdict shown once, on the
    CAPTCHA line); the owner's own comment met no CAPTCHA; a reader's passed."""
    timed_out = "turnstile did not answer (timed out); held for moderation"
    add_comment(
        app,
        post.uid,
        "Held while the CAPTCHA's service was down.",
        author="Waiting",
        status=Status.PENDING,
        verdicts=(Verdict(Action.MODERATE, timed_out, "turnstile"),),
    )
    page = text(owner_client.get("/admin/comments"))
    assert f"<strong>CAPTCHA</strong>: not checked: {timed_out}" in page
    assert "<strong>turnstile</strong>" not in page, "not repeated as a filter's verdict"
    assert "No spam filter had an objection." in page
    assert (
        CommentPoster(owner_client).post(post.slug, body="The owner's answer.").status_code == 303
    )
    assert CommentPoster(app.test_client()).post(post.slug, body="A reader's.").status_code == 303
    approved = text(owner_client.get("/admin/comments?status=approved"))
    assert "<strong>CAPTCHA</strong>: none (written by the signed-in owner)" in approved
    assert f"<strong>CAPTCHA</strong>: passed ({app.config['COMMENTS_CAPTCHA']})" in approved
