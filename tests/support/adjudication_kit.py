"""Synthetic scans and a screened-registration office for the adjudication tests."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from PIL import Image

from openpesel.access.audit import AuditLog
from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.access.signing import load_or_create_key
from openpesel.biometrics.synthetic import SyntheticFinger
from openpesel.dedup.enrolment import Scan
from openpesel.dedup.service import Screened
from openpesel.registry import events as ev
from openpesel.registry.service import Register

# Seeds 11 and 12 are a genuine pair (11/0, 11/1) and an impostor the existing
# verification tests already tell apart at the strictest calibrated rate.
SCANS = {"anna": (11, 0), "anna-again": (11, 1), "olena": (12, 0)}


def png(seed: int, impression: int) -> bytes:
    buffer = io.BytesIO()
    # The small size of tests/biometrics/conftest.py: extraction is the cost (about 2 s at
    # this size); the genuine pair still scores in the hundreds, the impostor about 30.
    finger = SyntheticFinger.create(seed, width=192, height=224, iterations=8)
    pixels = finger.impression(impression).pixels
    Image.fromarray(pixels, "L").save(buffer, "PNG", dpi=(500, 500))
    return buffer.getvalue()


def scans() -> dict[str, bytes]:
    return {name: png(*seed) for name, seed in SCANS.items()}


def gate_for(register: Register, data: Path) -> Gate:
    key = load_or_create_key(data / "audit-signing-key.pem")
    return Gate(register, AuditLog(key), image_dir=data / "fingerprints")


def as_role(role: Role, name: str | None = None) -> Access:
    return Access(Principal(name or role.value, role), "duplicate check")


def foreigner(first: str, family: str, sex: str, born: str) -> dict[str, Any]:
    return {"first_names": [first], "family_name": family, "sex": sex, "birth_date": born,
            "birth_place": "Kijów", "birth_country": "UKR", "citizenship": "UKR",
            "status": "UKR"}


def apply_for(gate: Gate, payload: dict[str, Any], scan: bytes, ref: str) -> Screened:
    return gate.register_with_fingerprints(as_role(Role.MUNICIPAL_CLERK),
                                           ev.Kind.FOREIGNER_REGISTERED, payload, ref,
                                           [Scan(2, scan)])


def data_url(document: bytes) -> str:
    return "data:application/xml;base64," + base64.b64encode(document).decode()
