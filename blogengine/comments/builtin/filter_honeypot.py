"""The `honeypot` filter: a field people never see and bots fill in."""

from __future__ import annotations

from markupsafe import Markup

from ..contracts import Action, CommentDraft, FilterContext, Verdict


class HoneypotFilter:
    """Options: ``field`` (the input's name). A filled honeypot is SPAM (kept for review)."""

    #: Runs on the request's thread (chain.py): reads the form's fields only.
    inline = True

    def __init__(self, *, field: str = "homepage_url") -> None:
        self.field = field

    def form_fields(self) -> Markup:
        # Hidden from people by CSS (not type=hidden, which bots skip) and from screen readers.
        return Markup(
            '<div class="hp" aria-hidden="true"><label for="{f}">Leave this empty</label>'
            '<input id="{f}" name="{f}" type="text" tabindex="-1" autocomplete="off"></div>'
        ).format(f=self.field)

    def check(self, draft: CommentDraft, ctx: FilterContext) -> Verdict | None:
        if (draft.fields.get(self.field) or "").strip():
            return Verdict(Action.SPAM, f"hidden field {self.field!r} was filled in", "honeypot")
        return None
