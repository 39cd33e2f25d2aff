"""Signed heads outside the register: signing them in time, and witnesses that keep them.

A signed tree head only protects the entries below it, and only while someone
other than the register holds it: whoever can rewrite the database can also
delete heads from it, and whoever holds the signing key can sign new ones over
a shortened log. So the register signs heads on its own (every N entries, every
T seconds while entries arrive, at shutdown: ``AuditLog.append`` and
``sign_periodically``), publishes the latest with its public key, and a witness
(``openpesel audit witness``) keeps each head it fetched in a file after
checking, with an RFC 6962 consistency proof, that the log still extends the
last head it kept. ``openpesel audit verify --against HEADS.json`` then proves
that the log extends every head in that file: a tail cut after a witness saw
it, or a log rewritten under the same key, no longer verifies.

The file is JSON: ``{"key_id", "public_key", "heads": [get-sth, ...]}``, the
key pinned when the first head was kept (trust on first use).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import json
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ValidationError

from openpesel.access import merkle
from openpesel.access.signing import SignedTreeHead, key_id, raw_public_key
from openpesel.errors import ExitCode, OpenPeselError

if TYPE_CHECKING:
    from openpesel.storage.store import Store

Fetch = Callable[[str], dict[str, Any]]
"""GET a path of the register's API (``/audit/heads/latest``) and return its JSON."""


class WitnessError(OpenPeselError):
    """The register's log is not an extension of a head a witness kept, or cannot be checked."""

    message = "The audit log is not an extension of the heads the witness kept."
    exit_code = ExitCode.AUDIT_BROKEN


class HeadsFile(BaseModel):
    """What a witness keeps: the register's public key, and every head it checked."""

    key_id: str
    public_key: str
    heads: list[dict[str, Any]]

    @classmethod
    def load(cls, path: Path) -> HeadsFile:
        try:
            return cls.model_validate_json(path.read_bytes())
        except OSError as exc:
            raise WitnessError(f"Cannot read {path}: {exc.strerror}.") from None
        except ValidationError as exc:
            raise WitnessError(f"{path} is not a file of witnessed heads: "
                               f"{exc.errors()[0]['msg']}.") from None

    def save(self, path: Path) -> None:
        """Write the file whole or not at all: a witness killed mid-write keeps its heads."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(self.model_dump_json(indent=1))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def public(self) -> Ed25519PublicKey:
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key))
        except ValueError as exc:
            raise WitnessError(f"The kept public key is not an Ed25519 key: {exc}.") from None
        if key_id(key).hex() != self.key_id:
            raise WitnessError("The kept public key does not match its key id.")
        return key

    def signed_heads(self) -> list[SignedTreeHead]:
        try:
            return [SignedTreeHead.from_json(doc) for doc in self.heads]
        except (KeyError, ValueError, TypeError) as exc:
            raise WitnessError(f"A kept head is malformed: {exc}.") from None


def published(head: SignedTreeHead, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """A head as the witness endpoint serves it: CT's get-sth plus the key to check it."""
    return {**head.to_json(), "key_id": key_id(public_key).hex(),
            "public_key": base64.b64encode(raw_public_key(public_key)).decode()}


def check_witnessed(heads: Sequence[SignedTreeHead], tree: merkle.Subtrees, size: int,
                    root: bytes, public_key: Ed25519PublicKey) -> list[str]:
    """Problems, one sentence each, if the log (``tree`` of ``size``) does not extend a head.

    ``tree`` is recomputed from the entries' bytes, so the proofs rest on
    nothing the database stored about itself.
    """
    out = []
    for head in heads:
        name = f"witnessed head of size {head.size} ({head.timestamp.isoformat()})"
        if not head.verify(public_key):
            out.append(f"The {name} does not carry this register's signature.")
        if head.size > size:
            out.append(f"The {name} covers {head.size} entries but the log holds only {size}: "
                       "its tail was cut.")
            continue
        proof = merkle.consistency_proof(tree, head.size, size)
        if not merkle.verify_consistency(head.size, size, head.root, root, proof):
            out.append(f"The log is not an extension of the {name}: entries 0-{head.size - 1} "
                       "were changed after the witness kept it.")
    return out


@dataclass(frozen=True)
class Observation:
    head: SignedTreeHead
    kept: int
    new: bool


def observe(fetch: Fetch, path: Path) -> Observation:
    """Fetch the register's latest head, check it extends the last one kept, and keep it.

    The first head pins the register's public key. A head signed by another
    key, one that shrinks the log, or one the register cannot prove
    consistent is refused and not kept: that refusal is the witness's alarm.
    """
    doc = fetch("/audit/heads/latest")
    try:
        head = SignedTreeHead.from_json(doc)
        offered = HeadsFile(key_id=str(doc["key_id"]), public_key=str(doc["public_key"]),
                            heads=[])
    except (KeyError, ValueError, TypeError, ValidationError) as exc:
        raise WitnessError(f"The register's latest head is malformed: {exc}.") from None
    kept = HeadsFile.load(path) if path.exists() else offered
    if offered.key_id != kept.key_id:
        raise WitnessError(f"The register now signs with key {offered.key_id}, not the key "
                           f"{kept.key_id} this witness pinned.")
    if not head.verify(kept.public()):
        raise WitnessError("The register's latest head does not carry a valid signature.")
    previous = kept.signed_heads()
    last = max(previous, key=lambda h: h.size, default=None)
    if last is not None:
        _check_extends(fetch, last, head)
    if any(h == head for h in previous):
        return Observation(head, len(previous), new=False)
    kept.heads.append(head.to_json())
    kept.save(path)
    return Observation(head, len(kept.heads), new=True)


def _check_extends(fetch: Fetch, last: SignedTreeHead, head: SignedTreeHead) -> None:
    if head.size < last.size:
        raise WitnessError(f"The register's latest head covers {head.size} entries, fewer than "
                           f"the {last.size} of a head this witness kept: its log was cut.")
    proof: list[bytes] = []
    if 0 < last.size < head.size:
        doc = fetch(f"/audit/proofs/consistency?old={last.size}&new={head.size}")
        try:
            proof = [bytes.fromhex(h) for h in doc["proof"]]
        except (KeyError, ValueError, TypeError) as exc:
            raise WitnessError(f"The register's consistency proof is malformed: {exc}.") from None
    if not merkle.verify_consistency(last.size, head.size, last.root, head.root, proof):
        raise WitnessError(f"The register's log of {head.size} entries is not an extension of "
                           f"the head of {last.size} entries this witness kept: it was "
                           "rewritten.")


def http_fetch(base_url: str, timeout: float = 30.0) -> Fetch:
    """GET JSON from the register's API (``https://host/api/v1``) with the standard library."""
    import urllib.error
    import urllib.request

    def fetch(path: str) -> dict[str, Any]:
        url = base_url.rstrip("/") + path
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                doc = json.load(response)
        except urllib.error.HTTPError as exc:
            raise WitnessError(f"{url} answered {exc.code} {exc.reason}.") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise WitnessError(f"Cannot fetch {url}: {exc}.") from None
        if not isinstance(doc, dict):
            raise WitnessError(f"{url} did not answer a JSON object.")
        return doc
    return fetch


# -- signing in time -----------------------------------------------------------


class SigningLog(Protocol):
    """What signing in time needs of ``audit.AuditLog`` (which imports this module, so it is
    named here by what it does, not imported)."""

    sign_interval: datetime.timedelta | None

    def sign_if_behind(self, s: Any, at: datetime.datetime) -> SignedTreeHead | None: ...


def sign_pending(store: Store, log: SigningLog,
                 clock: Callable[[], datetime.datetime]) -> SignedTreeHead | None:
    """Sign a head over entries appended since the latest one (at shutdown, on a timer)."""
    with store.write() as s:
        return log.sign_if_behind(s, clock())


async def sign_periodically(store: Store, log: SigningLog,
                            clock: Callable[[], datetime.datetime], every_s: float) -> None:
    """Until cancelled: every ``every_s`` seconds, sign a head if the log grew.

    A failure (the database away for a moment) is retried on the next tick;
    the next append or the shutdown signs in any case.
    """
    while True:
        await asyncio.sleep(every_s)
        with contextlib.suppress(OpenPeselError):
            await asyncio.to_thread(sign_pending, store, log, clock)


def signing_lifespan(store: Store, log: SigningLog, clock: Callable[[], datetime.datetime]
                     ) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """The server's lifespan: sign on a timer while it runs, and once more as it stops."""
    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        every = log.sign_interval.total_seconds() if log.sign_interval else 0.0
        timer = asyncio.create_task(sign_periodically(store, log, clock, every)) if every else None
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timer
            with contextlib.suppress(OpenPeselError):
                await asyncio.to_thread(sign_pending, store, log, clock)
    return lifespan
