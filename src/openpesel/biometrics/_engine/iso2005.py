"""ISO/IEC 19794-2:2005 finger minutiae record (version " 20").

Layout: a 24-byte record header (``FMR\\0``, `` 20\\0``, 4-byte record
length, certification and device type, image size, resolution in pixels per
centimetre, number of finger views), then per view a 4-byte header (finger
position, view number and impression type, finger quality, minutiae count),
the minutiae and a 2-byte extended data length.
"""

from __future__ import annotations

from openpesel.biometrics._engine import iso_minutiae
from openpesel.biometrics._engine.iso_minutiae import record_reader
from openpesel.biometrics.errors import TemplateEncodingError, TemplateError
from openpesel.biometrics.finger import FingerPosition
from openpesel.biometrics.template import FingerprintTemplate

MAGIC = b"FMR\x00"
VERSION = b" 20\x00"
HEADER_LENGTH = 24
VIEW_HEADER_LENGTH = 4


def encode(template: FingerprintTemplate) -> bytes:
    if len(template.minutiae) > 255:
        raise TemplateEncodingError("ISO/IEC 19794-2 holds at most 255 minutiae per view.")
    ppcm = dpi_to_ppcm(template.dpi)
    body = bytes(
        [
            int(template.finger),
            template.impression_type & 0x0F,  # view number 0 in the high nibble
            _clamp_quality(template.quality),
            len(template.minutiae),
        ]
    )
    body += iso_minutiae.encode(template.minutiae, template.width, template.height, True)
    body += (0).to_bytes(2, "big")  # no extended data
    length = HEADER_LENGTH + len(body)
    header = MAGIC + VERSION + length.to_bytes(4, "big") + (0).to_bytes(2, "big")
    header += template.width.to_bytes(2, "big") + template.height.to_bytes(2, "big")
    header += ppcm.to_bytes(2, "big") + ppcm.to_bytes(2, "big") + bytes([1, 0])
    return header + body


def decode(data: bytes) -> list[FingerprintTemplate]:
    reader = record_reader(data, MAGIC)
    reader.u16("device type")
    width, height = reader.u16("image width"), reader.u16("image height")
    x_ppcm, _ = reader.u16("x resolution"), reader.u16("y resolution")
    views = reader.u8("number of finger views")
    reader.u8("reserved byte")
    if width == 0 or height == 0 or x_ppcm == 0:
        raise TemplateError("The record has a zero image size or resolution.")
    if views == 0:
        raise TemplateError("The record holds no finger view.")
    templates = []
    for _ in range(views):
        finger = check_finger(reader.u8("finger position"))
        view_and_impression = reader.u8("impression type")
        quality = reader.u8("finger quality")
        if quality > 100:
            raise TemplateError(f"The finger quality is {quality}; the range is 0-100.")
        count = reader.u8("number of minutiae")
        minutiae = iso_minutiae.decode(reader, count, width, height, 6, frozenset())
        iso_minutiae.skip_extended_data(reader)
        templates.append(
            FingerprintTemplate(
                width=width,
                height=height,
                minutiae=minutiae,
                dpi=ppcm_to_dpi(x_ppcm),
                finger=finger,
                quality=quality,
                impression_type=view_and_impression & 0x0F,
            )
        )
    if reader.remaining:
        raise TemplateError("The record has bytes after its last finger view.")
    return templates


def dpi_to_ppcm(dpi: int) -> int:
    return round(dpi / 2.54)


def ppcm_to_dpi(ppcm: int) -> int:
    return round(ppcm * 2.54)


def check_finger(code: int) -> FingerPosition:
    if code > max(FingerPosition):
        raise TemplateError(f"Finger position {code} is not a single finger (0-10).")
    return FingerPosition(code)


def _clamp_quality(quality: int) -> int:
    return max(0, min(100, int(quality)))
