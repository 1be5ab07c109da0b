"""Password hashing with Argon2id (argon2-cffi, the library's RFC 9106 low-memory profile)."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # bounds the hashing work one request can ask for


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2-cffi's defaults: RFC 9106's second recommendation


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def decoy_hash() -> str:
    """Verified against when no account has the e-mail, so an unknown address costs the same time
    as a wrong password (the answer's timing does not tell which addresses have accounts)."""
    return hash_password("not a password anyone has: a timing decoy")


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
