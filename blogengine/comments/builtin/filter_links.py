"""The `links` filter: many links in one comment is the commonest mark of spam."""

from __future__ import annotations

import re

from ..contracts import Action, CommentDraft, FilterContext, Verdict

_LINK = re.compile(r"(?i)\b(?:https?://|www\.)|<a\s|\[url")


class LinksFilter:
    """Options: ``max_links`` (more than this -> MODERATE)."""

    def __init__(self, *, max_links: int = 2) -> None:
        self.max_links = max_links

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        count = len(_LINK.findall(draft.body))
        if count > self.max_links:
            return Verdict(
                Action.MODERATE,
                f"{count} links (more than {self.max_links}) in the comment",
                "links",
            )
        return None
