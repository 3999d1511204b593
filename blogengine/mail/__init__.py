"""Email: one outbox for everything the site sends (the owner's notices, readers' replies).

``init_mail`` builds the pieces from the MAIL_* keys, registers the comment listener that
queues messages, and the pages and feed; ``blogengine outbox run`` sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

from .feed import ModerationFeedToken
from .outbox import Outbox
from .settings import MailSettings
from .smtp import SmtpTransport
from .subscriptions import ReplySubscriptions

MAIL_KEY = "blogengine.mail"


@dataclass(frozen=True)
class MailServices:
    """What the web pages and the CLI reach: one of each, per app."""

    settings: MailSettings
    outbox: Outbox
    subscriptions: ReplySubscriptions
    feed_token: ModerationFeedToken

    def tidy(self, now: datetime) -> tuple[int, int]:
        """Forget old sent messages and expired unconfirmed subscriptions (readers' addresses)."""
        return self.outbox.forget_sent(now), self.subscriptions.forget_unconfirmed(now)


def init_mail(app: Flask) -> None:
    """Build the mail services, listen to the comment service, add the pages and the feed."""
    from ..comments import get_service
    from . import views
    from .notify import CommentNotifier

    settings = MailSettings.from_config(app.config)
    transport = SmtpTransport(settings) if settings.enabled else None
    services = MailServices(
        settings=settings,
        outbox=Outbox(settings, transport),
        subscriptions=ReplySubscriptions(app.config["SECRET_KEY"]),
        feed_token=ModerationFeedToken(),
    )
    app.extensions[MAIL_KEY] = services
    get_service(app).add_listener(
        CommentNotifier(settings, services.outbox, services.subscriptions)
    )
    app.add_template_global(lambda: settings.enabled, "mail_enabled")
    app.register_blueprint(views.bp)


def get_mail(app: Flask | None = None) -> MailServices:
    """The app's mail services (in a request, the current app's)."""
    services: MailServices = (app or current_app).extensions[MAIL_KEY]
    return services
