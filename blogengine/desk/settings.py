"""The settings page: which CAPTCHA, spam chain and store run, from where, with what options.

The same facts as `blogengine plugins` (``comments.backend_facts``), read-only: settings are
changed in instance/config.py or BLOGENGINE_* variables, and the page says so. It also holds
the private moderation feed's switch (``desk.feed``): its state and a new secret address.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, render_template
from flask.typing import ResponseReturnValue

from ..comments import backend_facts
from ..comments.registry import CAPTCHA, COMMENT_STORES, SPAM_FILTERS
from ..mail import get_mail
from .blueprint import bp
from .forms import ActionForm

SECTIONS = (
    (CAPTCHA, "CAPTCHA", "COMMENTS_CAPTCHA"),
    (SPAM_FILTERS, "Spam-filter chain", "COMMENTS_SPAM_FILTERS"),
    (COMMENT_STORES, "Comment store", "COMMENTS_STORE"),
)


@bp.get("/settings")
def settings() -> ResponseReturnValue:
    return settings_page()


def settings_page(new_feed_url: str | None = None) -> str:
    """The page; ``new_feed_url`` is the moderation feed's new address, shown this once."""
    facts = backend_facts()
    active = {slot: [f for f in facts if f.slot == slot and f.active] for slot, _, _ in SECTIONS}
    active[SPAM_FILTERS].sort(key=lambda f: f.position or 0)
    available = {
        slot: [f for f in facts if f.slot == slot and not f.active] for slot, _, _ in SECTIONS
    }
    config = current_app.config
    return render_template(
        "desk/settings.html",
        sections=SECTIONS,
        active=active,
        available=available,
        moderate_all=bool(config["COMMENTS_MODERATE_ALL"]),
        filter_timeout=config["COMMENTS_FILTER_TIMEOUT"],
        plugins_folder=config["PLUGINS_FOLDER"],
        option_text=option_text,
        feed_on=get_mail().feed_token.is_on(),
        new_feed_url=new_feed_url,
        form=ActionForm(),
    )


def option_text(value: Any) -> str:
    """An option's value as typed in config: strings bare, the rest as JSON (masks kept)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
