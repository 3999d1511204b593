"""The `akismet` filter against a local fake speaking Akismet's REST API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_services import FakeAkismet, serving
from flask import Flask
from support import CommentPoster, PostInfo, build_app, make_post

from blogengine.comments import get_service
from blogengine.comments.builtin.filter_akismet import AkismetFilter
from blogengine.comments.contracts import (
    Action,
    CommentDraft,
    FilterContext,
    LearningSpamFilter,
    PostRef,
    Status,
)
from blogengine.extensions import db
from blogengine.testing import T0, SpamFilterContract, spam_draft


@pytest.fixture
def fake() -> Iterator[FakeAkismet]:
    with serving(FakeAkismet()) as service:
        assert isinstance(service, FakeAkismet)
        yield service


def akismet(fake: FakeAkismet, **options: Any) -> AkismetFilter:
    values: dict[str, Any] = {"api_key": fake.api_key, "blog": fake.blog, "endpoint": fake.url}
    values.update(options)
    return AkismetFilter(**values)


CTX = FilterContext(
    now=T0,
    post=PostRef("post-a", "A post", "https://blog.test/posts/a-post"),
    store=None,  # type: ignore[arg-type]  # akismet never reads the store
)


class TestAkismetContract(SpamFilterContract):
    @pytest.fixture
    def spam_filter(self, fake: FakeAkismet) -> AkismetFilter:
        return akismet(fake)

    @pytest.fixture
    def filter_ctx(self) -> FilterContext:
        return CTX

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft:
        return spam_draft("Cheap viagra here")


def test_is_a_learning_filter(fake: FakeAkismet) -> None:
    assert isinstance(akismet(fake), LearningSpamFilter)


def test_comment_check_sends_the_documented_fields(fake: FakeAkismet) -> None:
    draft = spam_draft(
        "A kind word.",
        email="ada@example.com",
        website="https://ada.example",
        remote_addr="198.51.100.4",
        user_agent="Mozilla/5.0",
    )
    assert akismet(fake, is_test=True).check(draft, CTX) == (
        akismet(fake).check(draft, CTX)  # same verdict with or without is_test
    )
    path, form = fake.requests[0]
    assert path == "/1.1/comment-check"
    assert form == {
        "api_key": fake.api_key,
        "blog": fake.blog,
        "user_ip": "198.51.100.4",
        "user_agent": "Mozilla/5.0",
        "comment_type": "comment",
        "comment_author": "Ada",
        "comment_author_email": "ada@example.com",
        "comment_author_url": "https://ada.example",
        "comment_content": "A kind word.",
        "blog_charset": "UTF-8",
        "permalink": "https://blog.test/posts/a-post",
        "comment_date_gmt": T0.isoformat(),
        "is_test": "1",
    }


@pytest.mark.parametrize(
    ("draft", "action", "reason"),
    [
        (spam_draft("A kind word."), Action.ACCEPT, "Akismet: not spam"),
        (spam_draft("Casino bonus"), Action.SPAM, "Akismet: spam"),
        (
            spam_draft("x", author="akismet-guaranteed-spam"),
            Action.SPAM,
            "Akismet: blatant spam (it suggests discarding)",
        ),
    ],
)
def test_verdicts(fake: FakeAkismet, draft: CommentDraft, action: Action, reason: str) -> None:
    verdict = akismet(fake).check(draft, CTX)
    assert verdict is not None
    assert (verdict.action, verdict.reason, verdict.source) == (action, reason, "akismet")


def test_an_invalid_key_holds_for_moderation_with_akismets_help(fake: FakeAkismet) -> None:
    verdict = akismet(fake, api_key="wrong").check(spam_draft(), CTX)
    assert verdict is not None and verdict.action is Action.MODERATE
    assert verdict.reason == (
        "Akismet refused the API key or site: Invalid API key.; held for moderation"
    )


@pytest.mark.parametrize(
    ("failure", "said"),
    [("hang", "timed out"), ("500", "HTTP 500"), ("garbage", "answered '<html>busy</html>'")],
)
def test_trouble_holds_for_moderation(fake: FakeAkismet, failure: str, said: str) -> None:
    fake.failure = failure
    verdict = akismet(fake, timeout=0.3).check(spam_draft(), CTX)
    assert verdict is not None and verdict.action is Action.MODERATE
    assert said in verdict.reason and "held for moderation" in verdict.reason


def test_nothing_listening_holds_for_moderation() -> None:
    spam_filter = AkismetFilter(api_key="k", blog="https://b.test", endpoint="http://127.0.0.1:9")
    verdict = spam_filter.check(spam_draft(), CTX)
    assert verdict is not None and verdict.action is Action.MODERATE


@pytest.mark.parametrize(
    "options", [{"api_key": ""}, {"blog": ""}, {"api_key": "k", "blog": "b", "timeout": 0}]
)
def test_bad_options_fail_at_start_up(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        AkismetFilter(**{"api_key": "k", "blog": "b", **options})


class TestOnTheSite:
    @pytest.fixture
    def site(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeAkismet
    ) -> Iterator[tuple[Flask, PostInfo]]:
        options = {"api_key": fake.api_key, "blog": fake.blog, "endpoint": fake.url}
        app = build_app(
            tmp_path,
            monkeypatch,
            COMMENTS_SPAM_FILTERS=["honeypot", "akismet"],
            COMMENTS_SPAM_FILTERS_OPTIONS={"akismet": {**options, "timeout": 0.3}},
        )
        with app.app_context():
            post = make_post(title="A post", slug="a-post")
            info = PostInfo(post.id, post.uid, post.slug, post.title)
        yield app, info
        with app.app_context():
            db.engine.dispose()

    def _post(self, app: Flask, post: PostInfo, body: str) -> Any:
        answer = CommentPoster(app.test_client()).post(post.slug, body=body)
        assert answer.status_code == 303
        with app.app_context():
            return next(
                c for c in get_service().store.list_for_post(post.uid, None) if c.body == body
            )

    def test_akismet_down_holds_the_comment(
        self, site: tuple[Flask, PostInfo], fake: FakeAkismet
    ) -> None:
        app, post = site
        fake.failure = "hang"
        comment = self._post(app, post, "Held while Akismet sleeps.")
        assert comment.status is Status.PENDING
        assert [v.source for v in comment.verdicts] == ["akismet"]
        assert "timed out" in comment.verdicts[0].reason

    def test_spam_is_kept_as_spam(self, site: tuple[Flask, PostInfo], fake: FakeAkismet) -> None:
        app, post = site
        assert self._post(app, post, "Casino casino casino").status is Status.SPAM

    def test_moderation_teaches_akismet(
        self, site: tuple[Flask, PostInfo], fake: FakeAkismet
    ) -> None:
        app, post = site
        missed = self._post(app, post, "Sneaky advert, missed.")
        held = self._post(app, post, "Casino, but a real reader.")
        with app.app_context():
            get_service().moderate(missed.id, Status.SPAM)
            get_service().moderate(held.id, Status.APPROVED)
        learned = [(p, f["comment_content"]) for p, f in fake.requests if "submit" in p]
        assert learned == [
            ("/1.1/submit-spam", "Sneaky advert, missed."),
            ("/1.1/submit-ham", "Casino, but a real reader."),
        ]

    def test_a_failed_lesson_keeps_the_decision(
        self, site: tuple[Flask, PostInfo], fake: FakeAkismet
    ) -> None:
        app, post = site
        comment = self._post(app, post, "Fine words.")
        fake.failure = "500"
        with app.app_context():
            assert get_service().moderate(comment.id, Status.SPAM).status is Status.SPAM
