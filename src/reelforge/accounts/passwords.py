"""Password hashing: argon2id, upgradable, with the legacy SHA-256 hashes accepted once."""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106 "second recommended" profile, sized for a 2-core server: ~80 ms per hash here
# (bench/bench_login.py: hash 79 ms, verify 77 ms, HTTP login 84 ms median on an idle machine).
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)
LEGACY_PREFIX = "legacy-sha256$"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when `password` matches `stored` (an argon2 hash or an imported legacy SHA-256)."""
    if stored.startswith(LEGACY_PREFIX):
        digest = hashlib.sha256(password.encode()).hexdigest()
        # The legacy files hold the hex digest in either case.
        return hmac.compare_digest(digest, stored.removeprefix(LEGACY_PREFIX).strip().lower())
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    if stored.startswith(LEGACY_PREFIX):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


# A hash of a random password, verified against when the e-mail is unknown so a failed
# login takes the same time whether or not the account exists.
DUMMY_HASH = _hasher.hash("reelforge-timing-equaliser")
