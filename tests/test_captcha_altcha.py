"""The `altcha` CAPTCHA: proof of work checked with the altcha package, math as the fallback."""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
from dataclasses import replace

import altcha
import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import CommentPoster, PostInfo, hidden_fields, solve_math

from blogengine.comments import get_service
from blogengine.comments.builtin import captcha_altcha, captcha_math
from blogengine.comments.builtin.captcha_altcha import AltchaCaptcha
from blogengine.comments.contracts import Action, CaptchaContext
from blogengine.comments.ledger import SqlNonceLedger
from blogengine.config import DefaultConfig
from blogengine.testing import CaptchaContract, captcha_context
from blogengine.timeutil import utcnow

#: Cheap work for tests: 16 tries of 10 PBKDF2 rounds on average.
CHEAP = {"cost": 10, "key_prefix": "0"}


def challenge_of(html: str) -> altcha.Challenge:
    match = re.search(r'data-altcha-challenge="([^"]+)"', html)
    assert match, "no challenge in the page"
    return altcha.Challenge.from_dict(json.loads(html_lib.unescape(match.group(1))))


def solve_work(html: str) -> dict[str, str]:
    """What the browser's solver sends: the challenge and the counter it found."""
    challenge = challenge_of(html)
    solution = altcha.solve_challenge(challenge, timeout=30)
    assert solution is not None
    return {"captcha_altcha": altcha.Payload(challenge, solution).to_base64()}


def answer_question(html: str) -> dict[str, str]:
    """What a reader without JavaScript sends: the math question's answer."""
    answer = solve_math(re.sub(r"<[^>]+>", " ", html))
    return {"captcha_token": hidden_fields(html)["captcha_token"], "captcha_answer": str(answer)}


def edit_payload(fields: dict[str, str], change: object) -> dict[str, str]:
    data = json.loads(base64.b64decode(fields["captcha_altcha"]))
    change(data)  # type: ignore[operator]
    return {"captcha_altcha": base64.b64encode(json.dumps(data).encode()).decode()}


class TestAltchaContract(CaptchaContract):
    expires_after = 600

    @pytest.fixture
    def captcha(self) -> AltchaCaptcha:
        return AltchaCaptcha(ttl=600, **CHEAP)  # type: ignore[arg-type]

    def answer(self, html: str, ctx: CaptchaContext) -> dict[str, str]:
        return solve_work(html)

    def wrong_answer(self, right: dict[str, str]) -> dict[str, str]:
        def wrong_counter(data: dict[str, dict[str, object]]) -> None:
            data["solution"]["counter"] = int(str(data["solution"]["counter"])) + 1

        return edit_payload(right, wrong_counter)


class TestFallback(CaptchaContract):
    """The same backend answered without JavaScript: the math question's promises hold."""

    expires_after = 600

    @pytest.fixture
    def captcha(self) -> AltchaCaptcha:
        return AltchaCaptcha(ttl=600, **CHEAP)  # type: ignore[arg-type]

    def answer(self, html: str, ctx: CaptchaContext) -> dict[str, str]:
        return answer_question(html)


def test_either_the_work_or_the_answer_is_enough() -> None:
    captcha, ctx = AltchaCaptcha(**CHEAP), captcha_context()  # type: ignore[arg-type]
    html = str(captcha.render(ctx))
    work = captcha.verify(solve_work(html), ctx)
    question = captcha.verify(answer_question(html), replace(ctx, submission_key="form-2"))
    assert (work.action, work.source) == (Action.ACCEPT, "altcha")
    assert (question.action, question.source) == (Action.ACCEPT, "math")


def test_neither_says_to_wait_or_answer() -> None:
    verdict = AltchaCaptcha(**CHEAP).verify({}, captcha_context())  # type: ignore[arg-type]
    assert (verdict.action, verdict.reason) == (Action.SPAM, captcha_altcha.NOT_FINISHED)


def test_a_wrong_fallback_answer_is_the_math_refusal() -> None:
    captcha, ctx = AltchaCaptcha(**CHEAP), captcha_context()  # type: ignore[arg-type]
    fields = answer_question(str(captcha.render(ctx)))
    fields["captcha_answer"] = str(int(fields["captcha_answer"]) + 1)
    assert captcha.verify(fields, ctx).reason == captcha_math.WRONG


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["challenge"].pop("signature"),
        lambda d: d["challenge"]["parameters"].update(keyPrefix=""),  # no work to do
        lambda d: d["challenge"]["parameters"].update(cost=1),
        lambda d: d["challenge"]["parameters"]["data"].update(exp=2**40),  # never expiring
    ],
    ids=["unsigned", "no-prefix", "cheaper", "longer-lived"],
)
def test_an_edited_challenge_is_refused(change: object) -> None:
    captcha, ctx = AltchaCaptcha(**CHEAP), captcha_context()  # type: ignore[arg-type]
    fields = edit_payload(solve_work(str(captcha.render(ctx))), change)
    verdict = captcha.verify(fields, ctx)
    assert (verdict.action, verdict.reason) == (Action.SPAM, captcha_altcha.BROKEN)


def test_a_huge_payload_is_refused_unread() -> None:
    verdict = AltchaCaptcha().verify({"captcha_altcha": "A" * 100_000}, captcha_context())
    assert verdict.reason == captcha_altcha.BROKEN


def test_the_challenge_asks_for_real_work() -> None:
    """The defaults: PBKDF2/SHA-256, 5,000 rounds a try, two zero hex digits (256 tries)."""
    challenge = challenge_of(str(AltchaCaptcha().render(captcha_context())))
    params = challenge.parameters
    assert (params.algorithm, params.cost, params.key_prefix) == ("PBKDF2/SHA-256", 5000, "00")
    assert challenge.signature and params.data and params.data["exp"] > 0


@pytest.mark.parametrize(
    "options", [{"cost": 0}, {"key_prefix": ""}, {"key_prefix": "0x"}, {"largest": 0}]
)
def test_bad_options_fail_at_start_up(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AltchaCaptcha(**options)  # type: ignore[arg-type]


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"COMMENTS_CAPTCHA": "altcha", "COMMENTS_CAPTCHA_OPTIONS": {"altcha": CHEAP}}


class TestOnTheSite:
    def test_the_page_loads_the_solver_from_the_site(
        self, client: FlaskClient, post: PostInfo
    ) -> None:
        page = client.get(f"/posts/{post.slug}")
        text = page.get_data(as_text=True)
        assert '<script src="/static/altcha/solver.js" defer></script>' in text
        assert "data-altcha-challenge=" in text and 'name="captcha_answer"' in text
        # The CSP is the default one: no inline script, no worker, no CDN needed.
        assert page.headers["Content-Security-Policy"] == DefaultConfig.CONTENT_SECURITY_POLICY
        solver = client.get("/static/altcha/solver.js")
        assert solver.status_code == 200 and "javascript" in solver.content_type
        assert b"crypto.subtle" in solver.data

    @pytest.mark.parametrize("how", [solve_work, answer_question], ids=["work", "question"])
    def test_a_comment_goes_through_either_way(
        self, app: Flask, client: FlaskClient, post: PostInfo, how: object
    ) -> None:
        page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
        form = {**hidden_fields(page), **how(page)}  # type: ignore[operator]
        form.update(author="Ada", body="Through the proof of work.")
        answer = client.post(f"/posts/{post.slug}/comments", data=form)
        assert answer.status_code == 303
        with app.app_context():
            [comment] = get_service().store.list_for_post(post.uid)
        assert comment.body == "Through the proof of work."

    def test_a_comment_without_either_is_refused_and_kept(
        self, poster: CommentPoster, post: PostInfo
    ) -> None:
        answer = poster.post(post.slug, body="Kept, not lost.", captcha_answer="")
        assert answer.status_code == 422
        assert "Kept, not lost." in answer.get_data(as_text=True)

    @pytest.mark.parametrize("refused", ["work", "question"])
    def test_after_a_refusal_the_prompt_fits_what_the_reader_sees(
        self, client: FlaskClient, post: PostInfo, refused: str
    ) -> None:
        """With JavaScript the question is hidden behind the work: "answer this new
        question" is only shown with the question (the solver swaps the lines)."""
        page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
        answer = (
            {"captcha_altcha": "bm90IGEgcGF5bG9hZA=="}  # the browser's work, garbled
            if refused == "work"
            else {"captcha_token": hidden_fields(page)["captcha_token"], "captcha_answer": "99"}
        )
        form = {**hidden_fields(page), **answer, "author": "Ada", "body": "Kept."}
        again = client.post(f"/posts/{post.slug}/comments", data=form)
        assert again.status_code == 422
        text = again.get_data(as_text=True)
        (prompt,) = re.findall(r'<p class="field-error" id="captcha-error">(.*?)</p>', text)
        # Without JavaScript: the question line, shown; the work line, hidden.
        assert prompt == (
            '<span class="altcha-retry-question">Please answer this new question.</span>'
            f'<span class="altcha-retry-work" hidden>{captcha_altcha.RETRY_WORK}</span>'
        )
        # The new challenge is there for either way of answering.
        assert "data-altcha-challenge=" in text and 'name="captcha_answer"' in text
        solver = client.get("/static/altcha/solver.js").get_data(as_text=True)
        assert ".altcha-retry-question" in solver and ".altcha-retry-work" in solver


def test_with_the_hosts_sql_ledger(app: Flask) -> None:
    """The real ledger, shared by workers: a double click passes, another form's replay fails."""
    captcha = AltchaCaptcha(**CHEAP)  # type: ignore[arg-type]
    # The ledger purges by the wall clock, so this test keeps to it.
    ctx = captcha_context(ledger=SqlNonceLedger(), submission_key="form-9", now=utcnow())
    fields = solve_work(str(captcha.render(ctx)))
    results = []
    for key in ("form-9", "form-9", "form-10"):
        with app.app_context():  # one app context per request, as in the app
            results.append(captcha.verify(fields, replace(ctx, submission_key=key)))
    assert [v.action for v in results] == [Action.ACCEPT, Action.ACCEPT, Action.SPAM]
    assert results[2].reason == captcha_altcha.REPLAYED
