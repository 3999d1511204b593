"""Labelled comments from files: CSV with a header (quoted multi-line fields) or the SMS TSV.

The public sets the shipped model is trained on (see ``training.py``) and any CSV an owner
measures with ``blogengine spam classify/eval`` are read here, one way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SPAM_LABELS = frozenset({"1", "spam"})
HAM_LABELS = frozenset({"0", "ham"})


class DatasetError(ValueError):
    """A file that cannot be read as asked (a missing column, say); the message says why."""


@dataclass(frozen=True)
class Row:
    """One row: its number (1 = the first data row), text, author and label if any."""

    number: int
    text: str
    author: str = ""
    #: True spam, False good, None unlabelled (or a label that is neither).
    is_spam: bool | None = None
    label: str = ""


def parse_label(value: str) -> bool | None:
    """1/spam -> True, 0/ham -> False, anything else -> None (not learned, not counted)."""
    value = value.strip().lower()
    if value in SPAM_LABELS:
        return True
    if value in HAM_LABELS:
        return False
    return None


def read_csv(
    path: Path,
    text_column: str,
    author_column: str | None = None,
    label_column: str | None = None,
) -> Iterator[Row]:
    """Rows of a CSV file with a header; refuses missing columns, naming those it found."""
    with path.open(encoding="utf-8-sig", newline="") as src:
        reader = csv.DictReader(src)
        found = list(reader.fieldnames or [])
        wanted = [c for c in (text_column, author_column, label_column) if c]
        missing = [c for c in wanted if c not in found]
        if missing:
            raise DatasetError(
                f"{path}: no column {', '.join(repr(c) for c in missing)}; "
                f"columns found: {', '.join(repr(c) for c in found) or 'none'}"
            )
        for number, record in enumerate(reader, start=1):
            label = (record.get(label_column) or "") if label_column else ""
            yield Row(
                number=number,
                text=record.get(text_column) or "",
                author=(record.get(author_column) or "") if author_column else "",
                is_spam=parse_label(label) if label_column else None,
                label=label,
            )


def read_sms_tsv(path: Path) -> Iterator[Row]:
    """The SMS Spam Collection: ``label<TAB>text`` per line, no header, no quoting."""
    with path.open(encoding="utf-8", newline="") as src:
        for number, line in enumerate(src, start=1):
            label, sep, text = line.rstrip("\r\n").partition("\t")
            if not sep:
                raise DatasetError(f"{path}:{number}: no tab between label and text")
            yield Row(number=number, text=text, is_spam=parse_label(label), label=label)


def read_labelled(path: Path) -> Iterator[Row]:
    """A public training set by its format: the SMS TSV, else the YouTube CSV columns."""
    if path.suffix.lower() == ".tsv":
        return read_sms_tsv(path)
    return read_csv(path, "CONTENT", "AUTHOR", "CLASS")
