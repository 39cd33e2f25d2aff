"""Sealed enrolments: templates the law lets the register keep only for a while.

An ID-card enrolment (Regulation (EU) 2019/1157) must be gone 90 days after the card is
issued, yet the log that records it is append-only. So its templates go into the log
sealed (AES-256-GCM) with a key of the enrolment's own, and the key lives in
``biometric_keys``, outside the log: destroying it erases them (crypto-shredding), and
the log still verifies. The images, kept in the content-addressed store, are deleted.

Enrolments under a lasting law (``ukr_2022``) or with no basis are written plain, as
before. A sealed enrolment is never part of the 1:N gallery: that regulation gives no
basis for a national biometric database, so its prints serve only the 1:1 check when
the holder collects the card.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Sequence
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from openpesel.registry import events as ev
from openpesel.registry.history import effective_events, fold
from openpesel.registry.payloads import SEALED_BASES, SEALED_PREFIX
from openpesel.registry.state import PersonState
from openpesel.storage import biometric_keys
from openpesel.storage.session import StoreTransaction

__all__ = ["SEALED_BASES", "latest_fingers", "new_key", "readable", "seal", "unseal"]


def new_key() -> tuple[str, bytes]:
    return uuid.uuid4().hex, AESGCM.generate_key(bit_length=256)


def _aad(key_id: str, person_id: uuid.UUID, finger: int) -> bytes:
    """Binds a sealed template to its enrolment, person and finger: moved into another
    person's event, or onto another finger, it does not open."""
    return f"{key_id}:{person_id}:{finger}".encode()


def seal(payload: dict[str, Any], person_id: uuid.UUID, key_id: str, key: bytes
         ) -> dict[str, Any]:
    """A ``fingerprints_enrolled`` payload with every template sealed under ``key``."""
    sealed = []
    for f in payload["fingers"]:
        nonce = os.urandom(12)
        box = AESGCM(key).encrypt(nonce, base64.b64decode(f["template"]),
                                  _aad(key_id, person_id, f["finger"]))
        sealed.append({**f, "template": SEALED_PREFIX + base64.b64encode(nonce + box).decode()})
    return {**payload, "fingers": sealed, "key_id": key_id}


def unseal(template: str, person_id: uuid.UUID, key_id: str, finger: int, key: bytes) -> str:
    """The base64 ISO record a sealed template holds."""
    raw = base64.b64decode(template.removeprefix(SEALED_PREFIX))
    return base64.b64encode(AESGCM(key).decrypt(
        raw[:12], raw[12:], _aad(key_id, person_id, finger))).decode()


def readable(s: StoreTransaction, enrolment: ev.Event) -> list[ev.EnrolledFinger] | None:
    """An enrolment's fingers with plain templates, or None once its key is destroyed
    (or if the key it names is not this enrolment's)."""
    payload = cast("ev.FingerprintsEnrolled", enrolment.payload)
    if payload.key_id is None:
        return list(payload.fingers)
    key = biometric_keys.key(s, payload.key_id, enrolment.person_id, enrolment.seq)
    if key is None:
        return None
    try:
        return [f.model_copy(update={"template": unseal(
            f.template, enrolment.person_id, payload.key_id, f.finger, key)})
            for f in payload.fingers]
    except (InvalidTag, ValueError):
        return None


def latest_fingers(s: StoreTransaction, log: Sequence[ev.Event], *, lasting_only: bool = False,
                   state: PersonState | None = None) -> dict[int, ev.EnrolledFinger]:
    """Finger -> the template of the record's current print of it, as the fold says
    (the latest enrolment, corrections applied; an erased one's fingers are gone).

    ``lasting_only`` leaves out sealed prints, as the 1:N gallery must; ``state`` is the
    log's fold where the caller has it already.
    """
    state = state or fold(list(log))
    if state is None:
        return {}
    enrolments = {e.seq: e for e in effective_events(log)
                  if e.kind is ev.Kind.FINGERPRINTS_ENROLLED}
    out: dict[int, ev.EnrolledFinger] = {}
    for seq in dict.fromkeys(f.seq for f in state.fingers):
        enrolment = enrolments[seq]
        if lasting_only and cast("ev.FingerprintsEnrolled", enrolment.payload).key_id:
            continue
        wanted = {f.finger for f in state.fingers if f.seq == seq}
        out.update({f.finger: f for f in readable(s, enrolment) or [] if f.finger in wanted})
    return out
