"""ISO/IEC 19794-2:2011 finger minutiae record (version "030").

Layout: a 15-byte general header (``FMR\\0``, ``030\\0``, 4-byte record
length, 2-byte number of finger representations, certification flag), then
per representation: 4-byte representation length, 9-byte capture date and
time (all 0xFF when unknown), device technology, vendor and type, quality
blocks (5 bytes each), certification blocks when flagged (3 bytes each),
finger position, representation number, horizontal and vertical resolution
(pixels per centimetre), impression type, image size, minutia field length
(high nibble, 5 or 6) with ridge-ending type (low nibble), minutiae count,
the minutiae and a 2-byte extended data length. Checked against the records
NBIS (nbis-rs) writes.
"""

from __future__ import annotations

from openpesel.biometrics._engine import iso_minutiae
from openpesel.biometrics._engine.byte_reader import ByteReader
from openpesel.biometrics._engine.iso2005 import check_finger, dpi_to_ppcm, ppcm_to_dpi
from openpesel.biometrics._engine.iso_minutiae import record_reader
from openpesel.biometrics.errors import TemplateEncodingError, TemplateError
from openpesel.biometrics.template import FingerprintTemplate

MAGIC = b"FMR\x00"
VERSION = b"030\x00"
GENERAL_HEADER_LENGTH = 15
UNKNOWN_DATE = b"\xff" * 9
UNREPORTED_QUALITY = frozenset({254, 255})
"""2011 minutia quality codes for "not reported" and "failed to compute"."""
VENDOR_UNKNOWN = 0


def encode(template: FingerprintTemplate) -> bytes:
    if len(template.minutiae) > 255:
        raise TemplateEncodingError("ISO/IEC 19794-2 holds at most 255 minutiae per view.")
    ppcm = dpi_to_ppcm(template.dpi)
    body = UNKNOWN_DATE + bytes([0]) + (0).to_bytes(2, "big") + (0).to_bytes(2, "big")
    quality = max(0, min(100, int(template.quality)))
    body += bytes([1, quality]) + VENDOR_UNKNOWN.to_bytes(2, "big") + (0).to_bytes(2, "big")
    body += bytes([int(template.finger), 0])
    body += ppcm.to_bytes(2, "big") + ppcm.to_bytes(2, "big")
    body += bytes([template.impression_type & 0xFF])
    body += template.width.to_bytes(2, "big") + template.height.to_bytes(2, "big")
    body += bytes([0x60, len(template.minutiae)])  # 6-byte minutiae, ISO ridge-ending convention
    body += iso_minutiae.encode(template.minutiae, template.width, template.height, True)
    body += (0).to_bytes(2, "big")
    representation = (4 + len(body)).to_bytes(4, "big") + body
    length = GENERAL_HEADER_LENGTH + len(representation)
    header = MAGIC + VERSION + length.to_bytes(4, "big") + (1).to_bytes(2, "big") + bytes([0])
    return header + representation


def decode(data: bytes) -> list[FingerprintTemplate]:
    reader = record_reader(data, MAGIC)
    count = reader.u16("number of finger representations")
    certified = reader.u8("certification flag")
    if count == 0:
        raise TemplateError("The record holds no finger representation.")
    if certified > 1:
        raise TemplateError("The certification flag must be 0 or 1.")
    templates = []
    for index in range(count):
        start = reader.pos
        size = reader.u32("representation length")
        if size < 4:
            raise TemplateError(f"Representation {index + 1} has an impossible length.")
        reader.take(size - 4, f"representation {index + 1}")
        section = ByteReader(data, start + 4, start + size)
        templates.append(_decode_representation(section, certified == 1))
        if section.remaining:
            raise TemplateError(f"Representation {index + 1} has trailing bytes.")
    if reader.remaining:
        raise TemplateError("The record has bytes after its last representation.")
    return templates


def _decode_representation(reader: ByteReader, certified: bool) -> FingerprintTemplate:
    reader.take(9, "capture date")
    reader.take(5, "capture device")
    quality = 0
    for index in range(reader.u8("number of quality blocks")):
        score = reader.u8("quality score")
        reader.take(4, "quality algorithm")
        if score > 100 and score not in UNREPORTED_QUALITY:
            raise TemplateError(f"The finger quality is {score}; the range is 0-100.")
        if index == 0 and score <= 100:
            quality = score
    if certified:
        reader.take(3 * reader.u8("number of certification blocks"), "certification blocks")
    finger = check_finger(reader.u8("finger position"))
    reader.u8("representation number")
    x_ppcm, _ = reader.u16("x resolution"), reader.u16("y resolution")
    impression = reader.u8("impression type")
    width, height = reader.u16("image width"), reader.u16("image height")
    field = reader.u8("minutia field length") >> 4
    if field not in (5, 6):
        raise TemplateError(f"The minutia field length is {field}; it must be 5 or 6.")
    if width == 0 or height == 0 or x_ppcm == 0:
        raise TemplateError("The record has a zero image size or resolution.")
    count = reader.u8("number of minutiae")
    minutiae = iso_minutiae.decode(reader, count, width, height, field, UNREPORTED_QUALITY)
    iso_minutiae.skip_extended_data(reader)
    return FingerprintTemplate(
        width=width,
        height=height,
        minutiae=minutiae,
        dpi=ppcm_to_dpi(x_ppcm),
        finger=finger,
        quality=quality,
        impression_type=impression,
    )
