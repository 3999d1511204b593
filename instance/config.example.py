# Copy to instance/config.py and edit. Every key and its default: blogengine/config.py.
# Any key can also be set as an environment variable BLOGENGINE_<KEY> (JSON for lists/dicts).

SITE_TITLE = "My blog"
SITE_TAGLINE = "Articles and the conversation around them"

# The host names this site answers to; any other Host header gets 400. Set it in
# production: left unset, the feeds' links and ids repeat whatever Host a client sends.
# TRUSTED_HOSTS = ["blog.example.org"]

# Comments per address; with more than one gunicorn worker, count them in Redis (memory://
# counts in each worker apart, so each worker would allow the whole limit):
# COMMENTS_RATE_LIMIT = "5 per minute; 50 per day"
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"

# SECRET_KEY: leave unset; a random key is generated into instance/secret_key on first run.

# SQLite in instance/ by default; PostgreSQL by URL:
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://blog@127.0.0.1:5432/blog"

# The comment pipeline (`blogengine plugins` lists what is installed):
# altcha: proof of work in the browser, the math question without JavaScript (README: CAPTCHAs)
COMMENTS_CAPTCHA = "altcha"
COMMENTS_CAPTCHA_OPTIONS = {"altcha": {"ttl": 3600, "cost": 5000, "key_prefix": "00"}}
# learning: a model of comment spam that learns from your approve/spam decisions (README)
COMMENTS_SPAM_FILTERS = ["honeypot", "impersonation", "links", "duplicate", "learning"]
COMMENTS_SPAM_FILTERS_OPTIONS = {
    "links": {"max_links": 2},
    "learning": {"accept_below": 0.3, "spam_above": 0.99},
}
COMMENTS_STORE = "sql"
# COMMENTS_STORE = "jsonl"
# COMMENTS_STORE_OPTIONS = {"jsonl": {"path": "comments.jsonl"}}
COMMENTS_MODERATE_ALL = False

# Email (off while MAIL_SERVER is unset): the owner told of new comments, readers of replies.
# `make run` starts the worker that sends it (`blogengine outbox run`); see README, "Being told".
# SITE_URL = "https://blog.example.org"  # links in emails sent from the worker and the CLI
# MAIL_SERVER = "smtp.example.org"
# MAIL_PORT = 587
# MAIL_USE_TLS = True
# MAIL_USERNAME = "blog@example.org"
# MAIL_PASSWORD = "..."
# MAIL_DEFAULT_SENDER = "My blog <blog@example.org>"
# MAIL_OWNER_ADDRESS = "me@example.org"
