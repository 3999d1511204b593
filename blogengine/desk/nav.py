"""The desk's navigation: one line per page, in the order the header shows them.

A new desk page adds its ``NavItem`` here, and its templates ``{% set section = "..." %}``
with the item's ``section`` so the header marks it as the current page. ``badge`` names a
count in ``BADGES`` that the header shows beside the label (the comments awaiting
moderation, the emails that failed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..comments import get_service
from ..comments.contracts import Status
from ..mail import get_mail
from ..mail.models import MailState


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    section: str
    badge: str | None = None


def pending_comments() -> int:
    return get_service().store.count_by_status().get(Status.PENDING, 0)


def failed_mail() -> int:
    """Messages the worker gave up on: nothing more happens unless the owner sends them again."""
    return get_mail().outbox.counts()[MailState.FAILED]


NAV: tuple[NavItem, ...] = (
    NavItem("desk.comments", "Comments", "comments", badge="pending"),
    NavItem("desk.posts_list", "Posts", "posts"),
    NavItem("desk.outbox", "Outbox", "outbox", badge="failed"),
    NavItem("desk.settings", "Settings", "settings"),
    NavItem("desk.account", "Account", "account"),
)

#: Counts for the nav's badges, by name; each is read once per desk page.
BADGES: dict[str, Callable[[], int]] = {"pending": pending_comments, "failed": failed_mail}
