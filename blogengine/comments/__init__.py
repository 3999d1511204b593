"""The comment pipeline: choosing the backends at start-up and reaching them in a request."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app

from ..spam import learned as _learned  # noqa: F401  (its tables are in the migrations)
from .builtin import store_sql as _store_sql  # noqa: F401  (its table is in the migrations)
from .chain import SpamChain
from .contracts import INSTANCE_PATH_OPTION
from .ledger import SqlNonceLedger
from .moderation import ModerationService
from .registry import CAPTCHA, COMMENT_STORES, SPAM_FILTERS, BackendFacts, Registry, describe
from .service import CommentService

log = logging.getLogger(__name__)

REGISTRY_KEY = "blogengine.registry"
#: CAPTCHAs that keep no bot out, with why; chosen on purpose they are fine, by mistake not
#: (serving.py says so when the site starts serving).
WEAK_CAPTCHAS = {
    "none": "no challenge at all",
    "fixed": "one known answer, meant for tests and private sites",
}
SERVICE_KEY = "blogengine.comments"


def init_comments(app: Flask) -> None:
    """Discover every backend, build the chosen ones and keep them on the app.

    An unknown name or a bad option raises here, so a misconfigured site does not start.
    """
    registry = Registry()
    registry.discover(app.config["PLUGINS_FOLDER"])
    app.extensions[REGISTRY_KEY] = registry
    app.extensions[SERVICE_KEY] = build_service(app, registry)
    # The CAPTCHA fieldset's legend, in the CAPTCHA's words (a question, or a check).
    app.add_template_global(lambda: get_service().captcha_legend(), "captcha_legend")


def build_service(app: Flask, registry: Registry) -> CommentService:
    config = app.config
    host = {INSTANCE_PATH_OPTION: Path(app.instance_path)}
    captcha_name = config["COMMENTS_CAPTCHA"]
    captcha = registry.create(
        CAPTCHA, captcha_name, config["COMMENTS_CAPTCHA_OPTIONS"].get(captcha_name), host=host
    )
    # A provider's widget (turnstile...) needs the CSP opened to it: say so at start-up.
    csp_problems = getattr(captcha, "csp_problems", None)
    if callable(csp_problems):
        for problem in csp_problems(str(config["CONTENT_SECURITY_POLICY"] or "")):
            log.warning(problem)
    filter_names = config["COMMENTS_SPAM_FILTERS"]
    if isinstance(filter_names, str):
        filter_names = [n.strip() for n in filter_names.split(",") if n.strip()]
    filters = [
        (
            name,
            registry.create(
                SPAM_FILTERS, name, config["COMMENTS_SPAM_FILTERS_OPTIONS"].get(name), host=host
            ),
        )
        for name in filter_names
    ]
    store_name = config["COMMENTS_STORE"]
    store = registry.create(
        COMMENT_STORES, store_name, config["COMMENTS_STORE_OPTIONS"].get(store_name), host=host
    )
    from ..freshness import StampingStore  # the host's, around whichever store was chosen

    return CommentService(
        captcha=captcha,
        chain=SpamChain(filters, timeout=float(config["COMMENTS_FILTER_TIMEOUT"])),
        store=StampingStore(store, app),
        ledger=SqlNonceLedger(),
        secret_key=config["SECRET_KEY"],
        moderate_all=bool(config["COMMENTS_MODERATE_ALL"]),
    )


def get_service(app: Flask | None = None) -> CommentService:
    """The app's comment service (in a request, the current app's)."""
    service: CommentService = (app or current_app).extensions[SERVICE_KEY]
    return service


def get_registry(app: Flask | None = None) -> Registry:
    registry: Registry = (app or current_app).extensions[REGISTRY_KEY]
    return registry


def get_moderation(app: Flask | None = None) -> ModerationService:
    """The owner's decisions on comments (desk and CLI), over the app's comment service."""
    return ModerationService(get_service(app))


def backend_facts(app: Flask | None = None) -> list[BackendFacts]:
    """Every comment backend, whether in use, where it came from and its options (masked)."""
    app = app or current_app
    config = app.config
    return describe(
        get_registry(app),
        captcha=config["COMMENTS_CAPTCHA"],
        chain=get_service(app).chain.names,
        store=config["COMMENTS_STORE"],
        options={
            CAPTCHA: config["COMMENTS_CAPTCHA_OPTIONS"],
            SPAM_FILTERS: config["COMMENTS_SPAM_FILTERS_OPTIONS"],
            COMMENT_STORES: config["COMMENTS_STORE_OPTIONS"],
        },
    )
