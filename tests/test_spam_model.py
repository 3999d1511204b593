"""The learning filter's parts without an app: features, the model, the labelled files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogengine.spam import features
from blogengine.spam.datasets import DatasetError, parse_label, read_csv, read_sms_tsv
from blogengine.spam.model import (
    BIAS,
    KEEP_ABOVE,
    KEEP_SEEN,
    PRIORS,
    Model,
    learn_steps,
    probability,
    text_scale,
    train,
)

SPAM = [
    "Check out my channel and subscribe http://spam.example/x",
    "Subscribe to my channel for free money!!! http://spam.example",
    "WIN a free prize, call +44 7946 095812 now",
    "check out my new video please subscribe",
]
GOOD = [
    "I tried the recipe and it worked, thank you.",
    "I disagree with the second point, but a good read.",
    "Lovely photos of the harbour.",
    "What a thoughtful post about gardening.",
]


def examples() -> list[tuple[frozenset[str], bool]]:
    return [(frozenset(features.tokens(t)), True) for t in SPAM] + [
        (frozenset(features.tokens(t)), False) for t in GOOD
    ]


class TestFeatures:
    def test_words_and_pairs_no_character_ngrams(self) -> None:
        found = features.tokens("Subscribe to my channel")
        assert {"w:subscribe", "w:my", "b:my channel"} <= found
        assert not any(t.startswith("c:") for t in found)

    @pytest.mark.parametrize(
        ("text", "kind"),
        [
            ("Check out my new video!", "k:call"),
            ("pls subscribe, I sub back", "k:call"),
            ("Visit my blog for more recipes", "k:call"),
            ("follow me on instagram", "k:call"),
            ("We made a cover, it is on our channel", "k:own"),
            ("my latest mixtape is fire", "k:own"),
            ("Like this comment if you are watching in 2015", "k:bait"),
            ("how many likes can this get", "k:bait"),
            ("sub4sub anyone", "k:bait"),
            ("Get free gift cards and paypal money", "k:money"),
            ("earn $300 per day from home", "k:money"),
            ("great song http://promo.example/x", "k:bare-link"),
        ],
    )
    def test_kinds_of_comment_spam(self, text: str, kind: str) -> None:
        assert kind in features.tokens(text)

    @pytest.mark.parametrize(
        "text",
        ["marketglory . com/strategygame", "visit site dot net today", "youtube. com/watch?v=x"],
    )
    def test_disguised_addresses_are_links(self, text: str) -> None:
        assert {"m:link", "m:hidden-link"} <= features.tokens(text)

    @pytest.mark.parametrize(
        "text",
        [
            "I like this post a lot, thank you.",
            "I was at the embassy. Com is short for communications there.",
            "Thumbs up to the author for the second chart.",
            "My grandmother made this every winter; I will try your version.",
            "The profit and the investment figures in table 2 do not add up.",
        ],
    )
    def test_ordinary_sentences_are_no_kind_of_spam(self, text: str) -> None:
        found = features.tokens(text)
        assert not any(t.startswith("k:") or t == "m:hidden-link" for t in found), found

    def test_a_link_inside_prose_is_not_bare(self) -> None:
        prose = (
            "The 2003 offer is documented in more detail in this report, which I found useful "
            "when I wrote my thesis: https://example.org/report.pdf"
        )
        found = features.tokens(prose)
        assert "m:link" in found and "k:bare-link" not in found

    def test_links_in_markup_entities_and_bare_text_are_links(self) -> None:
        found = features.tokens('<a href="https://shop.example/x">see</a> &amp; www.b.example')
        assert {"m:link", "m:links-2", "d:shop.example", "d:b.example"} <= found
        assert "w:href" not in found and "w:amp" not in found

    def test_website_names_its_site_but_is_not_a_link(self) -> None:
        found = features.tokens("Nice post.", "https://www.ada.example/blog")
        assert "d:ada.example" in found
        assert "m:link" not in found

    def test_invisible_and_compatibility_characters_do_not_hide_words(self) -> None:
        assert "w:subscribe" in features.tokens("sub\u200bscribe\ufeff")
        assert "w:subscribe" in features.tokens("ｓｕｂｓｃｒｉｂｅ")  # fullwidth

    def test_signs(self) -> None:
        assert "m:shouting" in features.tokens("THIS IS THE BEST OFFER EVER")
        assert "m:phone" in features.tokens("call 08712460324 today")
        assert "m:phone" not in features.tokens("it has 1884034783 views")  # not a phone
        assert "m:money" in features.tokens("win £1000 cash")

    @pytest.mark.parametrize(
        ("host", "kind"),
        [
            ("en.wikipedia.org", "k:cite"),
            ("github.com", "k:cite"),
            ("bugs.launchpad.net", "k:cite"),
            ("docs.python.org", "k:cite"),
            ("wiki.example.org", "k:cite"),
            ("www.ox.ac.uk", "k:cite"),
            ("www.state.gov", "k:cite"),
            ("www.facebook.com", "k:promo-link"),
            ("soundcloud.com", "k:promo-link"),
            ("www.gofundme.com", "k:promo-link"),
            ("www.amazon.co.uk", "k:promo-link"),
            ("amazon.de", "k:promo-link"),
            ("bit.ly", "k:promo-link"),
            ("ebay.example.org", None),
            ("shop.example", None),
            ("youtu.be", None),
            ("com", None),
            ("", None),
        ],
    )
    def test_where_a_link_points(self, host: str, kind: str | None) -> None:
        assert features.host_kind(host) == kind

    def test_a_source_cited_and_a_profile_promoted(self) -> None:
        cited = features.tokens("The dates are wrong, see https://en.wikipedia.org/wiki/Treaty")
        promoted = features.tokens("Great song! My page: https://www.facebook.com/djzorblax")
        assert "k:cite" in cited and "k:promo-link" not in cited
        assert "k:promo-link" in promoted and "k:cite" not in promoted
        # The reader's own website is not a link in the text: no kind either way.
        assert not {"k:cite", "k:promo-link"} & features.tokens("Hi", "https://facebook.com/me")

    def test_never_reads_more_than_its_limit(self) -> None:
        long = "word " * 10_000 + "subscribe"
        assert "w:subscribe" not in features.tokens(long)

    def test_described_for_a_moderator(self) -> None:
        assert features.describe("w:subscribe") == "'subscribe'"
        assert features.describe("b:my channel") == "'my channel'"
        assert features.describe("m:link") == "a link"
        assert features.describe("d:spam.example") == "a link to spam.example"
        assert features.describe("k:call") == "a call to action"
        assert features.describe("x:unknown") is None

    @settings(max_examples=200, deadline=None)
    @given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=50)))
    def test_any_text_gives_tokens(self, body: str, website: str | None) -> None:
        found = features.tokens(body, website)
        assert all(isinstance(t, str) and ":" in t for t in found)


class TestModel:
    def test_learns_to_tell_spam_from_good(self) -> None:
        model = train(examples())
        for text in SPAM:
            assert probability(model.weight_of(features.tokens(text))) > 0.5, text
        for text in GOOD:
            assert probability(model.weight_of(features.tokens(text))) < 0.5, text

    def test_the_same_data_gives_the_same_file(self, tmp_path: Path) -> None:
        train(examples()).save(tmp_path / "a.json.gz")
        train(examples()).save(tmp_path / "b.json.gz")
        assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()

    def test_saved_and_loaded(self, tmp_path: Path) -> None:
        model = train(examples())
        model.save(tmp_path / "m.json.gz")
        loaded = Model.load(tmp_path / "m.json.gz")
        assert loaded.weights[BIAS] == pytest.approx(model.weights[BIAS], abs=1e-4)
        text = features.tokens(SPAM[0])
        # Weights under KEEP_ABOVE are left out of the file: the verdict barely moves.
        assert probability(loaded.weight_of(text), text_scale(text)) == pytest.approx(
            probability(model.weight_of(text), text_scale(text)), abs=0.01
        )
        kept = loaded.weights.items()
        assert all(abs(w) >= KEEP_ABOVE or loaded.seen[t] >= KEEP_SEEN for t, w in kept)

    def test_long_texts_words_are_damped_but_not_their_signs(self) -> None:
        short = features.tokens("check out my channel")
        long = features.tokens(" ".join(f"word{i}" for i in range(200)) + " check out my channel")
        assert text_scale(short) == 1.0
        assert 0.0 < text_scale(long) < 0.5
        weights = {BIAS: -1.0, "k:call": 2.0, "w:word1": 1.0}
        # The sign counts in full, the word by the scale: -1 + 2 + 0.25 * 1.
        assert probability(weights, 0.25) == pytest.approx(probability({BIAS: 1.25}))

    def test_the_kinds_start_from_their_prior(self) -> None:
        """Trained on data that barely shows a kind, the model still counts it as spam."""
        model = train(examples())
        for kind, prior in PRIORS.items():
            assert model.weights[kind] >= prior - 0.5, kind

    def test_a_file_of_another_version_is_refused_saying_how_to_rebuild(
        self, tmp_path: Path
    ) -> None:
        import gzip
        import json

        path = tmp_path / "old.json.gz"
        path.write_bytes(gzip.compress(json.dumps({"version": 2, "weights": {}}).encode()))
        with pytest.raises(ValueError, match=r"version-2 spam model.*reads version 3") as refused:
            Model.load(path)
        assert "blogengine spam train --out" in str(refused.value)

    def test_the_file_keeps_how_many_texts_held_each_token(self, tmp_path: Path) -> None:
        model = train(examples())
        assert model.seen[BIAS] == len(SPAM) + len(GOOD)
        assert model.seen["w:subscribe"] == 3  # in three of the spam texts
        model.save(tmp_path / "m.json.gz")
        loaded = Model.load(tmp_path / "m.json.gz")
        assert loaded.seen_of(["w:subscribe", "w:never"]) == {"w:subscribe": 3, "w:never": 0}

    def test_refuses_another_file(self, tmp_path: Path) -> None:
        (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
        with pytest.raises(OSError):
            Model.load(tmp_path / "bad.json.gz")

    def test_needs_both_classes(self) -> None:
        with pytest.raises(ValueError, match="both"):
            train([(frozenset({"w:a"}), True)])

    def test_a_learning_step_moves_towards_the_label(self) -> None:
        weights = {BIAS: 0.0, "w:x": 0.0}
        seen = {BIAS: 0, "w:x": 0}
        assert (
            learn_steps(weights, seen, True)["w:x"] > 0 > learn_steps(weights, seen, False)["w:x"]
        )
        sure = {BIAS: 10.0}
        assert abs(learn_steps(sure, {BIAS: 0}, True)[BIAS]) < 1e-3  # nothing left to learn

    def test_a_new_token_learns_fast_and_a_known_one_slowly(self) -> None:
        weights = {BIAS: 0.0, "w:new": 0.0, "w:the": 0.0}
        steps = learn_steps(weights, {BIAS: 5000, "w:new": 0, "w:the": 99}, True)
        # The same error, steps shrinking with the square root of the texts seen: 1, 1/10...
        assert steps["w:new"] == pytest.approx(10 * steps["w:the"])
        assert steps["w:the"] > steps[BIAS] > 0
        assert steps["w:new"] == pytest.approx(0.5 * 0.5)  # LEARN_RATE x error (1 - 0.5)

    def test_shipped_model_is_small_and_loads(self) -> None:
        from blogengine.comments.builtin.filter_learning import SHIPPED_MODEL

        assert SHIPPED_MODEL.stat().st_size < 400_000
        assert len(Model.load(SHIPPED_MODEL).weights) > 1000


class TestLabelledFiles:
    def test_csv_with_quoted_multi_line_fields(self, tmp_path: Path) -> None:
        path = tmp_path / "c.csv"
        path.write_text('id,text,who,label\n1,"line one\nline ""two""",Ada,1\n2,plain,Bob,ham\n')
        rows = list(read_csv(path, "text", "who", "label"))
        assert [(r.number, r.text, r.author, r.is_spam) for r in rows] == [
            (1, 'line one\nline "two"', "Ada", True),
            (2, "plain", "Bob", False),
        ]

    def test_missing_columns_are_refused_with_the_columns_found(self, tmp_path: Path) -> None:
        path = tmp_path / "c.csv"
        path.write_text("id,text\n1,hello\n")
        with pytest.raises(DatasetError) as refused:
            list(read_csv(path, "body", None, "label"))
        assert "'body', 'label'" in str(refused.value)
        assert "columns found: 'id', 'text'" in str(refused.value)

    @pytest.mark.parametrize(
        ("label", "is_spam"),
        [
            ("1", True),
            ("spam", True),
            (" SPAM ", True),
            ("0", False),
            ("ham", False),
            ("", None),
            ("2", None),
            ("maybe", None),
        ],
    )
    def test_labels(self, label: str, is_spam: bool | None) -> None:
        assert parse_label(label) is is_spam

    def test_sms_tsv_keeps_quotes(self, tmp_path: Path) -> None:
        path = tmp_path / "s.tsv"
        path.write_text('ham\tsay "hi\nspam\tWIN "now"\n')
        rows = list(read_sms_tsv(path))
        assert [(r.text, r.is_spam) for r in rows] == [('say "hi', False), ('WIN "now"', True)]
