"""Ed25519 keys and signed tree heads.

A signed tree head is the register's promise about the whole audit log up to
a size: anyone holding the public key can later check that the log still
extends what was promised. The signed bytes are RFC 6962's
``TreeHeadSignature`` (version v1, type tree_hash, timestamp in milliseconds,
size, root), so a head can be checked with nothing but this layout and the
public key.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openpesel.errors import OpenPeselError

_VERSION_V1, _TREE_HASH = 0, 1
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class KeyFileError(OpenPeselError):
    """The audit signing key cannot be read or is not an Ed25519 key."""

    message = "The audit log's signing key cannot be used."


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The register's signing key at ``path``; a new one (mode 0600) if there is none.

    The new key is written to a temporary file and linked into place, so two
    processes starting at once end up sharing one complete key, never a torn
    file or two different keys.
    """
    try:
        return _load(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")  # created 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return _load(path)


def configured_key(pem: str | None, path: Path | None, default: Path) -> Ed25519PrivateKey:
    """The signing key as configured: its PEM given outright, a key file, or the default.

    Only the default (inside the data directory, convenient on a laptop) is
    created when missing. A configured file that is missing is refused: a
    forgotten mount must not quietly start a second key.
    """
    if pem is not None:
        return _parse(pem.encode(), "OPENPESEL_AUDIT_KEY")
    if path is None:
        return load_or_create_key(default)
    try:
        return _load(path)
    except FileNotFoundError:
        raise KeyFileError(f"No audit signing key at {path}; make one with "
                           f"`openpesel audit new-key {path}`.") from None
    except OSError as exc:
        raise KeyFileError(f"Cannot read the audit signing key {path}: {exc.strerror}.") from None


def new_key_file(path: Path) -> Ed25519PublicKey:
    """Write a new signing key at ``path`` (mode 0600), never over an existing one."""
    if path.exists():
        raise KeyFileError(f"{path} exists already; a signing key is never overwritten.")
    return load_or_create_key(path).public_key()


def _load(path: Path) -> Ed25519PrivateKey:
    return _parse(path.read_bytes(), str(path))


def _parse(data: bytes, origin: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{origin} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{origin} holds a {type(key).__name__}; the audit log signs with "
                           "Ed25519.")
    return key


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> bytes:
    """SHA-256 of the raw public key: names the key a head was signed with (CT's log ID)."""
    return hashlib.sha256(raw_public_key(public_key)).digest()


def to_ms(moment: datetime.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("A tree head's timestamp must carry a time zone (UTC).")
    return (moment - _EPOCH) // datetime.timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(milliseconds=ms)


def signed_bytes(size: int, root: bytes, timestamp_ms: int) -> bytes:
    """RFC 6962 section 3.5 TreeHeadSignature: what the signature covers."""
    return struct.pack(">BBQQ", _VERSION_V1, _TREE_HASH, timestamp_ms, size) + root


@dataclass(frozen=True)
class SignedTreeHead:
    size: int
    root: bytes
    timestamp: datetime.datetime  # UTC, whole milliseconds: the precision that is signed
    signature: bytes

    @classmethod
    def sign(cls, key: Ed25519PrivateKey, size: int, root: bytes,
             at: datetime.datetime) -> SignedTreeHead:
        ms = to_ms(at)
        return cls(size, root, from_ms(ms), key.sign(signed_bytes(size, root, ms)))

    @property
    def timestamp_ms(self) -> int:
        return to_ms(self.timestamp)

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(self.signature, signed_bytes(self.size, self.root,
                                                           self.timestamp_ms))
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        """CT's get-sth shape, plus the time in ISO form for people."""
        return {
            "tree_size": self.size,
            "timestamp": self.timestamp_ms,
            "time": self.timestamp.isoformat().replace("+00:00", "Z"),
            "sha256_root_hash": base64.b64encode(self.root).decode(),
            "tree_head_signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SignedTreeHead:
        return cls(int(doc["tree_size"]), base64.b64decode(doc["sha256_root_hash"]),
                   from_ms(int(doc["timestamp"])), base64.b64decode(doc["tree_head_signature"]))
