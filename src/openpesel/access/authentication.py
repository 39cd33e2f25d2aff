"""Who is asking: principals, their tokens, and logging in.

Managing principals is an access like any other: authorised by the policy
table (``manage_users``) and audited through ``Accountable``. An account bound
to a PESEL can read that person's record, so its creation names the person,
who sees it in their access report, even when the creation is refused.

Logging in itself is in ``access/login.py``; the brake that slows guessing in
``access/brake.py``.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from openpesel.access import credentials
from openpesel.access.accountable import Access, Accountable, Forbidden, Principal, Touched
from openpesel.access.brake import Brake
from openpesel.access.login import IssuedToken, log_in
from openpesel.access.policy import BOUND_ROLES, MIN_SECRET_LENGTH, Action, Role
from openpesel.access.token_cache import TokenCache, Verified
from openpesel.errors import PrincipalNotFound, RegisterError, TokenNotFound
from openpesel.registry.service import Register
from openpesel.storage import accounts
from openpesel.storage.secrets import TOKEN_KEY
from openpesel.storage.session import StoreTransaction

TOKEN_TTL = datetime.timedelta(hours=8)
AUTH_CACHE_SECONDS = 2
"""How stale a token's revocation state may be when revoked by another process."""
_RECHECK = datetime.timedelta(seconds=AUTH_CACHE_SECONDS)


class Authentication:
    """Principals and tokens for one register; the gate hands its methods out as its own."""

    def __init__(self, accountable: Accountable, register: Register,
                 token_ttl: datetime.timedelta = TOKEN_TTL) -> None:
        self.accountable = accountable
        self.register = register
        self.store = accountable.store
        self.audit = accountable.audit
        self.clock = accountable.clock
        self.token_ttl = token_ttl
        self.brake = Brake()  # failed logins slow the next ones (access/brake.py)
        self.tokens = TokenCache()  # verified tokens (access/token_cache.py)

    # -- principals ------------------------------------------------------

    def add_principal(self, access: Access, name: str, role: Role, secret: str,
                      display_name: str = "", pesel: str | None = None) -> str | None:
        """Create a principal; a resident is tied to their PESEL and gets a TOTP secret."""
        totp = credentials.new_totp_secret() if role in BOUND_ROLES else None
        # argon2 is slow on purpose: hashed before the write transaction (see ``login``).
        long_enough = len(secret) >= MIN_SECRET_LENGTH
        hashed = credentials.hash_secret(secret) if long_enough else ""
        bound = pesel if role in BOUND_ROLES else None

        def work(s: StoreTransaction, seen: Touched) -> str | None:
            seen.fields = [f"principal:{name}", f"role:{role.value}"]
            if not hashed:
                raise credentials.AuthError(
                    f"A secret must have at least {MIN_SECRET_LENGTH} characters.")
            person_id = None
            if role in BOUND_ROLES:  # a resident, or one who acts for them (policy)
                if pesel is None:
                    raise RegisterError(
                        "A resident's account needs their PESEL." if role is Role.RESIDENT
                        else f"A {role.value}'s account needs the PESEL of the person it "
                             "acts for.")
                person_id = seen.person_id = self.register.resolve(pesel, s)
            if accounts.find(s, name) is not None:
                raise RegisterError(f"A principal named {name!r} already exists.")
            accounts.add(s, accounts.Account(name, role.value, display_name or name, hashed,
                                             totp, person_id, True), self.clock())
            return totp
        return self.accountable.run(access, Action.MANAGE_USERS, "add-principal", bound, work)

    def deactivate(self, access: Access, name: str) -> None:
        """Deactivate a principal, audited; a resident's deactivation names the person."""
        def work(s: StoreTransaction, seen: Touched) -> None:
            seen.fields = [f"principal:{name}"]
            account = accounts.find(s, name)
            if account is None or not accounts.deactivate(s, name):
                raise PrincipalNotFound(f"No principal named {name!r}.")
            seen.person_id = account.person_id
        self.accountable.run(access, Action.MANAGE_USERS, "deactivate-principal", None, work)
        self.tokens.clear()

    def principals(self, access: Access, after: str | None = None,
                   limit: int | None = None) -> list[accounts.Account]:
        """Principals by name (with a resident's TOTP secret), a page of ``limit`` after
        ``after`` or every one: authorised and audited."""
        def work(s: StoreTransaction, seen: Touched) -> list[accounts.Account]:
            seen.fields = ["principals"]
            return accounts.all_accounts(s, after, limit)
        return self.accountable.run(access, Action.MANAGE_USERS, "list-principals", None, work,
                                    writes=False)

    # -- tokens ----------------------------------------------------------

    def login(self, name: str, secret: str, totp: str | None = None,
              address: str = "local") -> IssuedToken:
        """A token for a secret (and TOTP code), from a client ``address``; see access/login.py.

        Raises ``LoginThrottled`` while the login brake holds this name and address.
        """
        return log_in(self, name, secret, totp, address)

    def authenticate(self, token: str) -> Principal:
        """The principal behind a token; revocation and deactivation take effect at once.

        A token's signature is verified once: the answer is cached by the token's
        string (``access/token_cache.py``) until the token expires, and its expiry
        is checked on every call. The database (is the token revoked, is the
        principal active?) is asked at most once per ``AUTH_CACHE_SECONDS`` per
        token, and a revocation or deactivation through this gate empties the cache.
        """
        now = self.clock()
        key = self.store.secret(TOKEN_KEY)
        cached = self.tokens.get(token)
        if cached is not None:
            if cached.key == key and now < cached.expires_at:
                if now < cached.recheck_at:
                    return cached.principal
                who = self._usable(cached.principal.name, cached.principal.jti, token)
                self.tokens.put(token, replace(cached, principal=who, recheck_at=now + _RECHECK))
                return who
            self.tokens.drop(token)  # expired, or signed with a key since renewed
        claims = credentials.read(key, token, now)
        who = self._usable(claims.principal, claims.jti, token)
        self.tokens.put(token, Verified(who, key, claims.expires_at, now + _RECHECK))
        return who

    def _usable(self, name: str, jti: str | None, token: str) -> Principal:
        """The token's principal, asked of the database: not revoked, and still active."""
        with self.store.read() as s:
            usable = jti is not None and accounts.token_usable(s, jti, name)
            account = accounts.find(s, name) if usable else None
        if account is None:
            self.tokens.drop(token)
            raise credentials.TokenInvalid("The bearer token has been revoked." if not usable
                                           else None)
        return Principal(account.name, Role(account.role), account.person_id, jti)

    def revoke(self, principal: Principal, jti: str | None = None) -> None:
        """Revoke one's own token, or (an administrator) anyone's."""
        target = jti or principal.jti
        if target is None:
            raise credentials.TokenInvalid()
        if jti is not None and jti != principal.jti and principal.role is not Role.ADMIN:
            raise Forbidden("Only an administrator may revoke another principal's token.")
        with self.store.write() as s:
            if not accounts.revoke_token(s, target, self.clock()):
                raise TokenNotFound("No such active token.")
        self.tokens.clear()
