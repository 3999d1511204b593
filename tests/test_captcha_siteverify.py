"""turnstile, hcaptcha and recaptcha against a local fake of their siteverify endpoint."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fake_services import FakeSiteverify, serving
from flask import Flask
from support import CommentPoster, PostInfo, build_app, make_post, textarea

from blogengine.comments import get_service
from blogengine.comments.builtin import captcha_siteverify as sv
from blogengine.comments.builtin.captcha_siteverify import (
    HCaptchaCaptcha,
    RecaptchaCaptcha,
    SiteverifyCaptcha,
    TurnstileCaptcha,
    csp_directives,
)
from blogengine.comments.contracts import Action, CaptchaContext, Status
from blogengine.config import DefaultConfig
from blogengine.extensions import db
from blogengine.testing import CaptchaContract, captcha_context

PROVIDERS: list[type[SiteverifyCaptcha]] = [TurnstileCaptcha, HCaptchaCaptcha, RecaptchaCaptcha]


@pytest.fixture
def fake() -> Iterator[FakeSiteverify]:
    with serving(FakeSiteverify(), "/siteverify") as service:
        assert isinstance(service, FakeSiteverify)
        yield service


def backend(
    cls: type[SiteverifyCaptcha], fake: FakeSiteverify, **options: Any
) -> SiteverifyCaptcha:
    values: dict[str, Any] = {"site_key": "site-key-1", "secret": fake.secret, "endpoint": fake.url}
    values.update(options)
    return cls(**values)


class SiteverifyContract(CaptchaContract):
    """The contract for one provider; the fake plays the provider."""

    signed = False  # the provider's token, not ours: tampering is its to refuse
    challenge_in_page = False  # the provider's script makes the challenge
    provider: ClassVar[type[SiteverifyCaptcha]]
    fake_service: FakeSiteverify

    @pytest.fixture
    def captcha(self, fake: FakeSiteverify) -> SiteverifyCaptcha:
        self.fake_service = fake
        return backend(self.provider, fake)

    def answer(self, html: str, ctx: CaptchaContext) -> dict[str, str]:
        """What the provider's widget puts in the form after a person's check."""
        return {self.provider.response_fields[0]: self.fake_service.issue()}

    def secrets(self, ctx: CaptchaContext) -> list[str]:
        return [ctx.secret_key, self.fake_service.secret]


class TestTurnstileContract(SiteverifyContract):
    provider = TurnstileCaptcha


class TestHCaptchaContract(SiteverifyContract):
    provider = HCaptchaCaptcha


class TestRecaptchaContract(SiteverifyContract):
    provider = RecaptchaCaptcha


@pytest.mark.parametrize("cls", PROVIDERS)
class TestProtocol:
    def test_sends_secret_response_and_remoteip(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify
    ) -> None:
        captcha, token = backend(cls, fake), fake.issue()
        ctx = captcha_context(remote_addr="198.51.100.23")
        assert captcha.verify({cls.response_fields[0]: token}, ctx).action is Action.ACCEPT
        assert fake.requests == [
            ("/siteverify", {"secret": fake.secret, "response": token, "remoteip": "198.51.100.23"})
        ]

    def test_widget_names_the_site_key_and_the_providers_script(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify
    ) -> None:
        html = backend(cls, fake).render(captcha_context())
        assert f'class="{cls.widget_class}" data-sitekey="site-key-1"' in html
        assert f'<script src="{cls.script_default}" async defer></script>' in html
        assert fake.secret not in html

    def test_missing_token_is_refused_without_asking(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify
    ) -> None:
        verdict = backend(cls, fake).verify({"captcha_answer": "7"}, captcha_context())
        assert (verdict.action, verdict.reason) == (Action.SPAM, sv.NOT_DONE)
        assert fake.requests == []

    @pytest.mark.parametrize(
        ("token", "reason"), [("made-up", sv.INVALID), ("expired", sv.EXPIRED)]
    )
    def test_provider_refusals_are_told_in_words(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify, token: str, reason: str
    ) -> None:
        if token == "expired":
            token = fake.issue(expired=True)
        verdict = backend(cls, fake).verify({cls.response_fields[0]: token}, captcha_context())
        assert (verdict.action, verdict.reason) == (Action.SPAM, reason)

    def test_token_from_another_form_is_refused_without_asking(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify
    ) -> None:
        captcha, fields = backend(cls, fake), {cls.response_fields[0]: fake.issue()}
        ctx = captcha_context()
        assert captcha.verify(fields, ctx).action is Action.ACCEPT
        again = captcha.verify(fields, replace(ctx, submission_key="form-2"))
        assert (again.action, again.reason) == (Action.SPAM, sv.REPLAYED)
        assert len(fake.requests) == 1

    def test_a_refused_token_sent_again_by_its_form_stays_refused(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify
    ) -> None:
        """The duplicate answer is let through only after this form's token passed."""
        captcha, ctx = backend(cls, fake), captcha_context()
        fields = {cls.response_fields[0]: fake.issue(expired=True)}
        assert captcha.verify(fields, ctx).reason == sv.EXPIRED
        assert captcha.verify(fields, ctx).action is Action.SPAM

    def test_the_sites_wrong_secret_holds_for_moderation(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify
    ) -> None:
        captcha = backend(cls, fake, secret="not-the-secret")
        verdict = captcha.verify({cls.response_fields[0]: fake.issue()}, captcha_context())
        assert verdict.action is Action.MODERATE
        assert "invalid-input-secret" in verdict.reason and "secret" in verdict.reason

    @pytest.mark.parametrize(
        ("failure", "said"), [("hang", "timed out"), ("500", "HTTP 500"), ("garbage", "not JSON")]
    )
    def test_provider_trouble_holds_for_moderation(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify, failure: str, said: str
    ) -> None:
        fake.failure = failure
        captcha = backend(cls, fake, timeout=0.3)
        verdict = captcha.verify({cls.response_fields[0]: fake.issue()}, captcha_context())
        assert verdict.action is Action.MODERATE
        assert said in verdict.reason and "held for moderation" in verdict.reason

    def test_nothing_listening_holds_for_moderation(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify
    ) -> None:
        captcha = backend(cls, fake, endpoint="http://127.0.0.1:9/siteverify", timeout=1)
        verdict = captcha.verify({cls.response_fields[0]: "tok"}, captcha_context())
        assert verdict.action is Action.MODERATE

    def test_options_are_checked_at_start_up(
        self, cls: type[SiteverifyCaptcha], fake: FakeSiteverify
    ) -> None:
        with pytest.raises(ValueError, match="site_key"):
            cls(site_key="", secret="s")
        with pytest.raises(ValueError, match="timeout"):
            cls(site_key="k", secret="s", timeout=0)


def test_hcaptcha_already_seen_is_a_replay(fake: FakeSiteverify) -> None:
    fake.duplicate_code = "already-seen-response"
    captcha, fields = backend(HCaptchaCaptcha, fake), {"h-captcha-response": fake.issue()}
    ctx = captcha_context()
    assert captcha.verify(fields, ctx).action is Action.ACCEPT
    # The same form again (a double click): the provider says "already seen", we let it by.
    assert captcha.verify(fields, ctx).action is Action.ACCEPT
    assert [len(fake.requests)] == [2]


class TestOnTheSite:
    """The pipeline: a provider that does not answer holds the comment; a bad token refuses."""

    @pytest.fixture
    def site(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSiteverify
    ) -> Iterator[tuple[Flask, PostInfo]]:
        options = {"site_key": "k", "secret": fake.secret, "endpoint": fake.url, "timeout": 0.3}
        app = build_app(
            tmp_path,
            monkeypatch,
            COMMENTS_CAPTCHA="turnstile",
            COMMENTS_CAPTCHA_OPTIONS={"turnstile": options},
        )
        with app.app_context():
            post = make_post(title="A post", slug="a-post")
            info = PostInfo(post.id, post.uid, post.slug, post.title)
        yield app, info
        with app.app_context():
            db.engine.dispose()

    def test_the_widget_is_not_called_a_question(self, site: tuple[Flask, PostInfo]) -> None:
        app, post = site
        page = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
        assert "<legend>A check that you are a person<span" in page
        assert "One question" not in page

    def test_provider_down_keeps_the_comment_pending(
        self, site: tuple[Flask, PostInfo], fake: FakeSiteverify
    ) -> None:
        app, post = site
        fake.failure = "hang"
        poster = CommentPoster(app.test_client())
        answer = poster.post(post.slug, body="Held, not lost.", captcha_turnstile=fake.issue())
        assert answer.status_code == 303
        with app.app_context():
            [comment] = get_service().store.list_for_post(post.uid, None)
        assert comment.body == "Held, not lost." and comment.status is Status.PENDING
        assert comment.verdicts[0].source == "turnstile"
        assert "timed out" in comment.verdicts[0].reason

    def test_provider_down_and_spam_is_still_spam(
        self, site: tuple[Flask, PostInfo], fake: FakeSiteverify
    ) -> None:
        """MODERATE from the CAPTCHA never softens a filter's SPAM; both reasons are kept."""
        app, post = site
        fake.failure = "500"
        poster = CommentPoster(app.test_client())
        answer = poster.post(
            post.slug, body="Bot text.", homepage_url="http://x", captcha_turnstile=fake.issue()
        )
        assert answer.status_code == 303
        with app.app_context():
            [comment] = get_service().store.list_for_post(post.uid, None)
        assert comment.status is Status.SPAM
        assert [v.source for v in comment.verdicts] == ["turnstile", "honeypot"]

    def test_wrong_token_refuses_and_keeps_the_text(
        self, site: tuple[Flask, PostInfo], fake: FakeSiteverify
    ) -> None:
        app, post = site
        poster = CommentPoster(app.test_client())
        answer = poster.post(post.slug, body="Kept in the form.", captcha_turnstile="forged")
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert textarea(page) == "Kept in the form."
        assert "not accepted" in page
        # By the new widget: a check to complete, no question (there is none to answer).
        assert '<p class="field-error" id="captcha-error">Please complete the check again.</p>' in (
            page
        )
        assert "question" not in page.split('id="captcha-error"', 1)[1].split("</fieldset>")[0]
        with app.app_context():
            assert get_service().store.list_for_post(post.uid, None) == []

    def test_right_token_publishes(
        self, site: tuple[Flask, PostInfo], fake: FakeSiteverify
    ) -> None:
        app, post = site
        poster = CommentPoster(app.test_client())
        answer = poster.post(post.slug, body="Through.", captcha_turnstile=fake.issue())
        assert answer.status_code == 303
        with app.app_context():
            [comment] = get_service().store.list_for_post(post.uid)
        assert comment.body == "Through."


@pytest.mark.parametrize("cls", PROVIDERS)
def test_the_strict_default_csp_is_opened_only_as_the_widget_needs(
    cls: type[SiteverifyCaptcha], fake: FakeSiteverify
) -> None:
    captcha, default = backend(cls, fake), DefaultConfig.CONTENT_SECURITY_POLICY
    problems = captcha.csp_problems(default)
    assert problems and all("script-src" in p or "-src lacks" in p for p in problems)
    opened = captcha.recommended_csp(default)
    assert captcha.csp_problems(opened) == []
    before, after = csp_directives(default), csp_directives(opened)
    assert set(before) <= set(after)
    for name, sources in before.items():  # every source kept, in order; some added
        assert after[name][: len(sources)] == sources
    assert "'unsafe-inline'" not in opened and "'unsafe-eval'" not in opened
    assert captcha.csp_problems("") == []  # no policy: nothing blocks the widget


def test_start_up_warns_when_the_csp_blocks_the_widget(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeSiteverify,
    caplog: pytest.LogCaptureFixture,
) -> None:
    options = {"turnstile": {"site_key": "k", "secret": fake.secret, "endpoint": fake.url}}
    build_app(tmp_path, monkeypatch, COMMENTS_CAPTCHA="turnstile", COMMENTS_CAPTCHA_OPTIONS=options)
    warnings = [r.getMessage() for r in caplog.records if "turnstile:" in r.getMessage()]
    assert warnings and "https://challenges.cloudflare.com" in warnings[0]


def test_the_readmes_turnstile_policy_lets_the_widget_load() -> None:
    """The README's example config is the policy start-up asks for."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("# instance/config.py, Turnstile\n", 1)[1].split("\n\n", 1)[0]
    config: dict[str, Any] = {}
    exec(textwrap.dedent(block).replace("…", ""), config)
    captcha = TurnstileCaptcha(site_key="k", secret="s")
    assert config["COMMENTS_CAPTCHA"] == "turnstile"
    assert captcha.csp_problems(config["CONTENT_SECURITY_POLICY"]) == []
    assert config["CONTENT_SECURITY_POLICY"] == captcha.recommended_csp(
        DefaultConfig.CONTENT_SECURITY_POLICY
    )
