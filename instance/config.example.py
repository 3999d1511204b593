# Copy to instance/config.py and edit. Every key and its default: blogengine/config.py.
# Any key can also be set as an environment variable BLOGENGINE_<KEY> (JSON for lists/dicts).

SITE_TITLE = "My blog"
SITE_TAGLINE = "Articles and the conversation around them"

# SECRET_KEY: leave unset; a random key is generated into instance/secret_key on first run.

# SQLite in instance/ by default; PostgreSQL by URL:
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://blog@127.0.0.1:5432/blog"

# The comment pipeline (`blogengine plugins` lists what is installed):
COMMENTS_CAPTCHA = "math"
COMMENTS_CAPTCHA_OPTIONS = {"math": {"ttl": 3600}}
COMMENTS_SPAM_FILTERS = ["honeypot", "links", "duplicate"]
COMMENTS_SPAM_FILTERS_OPTIONS = {"links": {"max_links": 2}}
COMMENTS_STORE = "sql"
# COMMENTS_STORE = "jsonl"
# COMMENTS_STORE_OPTIONS = {"jsonl": {"path": "comments.jsonl"}}
COMMENTS_MODERATE_ALL = False
