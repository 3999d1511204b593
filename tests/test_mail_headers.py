"""Whatever a reader or the owner typed, a queued email has exactly the headers we wrote.

Post titles and readers' names go into subjects: a line break in one must never add a header
(header injection) nor make the message unbuildable.
"""

from __future__ import annotations

import email
import email.policy
import json

from hypothesis import given
from hypothesis import strategies as st

from blogengine.mail.models import OutboxMessage
from blogengine.mail.outbox import LONGEST_SUBJECT, Outbox, one_line
from blogengine.mail.settings import MailSettings
from blogengine.timeutil import utcnow

SETTINGS = MailSettings(server="127.0.0.1", sender="Blog <blog@blog.test>")
EXPECTED = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
}


@given(subject=st.text(), body=st.text())
def test_hostile_subjects_and_bodies_add_no_header(subject: str, body: str) -> None:
    row = OutboxMessage(
        id=1,
        to_addr="reader@example.org",
        subject=one_line("[blog] " + subject),
        body_text=body,
        headers=json.dumps({"Message-ID": "<1@blog.test>", "Auto-Submitted": "auto-generated"}),
    )
    built = Outbox(SETTINGS, None).build(row, utcnow())
    parsed = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    assert set(parsed.keys()) == EXPECTED
    assert parsed["To"] == "reader@example.org"
    subject_back = str(parsed["Subject"])
    # What we wrote, on one line, word for word. Only the spaces may move: Python's email
    # package folds a long non-ASCII subject into RFC 2047 encoded words, and the whitespace
    # between words is not always given back where it was (found by Hypothesis: U+0800 x n
    # then "\x80 \x80").
    assert "\n" not in subject_back and "\r" not in subject_back
    assert "".join(subject_back.split()) == "".join(row.subject.split())
    assert len(row.subject) <= LONGEST_SUBJECT


@given(st.text())
def test_one_line_keeps_the_words_on_one_line(text: str) -> None:
    flat = one_line(text, limit=10_000)
    assert flat.split() == text.split()
    assert "\n" not in flat and "\r" not in flat
