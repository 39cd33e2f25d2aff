"""Secrets, second factors and bearer tokens, each from the library its field trusts.

- Secrets (passwords, machine-client keys) are stored only as argon2id hashes.
- Residents add a TOTP second factor (RFC 6238) to their password; each code
  is accepted once (the login records its time step, RFC 6238 §5.2).
- Bearer tokens are JWTs signed with the register's own key (HS256), short-lived
  and carrying a ``jti`` that the ``tokens`` table can revoke before expiry.
"""

from __future__ import annotations

import datetime
import functools
import hmac
import math
import os
import secrets
import threading
import uuid
from dataclasses import dataclass

import jwt
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from openpesel.errors import OpenPeselError

_hasher = PasswordHasher()
ISSUER = "openpesel"

HASHES_AT_ONCE = max(2, os.cpu_count() or 2)
"""argon2 takes 64 MiB a hash by design, and the server runs logins on up to 40
threads: a burst of 16 logins took a worker past 1 GiB. More hashes at once
than cores buys no speed anyway, so the rest wait their turn."""
_hashing = threading.BoundedSemaphore(HASHES_AT_ONCE)


class AuthError(OpenPeselError):
    """Authentication failed; the message never says which part was wrong to an attacker."""

    message = "The credentials are not valid."
    http_status = 401
    problem_type = "unauthenticated"


class LoginThrottled(AuthError):
    """Too many failed logins from this address (or, for its account, from everywhere)."""

    http_status = 429
    problem_type = "login-throttled"

    def __init__(self, wait: datetime.timedelta) -> None:
        self.retry_after = max(1, math.ceil(wait.total_seconds()))
        super().__init__(f"Too many failed logins; try again in {self.retry_after} seconds.")


class TokenInvalid(AuthError):
    message = "The bearer token is not valid."


class TokenExpired(AuthError):
    message = "The bearer token has expired; log in again."


def hash_secret(secret: str) -> str:
    with _hashing:
        return _hasher.hash(secret)


def check_secret(stored_hash: str, secret: str) -> bool:
    try:
        with _hashing:
            return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _decoy_hash() -> str:
    return hash_secret(secrets.token_urlsafe(16))


def check_secret_or_decoy(stored_hash: str | None, secret: str) -> bool:
    """``check_secret``, spending the same argon2 work when there is no hash to check.

    A login for an unknown or deactivated name that skipped argon2 answered in
    2 ms instead of 159 ms, telling an attacker which names exist. A decoy hash
    (made once, with the same parameters) is verified instead, and never matches.
    """
    if stored_hash is None:
        check_secret(_decoy_hash(), secret)
        return False
    return check_secret(stored_hash, secret)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_now(secret: str, at: datetime.datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def totp_step(secret: str, code: str, at: datetime.datetime) -> int | None:
    """The time step whose code ``code`` is, within one step of ``at`` (one step of clock
    drift either way, as RFC 6238 suggests); None if none.

    The caller records the step and refuses it (and any earlier one) next time,
    so a code overheard or replayed is worthless (RFC 6238 §5.2). The latest
    matching step wins.
    """
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at)
    for step in (now + 1, now, now - 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_signing_key() -> bytes:
    return secrets.token_bytes(32)


@dataclass(frozen=True)
class Claims:
    principal: str
    role: str
    jti: str
    expires_at: datetime.datetime


def issue(key: bytes, principal: str, role: str, now: datetime.datetime,
          ttl: datetime.timedelta) -> tuple[str, Claims]:
    claims = Claims(principal, role, str(uuid.uuid4()), now + ttl)
    token = jwt.encode({"iss": ISSUER, "sub": principal, "role": role, "jti": claims.jti,
                        "iat": int(now.timestamp()), "exp": int(claims.expires_at.timestamp())},
                       key, algorithm="HS256")
    return token, claims


def read(key: bytes, token: str, now: datetime.datetime) -> Claims:
    """Check the signature and expiry against the register's clock."""
    try:
        data = jwt.decode(token, key, algorithms=["HS256"], issuer=ISSUER,
                          options={"verify_exp": False, "require": ["exp", "sub", "jti"]})
    except jwt.PyJWTError:
        raise TokenInvalid() from None
    expires = datetime.datetime.fromtimestamp(int(data["exp"]), datetime.UTC)
    if expires <= now:
        raise TokenExpired()
    return Claims(str(data["sub"]), str(data.get("role", "")), str(data["jti"]), expires)
