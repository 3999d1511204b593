"""Impersonation: names cleaned before storing, held when they look like the author's or owner's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from support import PostInfo, add_post

from blogengine.comments import get_service
from blogengine.comments.builtin.filter_blocklist import BlocklistFilter
from blogengine.comments.builtin.filter_impersonation import ImpersonationFilter
from blogengine.comments.contracts import Action, CommentDraft, FilterContext, PostRef, Status
from blogengine.comments.names import clean_name, looks_like, name_keys, skeleton
from blogengine.extensions import db
from blogengine.models import User
from blogengine.testing import T0, SpamFilterContract, spam_draft


class TestNames:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("Ada\u200b", "Ada"),  # zero-width space
            ("\u202eAda\u202c", "Ada"),  # bidi override
            ("A\u00adda", "Ada"),  # soft hyphen
            ("Ａｄａ", "Ada"),  # fullwidth, NFKC
            ("  Ada \t Lovelace ", "Ada Lovelace"),
            ("Zoë “the reader” O'Brien", "Zoë “the reader” O'Brien"),
        ],
    )
    def test_cleaned(self, typed: str, stored: str) -> None:
        assert clean_name(typed) == stored

    @pytest.mark.parametrize(
        "lookalike",
        ["Аda", "Adа", "ada", "ADA", "A\u200bda", "Ａda", "Ada\u2060", "ɑda"],
    )
    def test_lookalikes_of_ada(self, lookalike: str) -> None:
        assert looks_like(lookalike, "Ada")

    @pytest.mark.parametrize("other", ["Adam", "Bob", "Ada L", "Jürgen"])
    def test_other_names_do_not(self, other: str) -> None:
        assert not looks_like(other, "Ada" if other != "Jürgen" else "Jurgen")

    def test_skeleton_is_tr39s(self) -> None:
        assert skeleton("раураl") == skeleton("paypal")  # Cyrillic р, а, у
        assert skeleton("I") == skeleton("l") == skeleton("1")
        assert name_keys("Iris") & name_keys("lris")

    @given(st.text(max_size=40))
    def test_cleaning_is_stable(self, name: str) -> None:
        once = clean_name(name)
        assert clean_name(once) == once
        assert looks_like(name, once) or not name_keys(once)


def check(author: str, *protected: str) -> Any:
    draft = CommentDraft(post_id="p", author=author, body="Hello")
    ctx = FilterContext(T0, PostRef("p", "P", protected_names=protected), object())  # type: ignore[arg-type]
    return ImpersonationFilter().check(draft, ctx)


def test_filter_holds_a_lookalike_with_the_reason() -> None:
    verdict = check("Аda", "Ada", "owner")
    assert verdict is not None and verdict.action is Action.MODERATE
    assert "'Ada'" in verdict.reason and verdict.source == "impersonation"
    assert check("Grace", "Ada", "owner") is None
    assert check("Аda") is None  # nothing protected


@pytest.fixture
def authored(app: Flask) -> PostInfo:
    return add_post(app, "By Ada", "by-ada", author="Ada Lovelace")


def stored_only(app: Flask, post: PostInfo) -> Any:
    with app.app_context():
        (comment,) = get_service().store.list_for_post(post.uid, None)
    return comment


def test_a_name_like_the_posts_author_is_held(app: Flask, authored: PostInfo, poster: Any) -> None:
    response = poster.post(authored.slug, author="Аda Lovelace\u200b")  # Cyrillic А
    assert response.status_code == 303
    comment = stored_only(app, authored)
    assert comment.status is Status.PENDING
    assert comment.author == "Аda Lovelace"  # stored cleaned: no zero-width space
    assert any(v.source == "impersonation" for v in comment.verdicts)


@pytest.mark.parametrize("typed", ["MARGUERlTE", "Grace Hopper", "grace  hopper"])
def test_a_name_like_any_owners_is_held(
    app: Flask, post: PostInfo, poster: Any, typed: str
) -> None:
    """Every owner account's name is protected (the POST reads them with the post)."""
    with app.app_context():
        for name in ("marguerite", "Grace Hopper"):
            owner = User(username=name)
            owner.set_password("long enough password")
            db.session.add(owner)
        db.session.commit()
    poster.post(post.slug, author=typed)  # l for I; the second owner's name
    assert stored_only(app, post).status is Status.PENDING


def test_other_names_are_published(app: Flask, authored: PostInfo, poster: Any) -> None:
    poster.post(authored.slug, author="Grace\u200b Hopper")
    comment = stored_only(app, authored)
    assert comment.status is Status.APPROVED and comment.author == "Grace Hopper"


def test_a_name_of_invisible_characters_only_is_refused(
    app: Flask, post: PostInfo, poster: Any
) -> None:
    response = poster.post(post.slug, author="\u200b\u200d")
    assert response.status_code == 422
    assert "Please enter your name." in response.get_data(as_text=True)


class TestBlocklistSkeletons:
    @pytest.fixture
    def blocklist(self, tmp_path: Path) -> BlocklistFilter:
        (tmp_path / "list.txt").write_text("cheap pills\npaypal\n")
        return BlocklistFilter(path=str(tmp_path / "list.txt"))

    @pytest.mark.parametrize(
        "text", ["Buy CHEAP pills", "chеap pills", "che\u200bap pills", "ｃｈｅａｐ pills"]
    )
    def test_lookalikes_match(self, blocklist: BlocklistFilter, text: str) -> None:
        verdict = blocklist.check(CommentDraft("p", "Ada", text), object())  # type: ignore[arg-type]
        assert verdict is not None and verdict.reason == "matched blocklist entry 'cheap pills'"

    def test_names_match_by_skeleton(self, blocklist: BlocklistFilter) -> None:
        verdict = blocklist.check(CommentDraft("p", "раураl support", "hi"), object())  # type: ignore[arg-type]
        assert verdict is not None and "'paypal'" in verdict.reason

    def test_whole_words_still(self, blocklist: BlocklistFilter) -> None:
        assert blocklist.check(CommentDraft("p", "Ada", "cheap pillsbury"), object()) is None  # type: ignore[arg-type]


class TestImpersonationContract(SpamFilterContract):
    @pytest.fixture
    def spam_filter(self) -> ImpersonationFilter:
        return ImpersonationFilter()

    @pytest.fixture
    def filter_ctx(self) -> FilterContext:
        return FilterContext(T0, PostRef("post-a", "A post", protected_names=("Ada",)), object())  # type: ignore[arg-type]

    def spam_example(self, filter_ctx: FilterContext) -> CommentDraft:
        return spam_draft(author="Аda")
