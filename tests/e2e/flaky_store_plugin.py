"""Test-only plugin: the `flaky` comment store, the sql store failing while a file exists.

The browser tests copy this file into a temporary plugins folder (PLUGINS_FOLDER) and choose
it with COMMENTS_STORE=flaky and COMMENTS_STORE_OPTIONS={"flaky": {"fail_marker": path}}, so a
test can make the store fail from outside the gunicorn workers, then recover.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blogengine.comments.builtin.store_sql import SqlCommentStore
from blogengine.comments.contracts import NewComment, StoredComment, StoreError


class FlakyStore(SqlCommentStore):
    """Options: ``fail_marker`` (add() raises StoreError while it exists) and the sql options."""

    def __init__(self, *, fail_marker: str, **options: Any) -> None:
        super().__init__(**options)
        self.fail_marker = Path(fail_marker)

    def add(self, new: NewComment) -> StoredComment:
        if self.fail_marker.exists():
            raise StoreError(f"failing on purpose while {self.fail_marker} exists")
        return super().add(new)


def register(registry: Any) -> None:
    """Plugin-folder entry point: offer the store under the name `flaky`."""
    registry.register_store("flaky", FlakyStore)
