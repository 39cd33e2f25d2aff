"""The fingers of a CBEFF (ISO/IEC 19785-3) XML document as MOSIP sends them.

Each finger is a ``BIR`` whose ``BDBInfo`` says ``Type`` Finger and a
``Subtype`` such as "Right IndexFinger"; its ``BDB`` is base64. A BDB that is
an ISO/IEC 19794-2 minutiae record (``FMR``) is used as it is; one that is an
image file the intake reads (PNG, WSQ, JPEG, TIFF, BMP) is put through the
pipeline. ISO/IEC 19794-4 image records (``FIR``) are not read yet.
"""

from __future__ import annotations

import base64
import binascii

from defusedxml import ElementTree

from openpesel.abis.messages import AbisFailure, Reason

SUBTYPES = {"right thumb": 1, "right indexfinger": 2, "right middlefinger": 3,
            "right ringfinger": 4, "right littlefinger": 5, "left thumb": 6,
            "left indexfinger": 7, "left middlefinger": 8, "left ringfinger": 9,
            "left littlefinger": 10}
"""CBEFF subtypes to ANSI/NIST-ITL finger positions."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def fingers(document: bytes) -> dict[int, bytes]:
    """Finger position -> BDB bytes; faces, irises and unknown subtypes are skipped."""
    try:
        root = ElementTree.fromstring(document)
    except Exception:  # defusedxml raises ParseError or its own refusals
        raise AbisFailure(Reason.INVALID_CBEFF, "not a CBEFF XML document") from None
    out: dict[int, bytes] = {}
    for bir in root.iter():
        if _local(bir.tag) != "BIR":
            continue
        info = next((c for c in bir if _local(c.tag) == "BDBInfo"), None)
        bdb = next((c for c in bir if _local(c.tag) == "BDB"), None)
        if info is None or bdb is None:
            continue
        fields = {_local(c.tag): (c.text or "").strip() for c in info}
        if fields.get("Type", "").lower() != "finger":
            continue
        position = SUBTYPES.get(" ".join(fields.get("Subtype", "").lower().split()))
        if position is None:
            continue
        try:
            out[position] = base64.b64decode((bdb.text or "").strip(), validate=True)
        except (binascii.Error, ValueError):
            raise AbisFailure(Reason.INVALID_CBEFF, "a BDB is not base64") from None
    if not out:
        raise AbisFailure(Reason.CBEFF_NO_DATA, "the CBEFF holds no finger")
    return out


def document(prints: dict[int, bytes]) -> bytes:
    """A minimal CBEFF document of fingers (for tests and for clients of this adapter)."""
    names = {v: k for k, v in SUBTYPES.items()}
    birs = "".join(
        "<BIR><BDBInfo><Type>Finger</Type>"
        f"<Subtype>{names[f].title().replace('finger', 'Finger')}</Subtype>"
        "<Level>Raw</Level><Purpose>Enroll</Purpose></BDBInfo>"
        f"<BDB>{base64.b64encode(data).decode()}</BDB></BIR>"
        for f, data in sorted(prints.items()))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<BIR xmlns="http://standards.iso.org/iso-iec/19785/-3/ed-2/">{birs}</BIR>'
            ).encode()
