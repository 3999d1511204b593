"""The MAIL_* keys read once into one typed object, and whether mail is on at all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server and how patiently to retry (see config.py's MAIL_* keys)."""

    server: str | None = None
    port: int = 25
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    sender: str | None = None
    owner_address: str | None = None
    timeout: float = 30.0
    max_attempts: int = 8
    retry_delay: float = 60.0
    retry_max_delay: float = 6 * 3600.0
    worker_interval: float = 5.0
    keep_sent_days: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        settings = cls(
            server=config.get("MAIL_SERVER") or None,
            port=int(config["MAIL_PORT"]),
            use_tls=bool(config["MAIL_USE_TLS"]),
            use_ssl=bool(config["MAIL_USE_SSL"]),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            sender=config.get("MAIL_DEFAULT_SENDER") or None,
            owner_address=config.get("MAIL_OWNER_ADDRESS") or None,
            timeout=float(config["MAIL_TIMEOUT"]),
            max_attempts=max(1, int(config["MAIL_MAX_ATTEMPTS"])),
            retry_delay=float(config["MAIL_RETRY_DELAY"]),
            retry_max_delay=float(config["MAIL_RETRY_MAX_DELAY"]),
            worker_interval=float(config["MAIL_WORKER_INTERVAL"]),
            keep_sent_days=int(config["MAIL_KEEP_SENT_DAYS"]),
        )
        if settings.server and not settings.sender:
            raise ValueError("MAIL_SERVER is set but MAIL_DEFAULT_SENDER is not: mail needs a From")
        if settings.use_tls and settings.use_ssl:
            raise ValueError("MAIL_USE_TLS (STARTTLS) and MAIL_USE_SSL exclude each other")
        return settings

    @property
    def enabled(self) -> bool:
        """Mail is on when a server is set; off, nothing is queued at all."""
        return bool(self.server)

    def retry_after(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: doubling, capped."""
        return float(min(self.retry_delay * 2 ** max(0, attempts - 1), self.retry_max_delay))
