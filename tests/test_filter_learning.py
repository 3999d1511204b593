"""The `learning` filter in the app: its verdicts, its reasons, learning from moderators."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, insert, select
from support import PostInfo, add_comment, app_in_postgres_schema, build_app

from blogengine.comments import get_service
from blogengine.comments.builtin.filter_learning import LearningFilter
from blogengine.comments.contracts import (
    Action,
    CommentDraft,
    FilterContext,
    LearningSpamFilter,
    PostRef,
    Status,
    StoredComment,
)
from blogengine.config import DefaultConfig
from blogengine.extensions import db
from blogengine.spam import learned as learned_module
from blogengine.spam.learned import LearnedDecisionRow, LearnedWeightRow
from blogengine.spam.model import BIAS, Model
from blogengine.testing import T0, SpamFilterContract, run_in_threads, spam_draft

SPAMMY = "Hey guys check out my new channel and please subscribe http://promo.example/x"
GOOD = "I tried the second recipe last night and it worked, thank you for writing it up."


@pytest.fixture
def app_config() -> dict[str, Any]:
    """The shipped default chain, learning filter included."""
    return {"COMMENTS_SPAM_FILTERS": DefaultConfig.COMMENTS_SPAM_FILTERS}


@pytest.fixture
def tiny_model(tmp_path: Path) -> str:
    """A model whose verdicts a test can foresee: 'maybe' is unsure, 'viagra' is spam; the
    bias was in 400 training texts, 'kind' in 3, 'maybe' and 'viagra' in none."""
    path = tmp_path / "tiny.json.gz"
    weights = {BIAS: -2.0, "w:maybe": 2.85, "w:viagra": 12.0, "w:kind": -1.0}
    Model(weights, {BIAS: 400, "w:kind": 3}).save(path)
    return str(path)


def check(spam_filter: LearningFilter, body: str, **fields: Any) -> Any:
    draft = CommentDraft(post_id="p", author="Ada", body=body, **fields)
    store = object()  # never read: the filter looks at the text only
    return spam_filter.check(draft, FilterContext(T0, PostRef("p", "P"), store))  # type: ignore[arg-type]


def test_is_in_the_default_chain_and_learns(app: Flask) -> None:
    with app.app_context():
        chain = get_service().chain
    assert chain.names == ["honeypot", "impersonation", "links", "duplicate", "learning"]
    assert isinstance(dict(chain.filters)["learning"], LearningSpamFilter)


def test_spam_is_kept_as_spam_with_a_reason_a_moderator_reads(
    app: Flask, post: PostInfo, poster: Any
) -> None:
    response = poster.post(post.slug, body=SPAMMY)
    assert response.status_code == 303  # told "awaiting moderation", like any held comment
    with app.app_context():
        (comment,) = get_service().store.list_for_post(post.uid, None)
    assert comment.status is Status.SPAM
    (verdict,) = [v for v in comment.verdicts if v.source == "learning"]
    assert verdict.action is Action.SPAM
    assert verdict.reason.startswith("spam 0.99: ")
    assert "'subscribe'" in verdict.reason or "a link" in verdict.reason
    assert verdict.reason.count(",") == 2  # three clues, in words


def test_a_good_comment_is_published(app: Flask, post: PostInfo, poster: Any) -> None:
    poster.post(post.slug, body=GOOD)
    with app.app_context():
        (comment,) = get_service().store.list_for_post(post.uid, None)
    assert comment.status is Status.APPROVED
    assert comment.verdicts == ()


SEED_ARCHIVE = Path(__file__).resolve().parents[1] / "seeds"
#: Ordinary blog comments citing a source: a link inside prose is what readers do.
GOOD_WITH_LINKS = [
    "Good piece. The 2003 offer is documented in more detail here: https://www.washingtonpost"
    ".com/wp-dyn/content/article/2007/02/13/AR2007021301609.html - worth reading alongside this.",
    "I think you're overstating the case. The SOFA text is online (https://www.state.gov/"
    "documents/organization/122074.pdf), and article 22 says nothing about the MEK.",
    "I disagree. The numbers in the linked report (www.oecd.org/economy) point the other way.",
    "Thanks for this. For anyone wondering, the 1953 archive footage is on the BBC site "
    "(https://www.bbc.co.uk/archive/) and it matches what the author says about the coup.",
    "Agree with most of this. One correction: the treaty was signed in 1994, not 1996 - see "
    "https://en.wikipedia.org/wiki/Treaty for the dates.",
    "Interesting, but I would add that the figures in your second chart come from a survey "
    "with only 400 people. The methodology section of the original study "
    "(www.pewresearch.org/methods) explains why that matters.",
    "Could you share the config you used? I get a 502 from gunicorn when I follow step 4.",
    "Please fix the link in the footnote, it points to the wrong article.",
]
#: Comment spam of the kinds every wave shares, written for a blog (none is from the sets).
BLOG_SPAM = [
    "Check out my channel and subscribe please!",
    "Visit my blog www.cheap-pills.example for the best offers",
    "Make money from home, earn $500 per day: http://bit.ly/xyz",
    "Great post! Follow me on instagram for more",
    "Get free gift cards here: freegifts . com",
    "Nice article. Cheap replica watches at http://watches.example/buy",
]


@pytest.fixture(scope="module")
def shipped() -> LearningFilter:
    return LearningFilter(state="memory")


def test_the_seed_archive_comments_are_all_accepted(shipped: LearningFilter) -> None:
    from blogengine.seed import parse_file

    (archive,) = SEED_ARCHIVE.glob("*.txt")
    comments = parse_file(archive).comments
    assert len(comments) == 11
    for comment in comments:
        assert check(shipped, comment.body) is None, comment.body[:60]


@pytest.mark.parametrize("body", GOOD_WITH_LINKS)
def test_thoughtful_comments_citing_a_source_are_accepted(
    shipped: LearningFilter, body: str
) -> None:
    assert check(shipped, body, website="https://ada.example/") is None


@pytest.mark.parametrize("body", BLOG_SPAM)
def test_blog_spam_is_never_published_and_the_reason_names_its_kind(
    shipped: LearningFilter, body: str
) -> None:
    verdict = check(shipped, body)
    assert verdict is not None and verdict.action in (Action.MODERATE, Action.SPAM)
    kinds = ("a call to action", "self-promotion", "money offered", "a link with little text")
    assert any(kind in verdict.reason for kind in kinds), verdict.reason


def test_unsure_is_moderated_never_spam(tiny_model: str) -> None:
    spam_filter = LearningFilter(model=tiny_model, state="memory")
    unsure = check(spam_filter, "maybe so")
    assert unsure.action is Action.MODERATE
    assert unsure.reason == "unsure, spam 0.70: 'maybe'"
    sure = check(spam_filter, "viagra")
    assert sure.action is Action.SPAM and sure.reason == "spam 0.99: 'viagra'"
    assert check(spam_filter, "kind words") is None


def test_the_cut_offs_are_options(tiny_model: str) -> None:
    lenient = LearningFilter(model=tiny_model, state="memory", accept_below=0.8)
    assert check(lenient, "maybe so") is None
    with pytest.raises(ValueError):
        LearningFilter(accept_below=0.9, spam_above=0.5)
    with pytest.raises(ValueError):
        LearningFilter(state="redis")


def test_never_reads_dates_ids_or_addresses(tiny_model: str) -> None:
    spam_filter = LearningFilter(model=tiny_model, state="memory")
    plain = check(spam_filter, "maybe so")
    other = check(
        spam_filter,
        "maybe so",
        remote_addr="203.0.113.5",
        submission_key="k" * 40,
        user_agent="bot/1.0",
        email="x@spam.example",
        parent_id="abc",
    )
    assert plain == other


def learned_rows(app: Flask) -> tuple[int, int]:
    with app.app_context():
        weights = db.session.scalar(select(func.count()).select_from(LearnedWeightRow))
        decisions = db.session.scalar(select(func.count()).select_from(LearnedDecisionRow))
        return weights or 0, decisions or 0


def test_learns_from_moderators_in_the_database_for_every_worker(
    app: Flask, post: PostInfo, tiny_model: str
) -> None:
    text = "maybe a brand new pitch for shoes"
    comment = add_comment(app, post.uid, text, status=Status.PENDING)
    with app.app_context():
        worker_a = LearningFilter(model=tiny_model)
        worker_b = LearningFilter(model=tiny_model)  # another process: shares only the db
        before = check(worker_b, text)
        service = get_service()
        service.chain.filters.append(("learning-a", worker_a))
        service.moderate(comment.id, Status.SPAM)
        after = check(worker_b, text)
    assert before.action is Action.MODERATE
    assert after.action is Action.MODERATE or after.action is Action.SPAM
    assert _score(after.reason) > _score(before.reason)
    weights, decisions = learned_rows(app)
    assert decisions == 1 and weights > 5


def statements_during(action: Any) -> list[str]:
    """The SQL statements the app's engine ran while ``action()`` ran."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_checks_read_a_copy_that_another_workers_decision_reaches_within_seconds(
    app: Flask, tiny_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check reads nothing from the database while the worker's copy of the learned
    weights is fresh; what another worker taught (written to the table, not through this
    process) is in this worker's checks once the copy is SNAPSHOT_SECONDS old."""
    now = [1000.0]
    monkeypatch.setattr(learned_module, "_clock", lambda: now[0])
    with app.app_context():
        learner = LearningFilter(model=tiny_model)
        assert learner.weights({"w:maybe"})["w:maybe"] == 2.85  # the copy is read here
        assert statements_during(lambda: learner.weights({"w:maybe", "w:kind"})) == []
        db.session.execute(
            insert(LearnedWeightRow).values(token="w:maybe", delta=1.0, seen=1)
        )  # another worker's decision
        db.session.commit()
        now[0] += learned_module.SNAPSHOT_SECONDS - 1
        assert learner.weights({"w:maybe"})["w:maybe"] == 2.85
        now[0] += 1
        assert learner.weights({"w:maybe"})["w:maybe"] == pytest.approx(3.85)


def test_a_site_that_learned_too_many_tokens_reads_each_checks_own(
    app: Flask, tiny_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(learned_module, "SNAPSHOT_MAX_TOKENS", 2)
    with app.app_context():
        rows = [{"token": t, "delta": 1.0, "seen": 1} for t in ("w:a", "w:b", "w:maybe")]
        db.session.execute(insert(LearnedWeightRow), rows)
        db.session.commit()
        learner = LearningFilter(model=tiny_model)
        assert learner.weights({"w:maybe"})["w:maybe"] == pytest.approx(3.85)
        reads = statements_during(lambda: learner.weights({"w:maybe"}))
        assert len(reads) == 1 and "IN" in reads[0]  # its own tokens, not the whole table


def test_the_same_decision_twice_teaches_once_and_a_correction_teaches(
    app: Flask, post: PostInfo, tiny_model: str
) -> None:
    comment = add_comment(app, post.uid, "maybe this is fine", status=Status.PENDING)
    with app.app_context():
        learner = LearningFilter(model=tiny_model)
        stored = get_service().store.get(comment.id)
        assert stored is not None
        learner.learn(stored, True)
        once = learner.weights({"w:maybe"})["w:maybe"]
        learner.learn(stored, True)
        assert learner.weights({"w:maybe"})["w:maybe"] == once
        learner.learn(stored, False)
        assert learner.weights({"w:maybe"})["w:maybe"] < once
        # The bias learns too, from the site's own balance, but slowly: it was in every
        # training text, 'maybe' in none (steps 1/sqrt(1 + 400) and 1/sqrt(1 + 0) apart).
        moved = abs(learner.weights(set())[BIAS] - -2.0)
        assert 0 < moved < abs(learner.weights({"w:maybe"})["w:maybe"] - 2.85) / 10


def test_a_new_wave_is_held_from_its_second_copy_and_known_words_stay_put() -> None:
    """Words the model never saw learn from one decision; words it saw in many texts
    barely move, so a good comment sharing them is still published."""
    learner = LearningFilter(state="memory")
    wave = "Zorblax crystals heal every ache, ask the zorblax people about crystal water"
    again = "zorblax crystal water healed my ache, ask the zorblax people"
    good = "The crystal clear explanation of water rights in the second part helped me."
    assert check(learner, wave) is None and check(learner, again) is None
    spam = StoredComment("w1", "p", None, "Eve", wave, "", None, Status.SPAM)
    learner.learn(spam, True)
    held = check(learner, again)
    assert held is not None and held.action is Action.MODERATE
    assert "'zorblax'" in held.reason or "'crystal water'" in held.reason
    assert check(learner, good) is None
    before, after = LearningFilter(state="memory").weights({"w:the"}), learner.weights({"w:the"})
    assert abs(after["w:the"] - before["w:the"]) < 0.03  # in a thousand training texts


def test_comments_spam_command_teaches_the_filter(app: Flask, post: PostInfo, runner: Any) -> None:
    comment = add_comment(app, post.uid, GOOD, status=Status.PENDING)
    result = runner.invoke(args=["comments", "spam", comment.id])
    assert result.exit_code == 0, result.output
    assert learned_rows(app)[1] == 1
    result = runner.invoke(args=["comments", "approve", comment.id])
    assert result.exit_code == 0, result.output
    with app.app_context():
        decision = db.session.get(LearnedDecisionRow, comment.id)
        assert decision is not None and decision.is_spam is False


def test_a_scratch_copy_learns_in_memory_only(app: Flask, post: PostInfo, tiny_model: str) -> None:
    comment = add_comment(app, post.uid, "maybe again", status=Status.PENDING)
    with app.app_context():
        shared = LearningFilter(model=tiny_model)
        scratch = shared.scratch()
        stored = get_service().store.get(comment.id)
        assert stored is not None
        scratch.learn(replace(stored, id="row-1"), True)
        assert scratch.weights({"w:maybe"})["w:maybe"] > shared.weights({"w:maybe"})["w:maybe"]
    assert learned_rows(app) == (0, 0)


def _score(reason: str) -> float:
    """The probability in a reason ("unsure, spam 0.70: ..." -> 0.70)."""
    return float(reason.split("spam ", 1)[1].split(":", 1)[0])


POSTGRES_URL = os.environ.get("BLOGENGINE_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_app(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """An app on SQLite, or on a PostgreSQL schema when BLOGENGINE_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        app = build_app(tmp_path, monkeypatch)
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("set BLOGENGINE_TEST_POSTGRES_URL to learn on PostgreSQL")
    with app_in_postgres_schema(POSTGRES_URL, tmp_path, monkeypatch) as app:
        yield app


def test_workers_learning_at_once_add_up(database_app: Flask, tiny_model: str) -> None:
    """Four workers learn four comments at once: every change is kept (atomic additions)."""
    with database_app.app_context():
        learner = LearningFilter(model=tiny_model)
        comments = [
            StoredComment(
                id=f"c{i}",
                post_id="p",
                number=i + 1,
                author="Ada",
                body="maybe the same words",
                body_html="",
                created_at=T0,
                status=Status.SPAM,
            )
            for i in range(4)
        ]
        errors = run_in_threads(4, lambda i: learner.learn(comments[i], True))
        assert errors == []
        learned = learner.learned.learned({"w:maybe"})["w:maybe"]
        one_by_one = LearningFilter(model=tiny_model, state="memory")
        for comment in comments:
            one_by_one.learn(comment, True)
        # The same sum as learning them one after the other: no step was lost, none counted
        # twice (each step is sized by the decisions before it).
        alone = one_by_one.learned.learned({"w:maybe"})["w:maybe"]
        assert learned.delta == pytest.approx(alone.delta)
        assert learned.seen == alone.seen == 4
        assert learned_rows(database_app)[1] == 4


class TestLearningContract(SpamFilterContract):
    """The conformance suite every filter passes, on the shipped model (state in memory)."""

    @pytest.fixture
    def spam_filter(self) -> LearningFilter:
        return LearningFilter(state="memory")

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft:
        return spam_draft(SPAMMY)


class TestLearningContractInTheDatabase(SpamFilterContract):
    """The same suite with learned state in the app's database, as a site runs it."""

    @pytest.fixture
    def spam_filter(self, app: Flask) -> Iterator[LearningFilter]:
        with app.app_context():
            yield LearningFilter()

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft:
        return spam_draft(SPAMMY)
