"""Posting a comment: every outcome either stores it once or gives every typed field back."""

from __future__ import annotations

import pytest
from support import hidden_fields, input_value, make_post, textarea

from blogengine.comments import get_service, reader_fields
from blogengine.comments.contracts import Status, StoreError

TYPED = {
    "author": "Zoë “the reader” O'Brien",
    "email": "zoe@example.org",
    "website": "https://zoe.example.org/blog",
    "body": "First line – with a dash…\nSecond line, kept.\n\n<script>alert(1)</script> & more",
}


def assert_everything_kept(page: str, typed: dict[str, str]) -> None:
    assert textarea(page) == typed["body"]
    for name in ("author", "email", "website"):
        assert input_value(page, name) == typed[name], name


def stored(app, post_uid: str, status: Status | None = Status.APPROVED):
    with app.app_context():
        return get_service().store.list_for_post(post_uid, status=status)


def test_published_comment_redirects_to_its_anchor(app, post, poster):
    response = poster.post(post.slug, **TYPED)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/posts/{post.slug}#comment-1")
    page = poster.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your comment is published" in page
    [comment] = stored(app, post.uid)
    assert comment.body == TYPED["body"]
    assert comment.email == TYPED["email"]
    assert TYPED["email"] not in page, "an email address is never shown"


def test_wrong_captcha_keeps_every_field_and_gives_a_fresh_challenge(app, post, poster):
    form = poster.form_for(post.slug)
    response = poster.post(post.slug, reuse=form, captcha_answer="robot", **TYPED)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "answer to the question was not right" in page
    assert_everything_kept(page, TYPED)
    assert input_value(page, "submission_key") == form["submission_key"], "same key on retry"
    assert input_value(page, "captcha_answer") in ("", None), "a fresh, empty challenge"
    assert stored(app, post.uid, status=None) == []


@pytest.mark.parametrize("field", ["author", "body"])
def test_missing_required_field_names_the_problem(app, post, poster, field):
    typed = dict(TYPED, **{field: "   "})
    response = poster.post(post.slug, **typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    expected = "Please enter your name." if field == "author" else "Please write a comment."
    assert expected in page
    kept = {k: v for k, v in typed.items() if k != field}
    for name, value in kept.items():
        if name == "body":
            assert textarea(page) == value
        else:
            assert input_value(page, name) == value
    assert stored(app, post.uid, status=None) == []


@pytest.mark.parametrize("app_config", [{"COMMENT_MAX_BODY": 200}])
def test_over_long_text_is_kept_whole_with_the_limit_named(app, post, poster):
    typed = dict(TYPED, body="word " * 100 + "\nthe end")
    response = poster.post(post.slug, **typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Your comment is 508 characters long; the limit is 200." in page
    assert_everything_kept(page, typed)


def test_bad_email_and_website_are_named_and_kept(app, post, poster):
    typed = dict(TYPED, email="not-an-address", website="javascript:alert(1)")
    page = poster.post(post.slug, **typed).get_data(as_text=True)
    assert "Please check the email address" in page
    assert "web address starting with http:// or https://" in page
    assert_everything_kept(page, typed)


def test_double_submission_with_the_same_key_stores_one_comment(app, post, poster):
    form = poster.form_for(post.slug)
    first = poster.post(post.slug, reuse=form, **TYPED)
    second = poster.post(post.slug, reuse=form, **TYPED)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(stored(app, post.uid, status=None)) == 1


def test_same_text_with_a_new_key_is_kept_as_spam_not_dropped(app, post, poster):
    assert poster.post(post.slug, **TYPED).status_code == 303
    again = poster.post(post.slug, **TYPED)
    assert again.status_code == 303
    page = poster.client.get(again.headers["Location"]).get_data(as_text=True)
    assert "awaiting moderation" in page
    comments = stored(app, post.uid, status=None)
    assert [c.status for c in comments] == [Status.APPROVED, Status.SPAM]
    assert comments[1].verdicts[-1].source == "duplicate"


def test_links_verdict_holds_for_moderation_and_shows_it_to_its_author(app, post, poster):
    body = "See https://a.example https://b.example https://c.example"
    response = poster.post(post.slug, author="Linker", body=body)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#your-comment")
    page = poster.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "awaiting moderation" in page
    assert "https://c.example" in page, "the author sees what they wrote"
    [comment] = stored(app, post.uid, status=Status.PENDING)
    assert "3 links" in comment.verdicts[0].reason
    assert stored(app, post.uid) == [], "not public"
    later = poster.client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "https://c.example" not in later, "shown to its author once, not to everyone"


def test_store_failure_is_a_503_that_keeps_the_text(app, post, poster, monkeypatch):
    form = poster.form_for(post.slug)
    with app.app_context():
        store = get_service(app).store

    def broken_add(new):
        raise StoreError("disk on fire")

    monkeypatch.setattr(store, "add", broken_add)
    response = poster.post(post.slug, reuse=form, **TYPED)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "could not be saved" in page
    assert_everything_kept(page, TYPED)
    monkeypatch.undo()
    retry = poster.post(post.slug, reuse=hidden_fields(page), **TYPED)
    assert retry.status_code == 303, "the retry goes through and is not called a duplicate"
    [comment] = stored(app, post.uid)
    assert comment.body == TYPED["body"]
    assert len(stored(app, post.uid, status=None)) == 1, "stored once, nothing half-written"


def test_an_edited_resubmission_of_the_same_form_is_a_new_comment(app, post, poster):
    """Back, edit, send: the form's key is the old one, but the reader's new text is kept."""
    form = poster.form_for(post.slug)
    first = poster.post(post.slug, reuse=form, body="First version.")
    again = poster.post(post.slug, reuse=form, body="Second, corrected version.")
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] != again.headers["Location"]
    assert [c.body for c in stored(app, post.uid)] == [
        "First version.",
        "Second, corrected version.",
    ]


def test_a_submission_key_is_never_shared_across_posts(app, post, poster):
    with app.app_context():
        other = make_post(title="Another post", slug="another")
        other_uid = other.uid
    form = poster.form_for(post.slug)
    assert poster.post(post.slug, reuse=form, **TYPED).status_code == 303
    # The form's token belongs to its post: sent as it is to another post, it is refused.
    assert poster.post("another", reuse=form, **TYPED).status_code == 400
    # A form for the other post that happens to carry the same submission key.
    with app.test_request_context("/posts/another"):
        token = reader_fields.issue(form["submission_key"], target="another")
    elsewhere = poster.post("another", reuse={**form, "csrf_token": token}, **TYPED)
    assert elsewhere.status_code == 303
    assert elsewhere.headers["Location"].endswith("/posts/another#comment-1")
    assert len(stored(app, other_uid)) == 1


def test_a_broken_captcha_backend_is_a_503_that_says_so_and_keeps_the_text(
    app, post, poster, monkeypatch
):
    with app.app_context():
        captcha = get_service(app).captcha

    def crash(fields, ctx):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(captcha, "verify", crash)
    response = poster.post(post.slug, **TYPED)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "something went wrong on our side" in page
    assert "comment store is not answering" not in page, "not blamed on the store"
    assert_everything_kept(page, TYPED)
    assert stored(app, post.uid, status=None) == []


def test_backends_never_see_the_session_signing_key(app):
    with app.app_context():
        ctx = get_service(app).captcha_context()
    assert ctx.secret_key and ctx.secret_key != app.config["SECRET_KEY"]


@pytest.mark.parametrize("app_config", [{"COMMENTS_MODERATE_ALL": True}])
def test_moderate_all_holds_every_comment(app, post, poster):
    response = poster.post(post.slug, **TYPED)
    page = poster.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "awaiting moderation" in page
    assert [c.status for c in stored(app, post.uid, status=None)] == [Status.PENDING]


def test_missing_csrf_token_is_a_400_that_keeps_the_text(app, post, poster):
    form = poster.form_for(post.slug)
    del form["csrf_token"]
    response = poster.post(post.slug, reuse=form, **TYPED)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "security check had expired or was missing" in page
    assert_everything_kept(page, TYPED)
    assert stored(app, post.uid, status=None) == []
