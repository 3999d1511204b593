"""A comment's text -> the set of tokens the model weighs.

Built for comment spam in general, not for one sample: words and word pairs, signs every text
has or lacks (a link, shouting, a phone number, money, its length) and the *kinds* of thing
comment spam does whatever its topic (``KINDS``: a call to action, self-promotion, begging for
likes, money offered, a link with little text, a disguised address, a link to a profile, shop
or fundraiser) or that good comments do (a link to a source: an encyclopaedia, a code host,
a bug tracker, documentation). Never the date, the id or the address: those say nothing
about the next comment.

Character n-grams were measured and dropped: over a long comment their many small weights
piled up into "spam" (a third of real blog comments held), and they did not generalise from
one YouTube set to the next any better than words do.

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
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9-]+\.(?:com|net|org|ly|be|co|info|biz|ru|io|pl|de|uk|me|tv|us|eu|fr|xyz|top)"
    r"(?:/[^\s<>\"']*)?\b"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
#: A phone number: "+44 20 7946 0958", "08712460324" (not a year or a view count).
_PHONE = re.compile(r"(?:\+|\b0)\d[\d\s-]{7,}\d")
_MONEY = re.compile(r"[£$€]\s?\d|\d\s?(?:£|\$|€|usd|gbp|eur)\b", re.IGNORECASE)
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_REPEAT = re.compile(r"(.)\1{3,}")
#: A web address written so that it does not look like one: "site . com", "site dot com".
_HIDDEN_URL = re.compile(
    r"(?i)\b[a-z0-9-]{2,}(?:\s+\.|\.\s+(?=(?:com|net|org)/)|\s*\(dot\)|\s*\[dot\]|\s+dot\s)\s*"
    r"(?:com|net|org|info|biz|ru|io|co|me|tv|us|uk|de|pl|ly)\b"
)

#: What comment spam asks or offers, whatever its topic: each kind is one token, so what the
#: model learns from "subscribe to my channel" also weighs "follow my blog". Matched on the
#: text without its links, case folded.
KINDS: dict[str, re.Pattern[str]] = {
    # A call to action aimed at the reader.
    "k:call": re.compile(
        r"\b(?:check(?:ing)?\s+(?:it|this|them|me|us|my|our)?\s*out|subscri\w*|sucscri\w*|"
        r"sub\s+(?:to|me|4|for|my)|subs?\s+back|visit\s+(?:my|our|us|me|this|the\s+site|the\s+link)|"
        r"follow\s+(?:me|us|my|our)|add\s+me|hit\s+me\s+up|look\s+(?:me|us)\s+up|"
        r"click\s+(?:here|this|the\s+link|on\s+(?:my|the|this))|go\s+to\s+(?:my|our)|"
        r"(?:watch|listen\s+to|see|view|share|support|like|try|download|join)\s+(?:my|our)|"
        r"sign\s+up|join\s+(?:us|now|me)|(?:please|plz|pls)\s+(?:help|support|subscribe|check|"
        r"watch|visit|like|share|follow|add|give|take|look|listen|vote)|don'?t\s+forget\s+to|"
        r"take\s+a\s+look\s+at\s+(?:my|our|this)|search\s+(?:for\s+)?(?:my|our|\")|"
        r"take\s+(?:a|1|one|just\s+a)\s+(?:second|sec|minute|min|moment)\s+(?:to|and)|"
        r"(?:call|text|txt|reply|send)\s+(?:now|me\s+at|\d)|"
        r"^\W*(?:watch|listen\s+to|visit|click|download|join|follow|buy|get\s+(?:your|free|a\s+free))\b)"
    ),
    # Talking up one's own things.
    "k:own": re.compile(
        r"\b(?:my|our)\s+(?:new\s+|own\s+|first\s+|latest\s+|little\s+|youtube\s+)?"
        r"(?:channel|video|videos|vid|vids|vlog|page|blog|site|website|web\s+site|music|song|songs|"
        r"cover|covers|track|tracks|mixtape|album|band|playlist|profile|account|instagram|"
        r"facebook|twitter|shop|store|business|app|game|book|ebook|stream|art|rap|beats?|"
        r"friends?\s+channel|subscribers|subs)\b"
    ),
    # Asking for likes, thumbs, shares or replies to the comment itself.
    "k:bait": re.compile(
        r"\b(?:(?:like|thumbs?\s+up|upvote|reply\s+to)\s+(?:this|my)\s+comment|"
        r"like\s*(?:&|and)\s*share|(?:give|gimme)\s+(?:it|this|me)\s+a\s+(?:like|thumbs?)|"
        r"how\s+many\s+(?:people\s+)?(?:likes?|thumbs?)|(?:need|want|get|help\s+me\s+get)\s+"
        r"(?:a\s+lot\s+of\s+|more\s+|some\s+|\d+\s+)?(?:likes|subs|subscribers|views|followers)\b|"
        r"(?:like|follow|sub)\s*(?:4|for)\s*(?:like|follow|sub))"
    ),
    # Money offered: prizes, gift cards, pay for little work, the old pills and casinos.
    "k:money": re.compile(
        r"\b(?:earn\s+(?:money|cash|\$|up\s+to)|make\s+(?:\$|money|cash)|(?:free|win)\s+"
        r"(?:money|cash|prizes?|gifts?|iphone|ipad|entry)|free\s+(?:leads|traffic|followers|views|"
        r"subscribers|likes|robux|gems|coins)|gift\s*cards?|paypal|bitcoin|casino|"
        r"viagra|cialis|pharmacy|replica|backlinks?|work\s+from\s+home|payday\s+loans?|"
        r"[$£€]\s?\d[\d,.]*\s*(?:per|a|an|/)\s*(?:day|hour|week|month))"
    ),
}


def _names(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


#: Where a reader citing a source links to: encyclopaedias and wikis, code hosts and bug
#: trackers, documentation, standards bodies, Q&A sites, archives, universities and
#: governments. Matched on the host's labels, right to left (``docs.python.org`` is ``docs``).
CITED_HOSTS = _names(
    "wikipedia.org wikimedia.org mediawiki.org wiktionary.org wikidata.org github.com "
    "gitlab.com bitbucket.org sourceforge.net launchpad.net codeberg.org savannah.gnu.org "
    "pypi.org pypi.python.org npmjs.com crates.io stackoverflow.com stackexchange.com "
    "superuser.com serverfault.com w3.org ietf.org rfc-editor.org arxiv.org doi.org "
    "archive.org ncbi.nlm.nih.gov jstor.org readthedocs.io readthedocs.org"
)
#: Host labels that name a reference part of a site: ``wiki.``, ``docs.``, ``bugs.``...
CITED_LABELS = _names(
    "wiki docs doc bugs bugzilla issues tracker trac jira lists code git svn hg developer "
    "developers api"
)
#: Top-level domains of universities and governments (``.edu``, ``.gov``, ``.ac.uk``...).
CITED_SUFFIXES = (".edu", ".gov", ".mil", ".int")
CITED_INFIXES = (".ac.", ".edu.", ".gov.")
#: Where self-promotion links to: social profiles, channels, fundraisers, shops, app stores,
#: file lockers and link shorteners (hiding where a link goes).
PROMOTED_HOSTS = _names(
    "facebook.com fb.com fb.me instagram.com twitter.com plus.google.com tumblr.com "
    "pinterest.com vk.com myspace.com tiktok.com snapchat.com soundcloud.com bandcamp.com "
    "reverbnation.com twitch.tv mixcloud.com datpiff.com gofundme.com indiegogo.com "
    "kickstarter.com patreon.com teespring.com etsy.com ebay.com amazon.com aliexpress.com "
    "play.google.com itunes.apple.com apps.apple.com mega.co.nz mega.nz mediafire.com "
    "4shared.com dropbox.com bit.ly goo.gl tinyurl.com ow.ly t.co is.gd adf.ly shorte.st "
    "linkbucks.com tsu.co"
)
PROMOTED_SHOPS = frozenset({"amazon", "ebay"})
#: A link with fewer words than this around it is the comment's point, not a source cited.
BARE_LINK_WORDS = 12
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
    folded = text.casefold()
    found: set[str] = set()
    found.update(_link_tokens(links))
    if website:
        # Only the site it names: giving a website is what a blog's readers do, not a sign.
        found.update(_hosts([website]))
    found.update(_shape_tokens(text))
    if _HIDDEN_URL.search(_TAG.sub(" ", raw)):
        found.update(("m:link", "m:hidden-link"))
    found.update(kind for kind, pattern in KINDS.items() if pattern.search(folded))
    # Numbers are left to the signs (a phone number, a sum): "2015" taught as spam by one
    # set, or the SMS set's short codes, must not make a reader's "2003" or "502" suspect.
    words = [w.casefold() for w in _WORD.findall(_EMAIL.sub(" ", text)) if not w.isdigit()]
    if "m:link" in found and len(words) < BARE_LINK_WORDS:
        found.add("k:bare-link")
    found.update(f"w:{w}" for w in words)
    found.update(f"b:{a} {b}" for a, b in itertools.pairwise(words))
    return found


def _link_tokens(links: list[str]) -> set[str]:
    if not links:
        return set()
    count = len(links)
    found = {"m:link"} | ({f"m:links-{min(count, 3)}"} if count > 1 else set())
    hosts = _hosts(links)
    for host in hosts:
        kind = host_kind(host.removeprefix("d:"))
        if kind:
            found.add(kind)
    return found | hosts


def host_kind(host: str) -> str | None:
    """``k:cite`` for a host readers cite as a source, ``k:promo-link`` for one self-promotion
    links to (``CITED_HOSTS``, ``PROMOTED_HOSTS``), else None."""
    labels = host.casefold().rstrip(".").split(".")
    suffixes = {".".join(labels[i:]) for i in range(len(labels))}
    # The shops under every country's domain: amazon.de, amazon.co.uk, ebay.com.au.
    country = 3 if len(labels) >= 3 and labels[-2] in ("co", "com") else 2
    shop = labels[-country] if len(labels) >= country else ""
    if suffixes & PROMOTED_HOSTS or shop in PROMOTED_SHOPS:
        return "k:promo-link"
    dotted = "." + ".".join(labels)
    if (
        suffixes & CITED_HOSTS
        or CITED_LABELS & set(labels[:-2])
        or dotted.endswith(CITED_SUFFIXES)
        or any(infix in dotted for infix in CITED_INFIXES)
    ):
        return "k:cite"
    return None


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
    "m:hidden-link": "a disguised web address",
    "k:bare-link": "a link with little text",
    "k:call": "a call to action",
    "k:own": "self-promotion",
    "k:bait": "asks for likes",
    "k:money": "money offered",
    "k:promo-link": "a link to a profile, shop or fundraiser",
    "k:cite": "a link to a source",
}


def is_sign(token: str) -> bool:
    """True for the signs (a link, capitals, its length, the bias) and the kinds (a call to
    action...): what moderators teach goes to the words, never to these."""
    return token.startswith(("m:", "k:"))


def describe(token: str) -> str | None:
    """A token in words for a moderator ("'my channel'", "a link"), or None if unreadable."""
    kind, _, value = token.partition(":")
    if kind in ("w", "b"):
        return f"'{value}'"
    if kind == "d":
        return f"a link to {value}"
    if kind in ("m", "k"):
        return _META_WORDS.get(token)
    return None
