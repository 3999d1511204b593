"""A comment's text -> the set of tokens the model weighs.

Built for comment spam in general, not for one sample: words and word pairs, a few character
n-grams (they survive "subscr1be" and glued words), and signs every spam wave shares (links,
shouting, long digit runs, money). Never the date, the id or the address: those say nothing
about the next comment.

Tokens are plain strings with a prefix saying what they are, so a moderator's reason can be
written back in words (see ``describe``).
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from urllib.parse import urlsplit

_TAG = re.compile(r"<[^>]{0,500}>")
_HREF = re.compile(r"""(?i)<a\s[^>]*?href\s*=\s*["']?([^"'\s>]+)""")
_URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+\.(?:com|net|org|ly|be|co|info|biz|ru|io)(?:/[^\s<>\"']*)?\b"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
#: A phone number: "+44 20 7946 0958", "08712460324" (not a year or a view count).
_PHONE = re.compile(r"(?:\+|\b0)\d[\d\s-]{7,}\d")
_MONEY = re.compile(r"[£$€]\s?\d|\d\s?(?:£|\$|€|usd|gbp|eur)\b", re.IGNORECASE)
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_REPEAT = re.compile(r"(.)\1{3,}")

#: Character n-gram sizes (inside words, with the word's edges marked); 3-grams were
#: measured too and made short good comments look like spam.
CHAR_NGRAMS = (4,)
#: Longest text read: the rest adds nothing to the verdict and costs time.
MAX_CHARS = 4000


def clean_text(text: str) -> str:
    """Entities decoded, markup and invisible characters gone, compatibility forms folded."""
    text = html.unescape(html.unescape(text[:MAX_CHARS]))
    text = _INVISIBLE.sub("", text)
    return unicodedata.normalize("NFKC", text)


def tokens(body: str, website: str | None = None) -> set[str]:
    """Every token of a comment (a set: a word said twice counts once)."""
    raw = clean_text(body)
    links = _HREF.findall(raw)
    text = _TAG.sub(" ", raw)
    links += _URL.findall(text)
    text = _URL.sub(" ", text)
    found: set[str] = set()
    found.update(_link_tokens(links))
    if website:
        # Only the site it names: giving a website is what a blog's readers do, not a sign.
        found.update(_hosts([website]))
    found.update(_shape_tokens(text))
    words = [w.casefold() for w in _WORD.findall(_EMAIL.sub(" ", text))]
    found.update(f"w:{w}" for w in words)
    found.update(f"b:{a} {b}" for a, b in itertools.pairwise(words))
    for word in words:
        if len(word) < 4 or not word.isalpha():
            continue
        marked = f"<{word}>"
        for n in CHAR_NGRAMS:
            found.update(f"c:{marked[i : i + n]}" for i in range(len(marked) - n + 1))
    return found


def _link_tokens(links: list[str]) -> set[str]:
    if not links:
        return set()
    count = len(links)
    found = {"m:link"} | ({f"m:links-{min(count, 3)}"} if count > 1 else set())
    return found | _hosts(links)


def _hosts(links: list[str]) -> set[str]:
    """``d:example.com`` for each link's host (a moderator's verdicts teach which are bad)."""
    found = set()
    for link in links:
        target = link if "://" in link else "http://" + link
        try:
            host = (urlsplit(target).hostname or "").removeprefix("www.")
        except ValueError:
            continue
        if host:
            found.add(f"d:{host}")
    return found


def _shape_tokens(text: str) -> set[str]:
    """What the text looks like: length, shouting, digits, money, emails, repeated letters."""
    found = set()
    letters = [c for c in text if c.isalpha()]
    size = len(text.strip())
    found.add(
        "m:len-"
        + (
            "short"
            if size < 20
            else "medium"
            if size < 80
            else "long"
            if size < 300
            else "very-long"
        )
    )
    if len(letters) >= 8:
        upper = sum(c.isupper() for c in letters) / len(letters)
        if upper > 0.6:
            found.add("m:shouting")
    if _PHONE.search(text):
        found.add("m:phone")
    if _MONEY.search(text):
        found.add("m:money")
    if _EMAIL.search(text):
        found.add("m:email")
    if text.count("!") >= 3:
        found.add("m:exclaim")
    if _REPEAT.search(text):
        found.add("m:repeated-char")
    return found


_META_WORDS = {
    "m:link": "a link",
    "m:links-2": "two links",
    "m:links-3": "three or more links",
    "m:shouting": "capitals",
    "m:phone": "a phone number",
    "m:money": "a sum of money",
    "m:email": "an email address",
    "m:exclaim": "many '!'",
    "m:repeated-char": "repeated letters",
}


def is_sign(token: str) -> bool:
    """True for the signs every text has or lacks (a link, capitals, its length, the bias)."""
    return token.startswith("m:")


def describe(token: str) -> str | None:
    """A token in words for a moderator ("'my channel'", "a link"), or None if unreadable."""
    kind, _, value = token.partition(":")
    if kind in ("w", "b"):
        return f"'{value}'"
    if kind == "d":
        return f"a link to {value}"
    if kind == "m":
        return _META_WORDS.get(token)
    return None  # character n-grams say nothing to a person
