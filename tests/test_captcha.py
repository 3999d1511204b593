"""The built-in CAPTCHA backends: none, fixed, and math with its signed single-use tokens."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from support import hidden_fields, solve_math

from blogengine.comments.builtin import captcha_math
from blogengine.comments.builtin.captcha_fixed import FixedAnswerCaptcha
from blogengine.comments.builtin.captcha_math import NUMBER_WORDS, MathCaptcha
from blogengine.comments.builtin.captcha_none import NoCaptcha
from blogengine.comments.contracts import Action, CaptchaBackend, CaptchaContext
from blogengine.comments.ledger import SqlNonceLedger
from blogengine.testing import T0, CaptchaContract, MemoryNonceLedger
from blogengine.timeutil import utcnow


def _pattern(template: str) -> str:
    return re.escape(template).replace(re.escape("{a}"), r"\w+").replace(re.escape("{b}"), r"\w+")


def make_ctx(**overrides: object) -> CaptchaContext:
    ctx = CaptchaContext(
        now=T0, secret_key="s3cret", ledger=MemoryNonceLedger(), submission_key="form-1"
    )
    return replace(ctx, **overrides)


def solve(html: str) -> dict[str, str]:
    """Answer a rendered math question the way a person would."""
    answer = solve_math(re.sub(r"<[^>]+>", " ", html))
    return {"captcha_token": hidden_fields(html)["captcha_token"], "captcha_answer": str(answer)}


@pytest.mark.parametrize("cls", [NoCaptcha, FixedAnswerCaptcha, MathCaptcha])
def test_backends_keep_the_protocol(cls: type) -> None:
    assert isinstance(cls(), CaptchaBackend)


def test_none_accepts_anything() -> None:
    ctx = make_ctx()
    assert NoCaptcha().render(ctx) == ""
    assert NoCaptcha().verify({}, ctx).action is Action.ACCEPT


class TestNoneContract(CaptchaContract):
    refuses = single_use = signed = False

    @pytest.fixture
    def captcha(self) -> NoCaptcha:
        return NoCaptcha()

    def answer(self, html: str, ctx: CaptchaContext) -> dict[str, str]:
        return {}


class TestFixed(CaptchaContract):
    single_use = signed = False

    @pytest.fixture
    def captcha(self) -> FixedAnswerCaptcha:
        return FixedAnswerCaptcha()

    def answer(self, html: str, ctx: CaptchaContext) -> dict[str, str]:
        return {"captcha_answer": "human"}

    def test_right_answer_any_case(self) -> None:
        captcha = FixedAnswerCaptcha()
        assert 'name="captcha_answer"' in captcha.render(make_ctx())
        assert captcha.verify({"captcha_answer": " Human "}, make_ctx()).action is Action.ACCEPT

    def test_wrong_and_missing_answers_say_what_to_do(self) -> None:
        captcha = FixedAnswerCaptcha(question="Say <b>yes</b>", answer="yes")
        assert "&lt;b&gt;" in captcha.render(make_ctx())
        wrong = captcha.verify({"captcha_answer": "no"}, make_ctx())
        missing = captcha.verify({}, make_ctx())
        assert wrong.action is Action.SPAM and "not right" in wrong.reason
        assert missing.action is Action.SPAM and "Please answer" in missing.reason


class TestMath(CaptchaContract):
    expires_after = 600

    @pytest.fixture
    def captcha(self) -> MathCaptcha:
        return MathCaptcha(ttl=600)

    def answer(self, html: str, ctx: CaptchaContext) -> dict[str, str]:
        return solve(html)

    def test_questions_vary_in_form(self) -> None:
        """Words and digits, several wordings, plus and minus: not one regex's worth."""
        captcha, ctx = MathCaptcha(), make_ctx()
        questions = [re.sub(r"<[^>]+>", " ", captcha.render(ctx)) for _ in range(300)]
        wordings = {template for template, _ in captcha_math.QUESTIONS}
        seen = {t for t in wordings for q in questions if re.search(_pattern(t), q)}
        assert seen == wordings
        assert any(re.search(r"\b\d+\b", q) for q in questions)
        assert any(
            re.search(r"\b(one|two|three|four|five|six|seven|eight|nine)\b", q) for q in questions
        )
        # The old one-line solver answers only a fraction of them.
        old = [q for q in questions if re.search(r"What is (\w+) plus (\w+)\?", q)]
        assert len(old) < len(questions) / 3

    def test_every_answer_is_a_small_non_negative_number(self) -> None:
        captcha = MathCaptcha(largest=12)
        for _ in range(200):
            question, answer = captcha.question()
            assert 0 <= answer <= 24
            assert solve_math(question) == answer

    def test_answer_is_not_in_the_page(self) -> None:
        captcha, ctx = MathCaptcha(largest=1), make_ctx()  # 1 + 1 or 1 - 1
        html = captcha.render(ctx)
        answer = solve(html)["captcha_answer"]
        assert answer in ("0", "2")
        token = hidden_fields(html)["captcha_token"]
        _, payload = URLSafeTimedSerializer("any key").loads_unsafe(token)  # read, not trust
        # The signed payload carries a nonce and a digest of the answer, never the answer.
        assert set(payload) == {"n", "h"}
        assert all(value not in (int(answer), answer) for value in payload.values())
        assert (
            captcha.verify({**solve(html), "captcha_answer": answer}, ctx).action is Action.ACCEPT
        )

    def test_replayed_token_fails_clearly(self) -> None:
        captcha, ctx = MathCaptcha(), make_ctx()
        fields = solve(captcha.render(ctx))
        assert captcha.verify(fields, ctx).action is Action.ACCEPT
        again = captcha.verify(fields, replace(ctx, submission_key="another-form"))
        assert again.action is Action.SPAM
        assert again.reason == captcha_math.REPLAYED

    def test_replay_without_submission_key_fails(self) -> None:
        captcha, ctx = MathCaptcha(), make_ctx(submission_key=None)
        fields = solve(captcha.render(ctx))
        assert captcha.verify(fields, ctx).action is Action.ACCEPT
        assert captcha.verify(fields, ctx).reason == captcha_math.REPLAYED

    def test_double_click_of_the_same_form_is_accepted_twice(self) -> None:
        captcha, ctx = MathCaptcha(), make_ctx(submission_key="form-7")
        fields = solve(captcha.render(ctx))
        assert captcha.verify(fields, ctx).action is Action.ACCEPT
        assert captcha.verify(fields, ctx).action is Action.ACCEPT

    def test_guessing_again_under_the_same_form_fails(self) -> None:
        """One try per question: a bot may not keep its submission key and try every sum."""
        captcha, ctx = MathCaptcha(), make_ctx()
        fields = solve(captcha.render(ctx))
        wrong = str(int(fields["captcha_answer"]) + 1)
        assert captcha.verify({**fields, "captcha_answer": wrong}, ctx).reason == captcha_math.WRONG
        retry = captcha.verify(fields, ctx)
        assert retry.action is Action.SPAM
        assert retry.reason == captcha_math.REPLAYED

    def test_expired_token_fails_clearly(self) -> None:
        captcha = MathCaptcha(ttl=600)
        fields = solve(captcha.render(make_ctx()))
        late = captcha.verify(fields, make_ctx(now=T0 + timedelta(seconds=601)))
        assert late.action is Action.SPAM
        assert "expired" in late.reason and "10 minutes" in late.reason
        in_time = captcha.verify(fields, make_ctx(now=T0 + timedelta(seconds=599)))
        assert in_time.action is Action.ACCEPT

    def test_tampered_token_fails(self) -> None:
        captcha, ctx = MathCaptcha(), make_ctx()
        fields = solve(captcha.render(ctx))
        token = fields["captcha_token"]
        # Flip the first character: the last one of a base64 signature may carry unused bits.
        flipped = ("A" if token[0] != "A" else "B") + token[1:]
        for bad in (flipped, "", "not-a-token", token.replace(".", "", 1)):
            verdict = captcha.verify({**fields, "captcha_token": bad}, ctx)
            assert verdict.action is Action.SPAM
            assert verdict.reason == captcha_math.BROKEN

    def test_token_signed_with_another_secret_fails(self) -> None:
        captcha = MathCaptcha()
        fields = solve(captcha.render(make_ctx(secret_key="other")))
        assert captcha.verify(fields, make_ctx()).reason == captcha_math.BROKEN

    @pytest.mark.parametrize("answer", ["99", "-1", "a", "٣", "12345"])
    def test_wrong_answer_fails(self, answer: str) -> None:
        captcha, ctx = MathCaptcha(largest=1), make_ctx()
        fields = solve(captcha.render(ctx))
        verdict = captcha.verify({**fields, "captcha_answer": answer}, ctx)
        assert verdict.action is Action.SPAM
        assert verdict.reason == captcha_math.WRONG

    @pytest.mark.parametrize("answer", ["", "   "])
    def test_missing_answer_fails_and_keeps_the_token(self, answer: str) -> None:
        captcha, ctx = MathCaptcha(), make_ctx()
        fields = solve(captcha.render(ctx))
        verdict = captcha.verify({**fields, "captcha_answer": answer}, ctx)
        assert verdict.action is Action.SPAM
        assert verdict.reason == captcha_math.MISSING
        assert captcha.verify(fields, ctx).action is Action.ACCEPT

    def test_bad_options_fail_at_start_up(self) -> None:
        with pytest.raises(ValueError):
            MathCaptcha(largest=0)
        with pytest.raises(ValueError):
            MathCaptcha(largest=len(NUMBER_WORDS))

    def test_with_the_hosts_sql_ledger(self, app: Flask) -> None:
        """The real ledger, shared by workers: replay refused, double click allowed."""
        captcha = MathCaptcha()
        # The ledger purges by the wall clock, so this test keeps to it.
        ctx = make_ctx(ledger=SqlNonceLedger(), submission_key="form-9", now=utcnow())
        fields = solve(captcha.render(ctx))
        results = []
        for key in ("form-9", "form-9", "form-10"):
            with app.app_context():  # one app context per request, as in the app
                results.append(captcha.verify(fields, replace(ctx, submission_key=key)))
        assert [v.action for v in results] == [Action.ACCEPT, Action.ACCEPT, Action.SPAM]
        assert results[2].reason == captcha_math.REPLAYED
