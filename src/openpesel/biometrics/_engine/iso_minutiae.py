"""The minutia data block shared by ISO/IEC 19794-2:2005 and :2011 (6 bytes a minutia).

Bytes 0-1: type (2 high bits: 01 ending, 10 bifurcation, 00 other) and x
(14 bits); bytes 2-3: 2 reserved bits and y; byte 4: angle in units of
360/256 degrees, counter-clockwise; byte 5: quality. The 2011 format may
omit the quality byte (field length 5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from openpesel.biometrics._engine.byte_reader import ByteReader
from openpesel.biometrics.errors import TemplateEncodingError, TemplateError
from openpesel.biometrics.template import Minutia, MinutiaKind

ANGLE_UNIT = 2.0 * math.pi / 256.0
MAX_COORDINATE = (1 << 14) - 1


def record_reader(data: bytes, magic: bytes) -> ByteReader:
    """A reader past the general header both editions share: identifier, version, length."""
    reader = ByteReader(data)
    if reader.take(4, "format identifier") != magic:
        raise TemplateError("The data is not a finger minutiae record (no 'FMR' identifier).")
    reader.take(4, "version")
    length = reader.u32("record length")
    if length != len(data):
        raise TemplateError(
            f"The record says it is {length} bytes long but {len(data)} were given."
        )
    return reader


def angle_to_byte(angle: float) -> int:
    return round(angle / ANGLE_UNIT) % 256


def encode(minutiae: Sequence[Minutia], width: int, height: int, with_quality: bool) -> bytes:
    out = bytearray()
    for m in minutiae:
        if not (0 <= m.x < width and 0 <= m.y < height):
            raise TemplateEncodingError(f"Minutia ({m.x}, {m.y}) lies outside the image.")
        if not 0 <= m.quality <= 100:
            raise TemplateEncodingError("Minutia quality must be 0-100.")
        out += ((int(m.kind) << 14) | m.x).to_bytes(2, "big")
        out += m.y.to_bytes(2, "big")
        out.append(angle_to_byte(m.angle))
        if with_quality:
            out.append(m.quality)
    return bytes(out)


def decode(
    reader: ByteReader,
    count: int,
    width: int,
    height: int,
    field_length: int,
    unreported_quality: frozenset[int],
) -> tuple[Minutia, ...]:
    minutiae = []
    for index in range(count):
        what = f"minutia {index + 1}"
        first = reader.u16(what)
        second = reader.u16(what)
        kind_code, x = first >> 14, first & MAX_COORDINATE
        y = second & MAX_COORDINATE
        if kind_code == 3:
            raise TemplateError(f"{what.capitalize()} has the reserved type code 11.")
        if x >= width or y >= height:
            raise TemplateError(f"{what.capitalize()} lies outside the {width}x{height} image.")
        angle = reader.u8(what) * ANGLE_UNIT
        quality = 0
        if field_length == 6:
            quality = reader.u8(what)
            if quality in unreported_quality:
                quality = 0
            elif quality > 100:
                raise TemplateError(
                    f"{what.capitalize()} has quality {quality}; the range is 0-100."
                )
        minutiae.append(
            Minutia(x=x, y=y, angle=angle, kind=MinutiaKind(kind_code), quality=quality)
        )
    return tuple(minutiae)


def skip_extended_data(reader: ByteReader) -> None:
    """Extended data (ridge counts, cores, deltas) is not used by the matcher; skip it whole."""
    length = reader.u16("extended data length")
    reader.take(length, "extended data")
