"""Owner passwords: argon2id hashes; older Werkzeug (scrypt, pbkdf2) hashes still verify."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

ARGON2_PREFIX = "$argon2"
MIN_PASSWORD = 8

_hasher = PasswordHasher()
#: Verified against when no account has the name, so a wrong name takes as long as a wrong
#: password and the time taken does not tell which names exist.
_DUMMY_HASH = _hasher.hash("no such account")


def hash_password(password: str) -> str:
    """An argon2id hash with argon2-cffi's current parameters."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True if ``password`` matches; a hash made by Werkzeug before argon2 still works."""
    if stored_hash.startswith(ARGON2_PREFIX):
        try:
            return _hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored_hash, password)
    except ValueError:  # not a hash Werkzeug knows
        return False


def needs_rehash(stored_hash: str) -> bool:
    """A non-argon2 hash, or argon2 with weaker parameters than today's: rehash at sign-in."""
    if not stored_hash.startswith(ARGON2_PREFIX):
        return True
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def burn_time(password: str) -> None:
    """Spend a verification's time on no account (see ``_DUMMY_HASH``)."""
    verify_password(_DUMMY_HASH, password)
