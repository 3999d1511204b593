"""The `impersonation` filter: a name that looks like the post's author's or an owner's waits.

"Аda" with a Cyrillic "А", or "Ada" with a zero-width space, reads as the owner on the page.
Names are compared by confusable skeleton (``comments.names``) against the names the host
protects (``PostRef.protected_names``: the post's author and the owner accounts). A match is
held for moderation, never marked spam: it may be the owner, not signed in.
"""

from __future__ import annotations

from ..contracts import Action, CommentDraft, FilterContext, Verdict
from ..names import looks_like


class ImpersonationFilter:
    """No options."""

    #: Runs on the request's thread (chain.py): compares names in memory.
    inline = True

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        for protected in ctx.post.protected_names:
            if looks_like(draft.author, protected):
                return Verdict(
                    Action.MODERATE,
                    f"the name {draft.author!r} looks like {protected!r}, the post's author "
                    "or the site's owner",
                    "impersonation",
                )
        return None
