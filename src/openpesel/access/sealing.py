"""The register's seal on what it answers: JWS (RFC 7515) with EdDSA over Ed25519.

A verification's answer and a certificate check travel as plain JSON with a
*detached* JWS beside it (RFC 7515 Appendix F: ``header..signature``, with
RFC 7797's unencoded payload: the signature covers the JSON's own bytes), so a
bank keeps the JSON it read and can prove later, with nothing but the
register's public key, that the register said so. A certificate's QR code
carries a compact JWS with its payload attached: the code itself is the proof.

The key is the audit log's (``access/signing.py``): one key for everything the
register signs, published with every signed head (``GET /api/v1/audit/heads/latest``).
PyJWT does the JOSE encoding; the bytes signed are ``canonical`` JSON, so the
same answer always has the same signature input.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openpesel.access.signing import key_id

ALGORITHM = "EdDSA"
_JWS = jwt.PyJWS(algorithms=[ALGORITHM])


def canonical(doc: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes a seal covers."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def kid(public_key: Ed25519PublicKey) -> str:
    """The key's name in a JWS header: base64url of SHA-256 of the raw public key."""
    return base64.urlsafe_b64encode(key_id(public_key)).rstrip(b"=").decode()


def seal(key: Ed25519PrivateKey, doc: dict[str, Any], typ: str) -> str:
    """A detached JWS over ``canonical(doc)``: ``header..signature``."""
    return _JWS.encode(canonical(doc), key, algorithm=ALGORITHM, is_payload_detached=True,
                       headers={"kid": kid(key.public_key()), "typ": typ})


def sealed(public_key: Ed25519PublicKey, doc: dict[str, Any], jws: str) -> bool:
    """Whether ``jws`` is the register's detached seal over exactly ``doc``."""
    try:
        _JWS.decode_complete(jws, public_key, algorithms=[ALGORITHM],
                             detached_payload=canonical(doc))
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return False
    return True


def token(key: Ed25519PrivateKey, doc: dict[str, Any], typ: str) -> str:
    """A compact JWS carrying ``doc`` (a QR code's contents)."""
    return _JWS.encode(canonical(doc), key, algorithm=ALGORITHM,
                       headers={"kid": kid(key.public_key()), "typ": typ})


def opened(public_key: Ed25519PublicKey, text: str, typ: str) -> dict[str, Any] | None:
    """The payload of a compact JWS the register signed with type ``typ``; None if not."""
    try:
        found = _JWS.decode_complete(text, public_key, algorithms=[ALGORITHM])
        doc = json.loads(found["payload"])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None
    if found["header"].get("typ") != typ or not isinstance(doc, dict):
        return None
    return doc
