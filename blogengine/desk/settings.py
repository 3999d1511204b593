"""The settings page: which CAPTCHA, spam chain and store run, from where, with what options.

The same facts as `blogengine plugins` (``comments.backend_facts``), read-only: settings are
changed in instance/config.py or BLOGENGINE_* variables, and the page says so.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, render_template
from flask.typing import ResponseReturnValue

from ..comments import backend_facts
from ..comments.registry import CAPTCHA, COMMENT_STORES, SPAM_FILTERS
from .blueprint import bp

SECTIONS = (
    (CAPTCHA, "CAPTCHA", "COMMENTS_CAPTCHA"),
    (SPAM_FILTERS, "Spam-filter chain", "COMMENTS_SPAM_FILTERS"),
    (COMMENT_STORES, "Comment store", "COMMENTS_STORE"),
)


@bp.get("/settings")
def settings() -> ResponseReturnValue:
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
    )


def option_text(value: Any) -> str:
    """An option's value as typed in config: strings bare, the rest as JSON (masks kept)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
