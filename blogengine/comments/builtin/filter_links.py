"""The `links` filter: many links in one comment is the commonest mark of spam."""

from __future__ import annotations

import re

from ..contracts import Action, CommentDraft, FilterContext, Verdict

# A URL with a scheme, or a bare www. address not already part of one ("http://www.x" is one).
_URL = re.compile(r"(?i)\bhttps?://[^\s<>\"'\]\[]+|(?<![\w/.@-])www\.[^\s<>\"'\]\[]+")
# Markup links; each usually wraps a URL too, so they only count when they outnumber URLs.
_TAG = re.compile(r"(?i)<a\s|\[url\b")


def count_links(text: str) -> int:
    """How many links a reader's text holds, each counted once however it is written."""
    return max(len(_URL.findall(text)), len(_TAG.findall(text)))


class LinksFilter:
    """Options: ``max_links`` (more than this -> MODERATE)."""

    #: Runs on the request's thread (chain.py): counts links in the text.
    inline = True

    def __init__(self, *, max_links: int = 2) -> None:
        if max_links < 0:
            raise ValueError("max_links must be 0 or more")
        self.max_links = max_links

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        count = count_links(draft.body)
        if count > self.max_links:
            return Verdict(
                Action.MODERATE,
                f"{count} links (more than {self.max_links}) in the comment",
                "links",
            )
        return None
