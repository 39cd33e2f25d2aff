"""Bounds-checked big-endian reader: the only way the template parsers touch input bytes.

A minutiae record comes from outside (another AFIS, a smart card), so every
read checks the remaining length and raises
:class:`~openpesel.biometrics.errors.TemplateError` instead of ``IndexError``
or ``struct.error``.
"""

from __future__ import annotations

from openpesel.biometrics.errors import TemplateError


class ByteReader:
    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end
        if not 0 <= start <= self.end <= len(data):
            raise TemplateError("The minutiae record's lengths do not fit the data.")

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def take(self, count: int, what: str) -> bytes:
        if count < 0 or count > self.remaining:
            raise TemplateError(f"The minutiae record is truncated in the {what}.")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "big")

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "big")
