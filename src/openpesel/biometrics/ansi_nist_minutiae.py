"""Type-9 minutiae records of ANSI/NIST-ITL 1-2011, in the legacy "standard" format (FMT ``S``).

Why this encoding: it is the one NIST's own MINDTCT writes into a transaction and the
one police AFIS read most widely. Each minutia is one subfield of field 9.012 (MRC):
``index ^ XXXXYYYYTTT ^ quality ^ type``, where ``XXXX`` and ``YYYY`` are in units of
0.01 mm from the image's *lower*-left corner and ``TTT`` is whole degrees
counter-clockwise. Those units tie a record to the resolution and height of the image
it was encoded on, so :mod:`openpesel.biometrics.ansi_nist` pairs every Type-9 record
with the image record of the same IDC.

Angles are written in the register's own convention, ISO/IEC 19794-2
(:mod:`openpesel.biometrics.template`); the conversion is the flip of the y axis only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from openpesel.biometrics.errors import TemplateError
from openpesel.biometrics.finger import FingerPosition
from openpesel.biometrics.template import FingerprintTemplate, Minutia, MinutiaKind

UNITS_PER_INCH = 2540
"""0.01 mm units in an inch: the scale of 9.012's coordinates."""

METHODS = {"A": "automatic", "E": "automatic, then edited by an examiner", "M": "manual"}
"""9.005 OFR's encoding method, as the register uses it: the semi-automatic workflow's
three states of a minutiae set."""

_TYPE_CODES = {MinutiaKind.ENDING: "A", MinutiaKind.BIFURCATION: "B", MinutiaKind.OTHER: "D"}
_KINDS = {code: kind for kind, code in _TYPE_CODES.items()} | {"C": MinutiaKind.OTHER}


class MinutiaeRecordError(TemplateError):
    message = "A Type-9 minutiae record of the transaction is malformed."


@dataclass(frozen=True)
class EncodedMinutiae:
    """A minutiae set as encoded for one image: who or what encoded it, and how."""

    template: FingerprintTemplate
    method: str = "A"
    system: str = "OPENPESEL"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise MinutiaeRecordError(f"Unknown encoding method {self.method!r}; use one of "
                                      f"{', '.join(METHODS)}.")


def ansi_quality(quality: int) -> int:
    """The register's 0-100 minutia quality on 9.012's scale, where 0 and 1 are reserved
    (manual encoding, no quality) and 2-63 rank automatic ones."""
    return 2 + round(max(0, min(100, quality)) * 61 / 100)


def register_quality(quality: int) -> int:
    return 0 if quality < 2 else round((min(quality, 63) - 2) * 100 / 61)


def minutiae_fields(encoded: EncodedMinutiae, height: int, ppi: int,
                    positions: Sequence[int]) -> dict[int, object]:
    """The Type-9 fields (number to value) for ``encoded``, drawn on an image of
    ``height`` pixels at ``ppi``; ``positions`` are its finger positions (9.006)."""
    t = encoded.template
    to_units = UNITS_PER_INCH / t.dpi
    image_height_units = height * UNITS_PER_INCH / ppi
    rows: list[list[str]] = []
    for index, m in enumerate(t.minutiae, start=1):
        x = round(m.x * to_units)
        y = round(image_height_units - (m.y + 1) * to_units)
        if not (0 <= x <= 9999 and 0 <= y <= 9999):
            raise MinutiaeRecordError(f"Minutia {index} lies outside its image.")
        theta = round(math.degrees(m.angle)) % 360
        rows.append([str(index), f"{x:04d}{y:04d}{theta:03d}", str(ansi_quality(m.quality)),
                     _TYPE_CODES[m.kind]])
    return {
        3: str(t.impression_type), 4: "S", 5: [[encoded.system, encoded.method]],
        6: [str(p) for p in positions], 7: [["T", "UC"]], 10: str(len(rows)), 11: "0",
        12: rows,
    }


def read_minutiae(fields: dict[int, list[list[str]]], *, width: int, height: int, ppi: int,
                  finger: int) -> EncodedMinutiae:
    """The minutiae of a parsed Type-9 record, in pixels of its image (origin top-left)."""
    if first_item(fields, 4) != "S":
        raise MinutiaeRecordError("Only standard-format (FMT S) Type-9 records are read.")
    ofr = _items(fields, 5, 2)
    system, method = (ofr[0] if ofr else ""), (ofr[1] if len(ofr) > 1 else "A")
    to_pixels = ppi / UNITS_PER_INCH
    minutiae = []
    for row in fields.get(12, []):
        if len(row) < 2 or len(row[1]) != 11 or not row[1].isdigit():
            raise MinutiaeRecordError("A minutia in 9.012 is not index^XXXXYYYYTTT^....")
        xyt = row[1]
        x = round(int(xyt[0:4]) * to_pixels)
        y = round(height - int(xyt[4:8]) * to_pixels) - 1
        theta = int(xyt[8:11])
        quality = int(row[2]) if len(row) > 2 and row[2].isdigit() else 0
        kind = _KINDS.get(row[3] if len(row) > 3 else "D")
        if kind is None or theta > 359 or not (0 <= x < width and 0 <= y < height):
            raise MinutiaeRecordError("A minutia in 9.012 has a bad type, angle or position.")
        minutiae.append(Minutia(x, y, math.radians(theta), kind, register_quality(quality)))
    stated = first_item(fields, 10)
    if stated and stated.isdigit() and int(stated) != len(minutiae):
        raise MinutiaeRecordError(f"9.010 states {stated} minutiae, 9.012 holds "
                                  f"{len(minutiae)}.")
    template = FingerprintTemplate(width, height, tuple(minutiae), dpi=ppi,
                                   finger=FingerPosition(finger if finger <= 10 else 0),
                                   impression_type=_int_or(first_item(fields, 3), 0))
    return EncodedMinutiae(template, method if method in METHODS else "A", system)


def first_item(fields: dict[int, list[list[str]]], tag: int) -> str:
    """A parsed field's first item, or "" when the field is absent or empty."""
    rows = fields.get(tag)
    return str(rows[0][0]) if rows and rows[0] else ""


def _items(fields: dict[int, list[list[str]]], tag: int, count: int) -> list[str]:
    rows = fields.get(tag) or [[]]
    return list(rows[0][:count])


def _int_or(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default
