"""ANSI/NIST-ITL 1-2011 transactions: how police AFIS send tenprints and latents to each other.

A transaction is a Type-1 header, an optional Type-2 with the subject's descriptive data,
and one record per image: Type-14 (a finger at any resolution), Type-13 (a latent mark),
or the legacy Type-4 (500 ppi grey). A Type-9 record with an image's IDC carries the
minutiae encoded on that image (:mod:`openpesel.biometrics.ansi_nist_minutiae`).

Parsing is IDEMIA's ``nistitl``, the maintained pure-Python parser. Everything it
accepts is then checked here against the fields this profile needs (docs/ansi-nist.md),
and whatever is wrong with a file, the caller gets one :class:`TransactionError`
naming it: the register changes nothing on a file it refuses, so no half-read
transaction can enrol half a tenprint.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import nistitl
import numpy as np
import numpy.typing as npt

from openpesel.biometrics.ansi_nist_minutiae import (
    EncodedMinutiae,
    first_item as _one,
    minutiae_fields,
    read_minutiae,
)
from openpesel.biometrics.errors import BiometricsError
from openpesel.errors import ExitCode

DOMAIN = ("OPENPESEL", "1.0")
"""1.013 DOM: the implementation domain whose Type-2 fields this module writes."""
VERSION = "0500"
"""1.002 VER: ANSI/NIST-ITL 1-2011."""
MAX_SIDE = 8000
MAX_POSITION = 15
"""Table 8's finger codes: 0 unknown, 1-10 the fingers, 11-12 plain thumbs, 13-15 slaps."""
MAX_FILE_BYTES = 64 * 1024 * 1024
COMPRESSIONS = ("NONE", "WSQ20", "PNG", "JP2", "JP2L")
_TYPE4_COMPRESSION = {0: "NONE", 1: "WSQ20"}
_TYPE4_HEADER = struct.Struct("!B6sBHHB")
"""Type-4 after LEN and IDC: IMP, FGP (six bytes, 255 unused), ISR, HLL, VLL, GCA."""
UTF8 = "3"
"""1.015 DCS code for UTF-8: text fields are written as UTF-8 (Polish names need it), and
nistitl, which speaks Latin-1, carries them byte for byte (:func:`_wire`)."""
_SUBJECT_TAGS = {"pesel": 16, "name": 18, "birth_date": 22, "sex": 24}
"""Type-2 fields of the OPENPESEL domain, where EBTS keeps the same items."""


class TransactionError(BiometricsError, ValueError):
    message = "This is not a valid ANSI/NIST-ITL transaction."
    problem_type = "nist-transaction"
    exit_code = ExitCode.INVALID_INPUT


@dataclass(frozen=True)
class Subject:
    """Type-2: who the prints are said to belong to (absent for an unknown latent)."""

    pesel: str = ""
    family_name: str = ""
    given_names: str = ""
    birth_date: date | None = None
    sex: str = ""


@dataclass(frozen=True)
class FingerImage:
    """One image record, kept as transmitted: re-compressing a WSQ image would lose detail."""

    positions: tuple[int, ...]
    width: int
    height: int
    ppi: int
    compression: str
    data: bytes = field(repr=False)
    impression: int = 0
    record_type: int = 14
    captured: date | None = None
    minutiae: EncodedMinutiae | None = None

    @property
    def latent(self) -> bool:
        return self.record_type == 13

    def scan_bytes(self) -> bytes:
        """Bytes that :func:`openpesel.biometrics.load_image` reads (uncompressed becomes PNG)."""
        if self.compression != "NONE":
            return self.data
        return _png(self.pixels(), self.ppi)

    def pixels(self) -> npt.NDArray[np.uint8]:
        if self.compression == "NONE":
            return np.frombuffer(self.data, np.uint8).reshape(self.height, self.width).copy()
        from openpesel.biometrics._engine import decoding

        return decoding.decode(self.data).pixels

    @classmethod
    def from_pixels(cls, pixels: npt.NDArray[np.uint8], *, positions: tuple[int, ...],
                    ppi: int = 500, compression: str = "WSQ20", impression: int = 0,
                    record_type: int = 14, captured: date | None = None,
                    minutiae: EncodedMinutiae | None = None) -> FingerImage:
        """An image record for grey pixels, compressed as asked (WSQ, as AFIS expect)."""
        height, width = pixels.shape
        data = {"NONE": lambda: pixels.astype(np.uint8).tobytes(),
                "WSQ20": lambda: _wsq(pixels, ppi),
                "PNG": lambda: _png(pixels, ppi)}[compression]()
        return cls(positions, width, height, ppi, compression, data, impression, record_type,
                   captured, minutiae)


@dataclass(frozen=True)
class Transaction:
    type_of_transaction: str
    originator: str
    destination: str
    control_number: str
    day: date
    subject: Subject | None = None
    images: tuple[FingerImage, ...] = ()


def encode(transaction: Transaction) -> bytes:
    """The transaction as ANSI/NIST-ITL bytes (Type-1, 2, then each image and its Type-9)."""
    t = transaction
    msg = nistitl.Message()
    msg.TOT = _wire(t.type_of_transaction)
    header = msg[0]
    for tag, value in ((2, VERSION), (5, _day(t.day)), (7, t.destination), (8, t.originator),
                       (9, t.control_number), (11, "19.69"), (12, "19.69")):
        _check_text(value)
        if not value.isascii():
            raise TransactionError(f"Type-1 field 1.{tag:03d} takes ASCII only: {value[:40]!r}.")
        setattr(header, f"_{tag}", value)
    header._13 = [list(DOMAIN)]
    header._15 = [["3", "UTF-8"]]
    idc = 0
    if t.subject is not None:
        msg += _ascii(2, idc, _subject_fields(t.subject))
    for image in t.images:
        idc += 1
        msg += _image_record(image, idc, t.originator)
        if image.minutiae is not None:
            msg += _ascii(9, idc, minutiae_fields(image.minutiae, image.height, image.ppi,
                                                  image.positions))
    return bytes(msg.NIST)


def decode(data: bytes) -> Transaction:
    """Parse and check a transaction; raises :class:`TransactionError`, never anything else."""
    if len(data) > MAX_FILE_BYTES:
        raise TransactionError(f"The file is over {MAX_FILE_BYTES // 2**20} MiB.")
    msg = nistitl.Message()
    try:
        msg.parse(bytes(data))
        return _transaction(msg)
    except TransactionError:
        raise
    except BiometricsError as exc:
        raise TransactionError(str(exc)) from exc
    # nistitl raises IndexError, ValueError, struct.error, ... on some malformed input,
    # besides its own NistException; a file is the caller's to fix whichever it is.
    except Exception as exc:
        raise TransactionError(f"The file is not a valid ANSI/NIST-ITL transaction "
                               f"({type(exc).__name__}: {str(exc)[:120]}).") from exc


def _transaction(msg: Any) -> Transaction:
    header = _fields(msg[0], utf8=False)
    utf8 = any(row and row[0] == UTF8 for row in header.get(15, []))
    if utf8:
        header = _fields(msg[0], utf8=True)
    version = _one(header, 2)
    if not (len(version) == 4 and version.isdigit() and "0300" <= version < "0600"):
        raise TransactionError(f"1.002 states version {version!r}; 0300-0502 are read.")
    subject: Subject | None = None
    images: dict[int, FingerImage] = {}
    minutiae: dict[int, dict[int, list[list[str]]]] = {}
    for record in list(msg)[1:]:
        kind = record.type
        if kind == 2:
            if subject is not None:
                raise TransactionError("The transaction holds two Type-2 records.")
            subject = _subject(_fields(record, utf8))
        elif kind == 4:
            _add(images, int(record.IDC), _type4(record), kind)
        elif kind in (13, 14):
            fields = _fields(record, utf8)
            _add(images, _int(_one(fields, 2), "IDC"), _image(kind, fields, record), kind)
        elif kind == 9:
            fields = _fields(record, utf8)
            _add(minutiae, _int(_one(fields, 2), "IDC"), fields, kind)
    finished = []
    for idc, image in images.items():
        found = minutiae.pop(idc, None)
        if found is not None:
            encoded = read_minutiae(found, width=image.width, height=image.height,
                                    ppi=image.ppi, finger=image.positions[0])
            image = FingerImage(**{**image.__dict__, "minutiae": encoded})
        finished.append(image)
    if minutiae:
        raise TransactionError(f"Type-9 record IDC {min(minutiae)} has no image record: its "
                               f"coordinates cannot be placed.")
    return Transaction(_one(header, 4), _one(header, 8), _one(header, 7), _one(header, 9),
                       _date(_one(header, 5), "1.005"), subject, tuple(finished))


def _add(records: dict[int, Any], idc: int, record: Any, kind: int) -> None:
    """One record per IDC and type: a second would silently replace the first."""
    if idc in records:
        raise TransactionError(f"Two records of the same kind share IDC {idc} (Type-{kind}).")
    records[idc] = record


def _image_record(image: FingerImage, idc: int, source: str) -> Any:
    if image.compression not in COMPRESSIONS:
        raise TransactionError(f"Unknown compression {image.compression!r}.")
    if image.record_type == 4:
        gca = {v: k for k, v in _TYPE4_COMPRESSION.items()}.get(image.compression)
        if image.ppi != 500 or gca is None or len(image.positions) != 1 or image.captured:
            raise TransactionError("A Type-4 record carries one finger at 500 ppi, "
                                   "uncompressed or WSQ, and no capture date.")
        record = nistitl.BinaryRecord(4)
        record.IDC = idc
        fgp = bytes([image.positions[0]]) + b"\xff" * 5
        record.pack(_TYPE4_HEADER.format, image.impression, fgp, 0, image.width, image.height,
                    gca, image.data)
        return record
    fields: dict[int, object] = {
        3: str(image.impression), 4: source, 6: str(image.width), 7: str(image.height),
        8: "1", 9: str(image.ppi), 10: str(image.ppi), 11: image.compression, 12: "8",
        13: [str(p) for p in image.positions],
    }
    if image.captured is not None:
        fields[5] = _day(image.captured)
    record = _ascii(image.record_type, idc, fields)
    record += nistitl.BinaryField(image.record_type, 999, image.data)
    return record


def _image(kind: int, fields: dict[int, list[list[str]]], record: Any) -> FingerImage:
    width, height = _int(_one(fields, 6), "HLL"), _int(_one(fields, 7), "VLL")
    scale, horizontal = _one(fields, 8), _int(_one(fields, 9), "THPS")
    ppi = {"1": horizontal, "2": round(horizontal * 2.54)}.get(scale)  # 2: per centimetre
    if ppi is None:
        raise TransactionError(f"Record type {kind} states no resolution (SLC {scale!r}).")
    compression, bits = _one(fields, 11), _one(fields, 12) or "8"
    data = record[999].value if record[999] is not None else b""
    positions = tuple(_int(row[0], "FGP") for row in fields.get(13, []) if row)
    captured = _one(fields, 5)
    return _checked(FingerImage(
        positions or (0,), width, height, ppi, compression, bytes(data),
        _int(_one(fields, 3) or "0", "IMP"), kind,
        _date(captured, f"{kind}.005") if captured else None), bits)


def _type4(record: Any) -> FingerImage:
    if len(record.value) < _TYPE4_HEADER.size:
        raise TransactionError("A Type-4 record is shorter than its header.")
    imp, fgp, _isr, width, height, gca = _TYPE4_HEADER.unpack_from(record.value)
    compression = _TYPE4_COMPRESSION.get(gca)
    if compression is None:
        raise TransactionError(f"Type-4 compression {gca} is not read (0 none, 1 WSQ).")
    positions = tuple(b for b in fgp if b != 255) or (0,)
    return _checked(FingerImage(positions, width, height, 500, compression,
                                bytes(record.value[_TYPE4_HEADER.size:]), imp, 4), "8")


def _checked(image: FingerImage, bits: str) -> FingerImage:
    if bits != "8":
        raise TransactionError(f"Only 8-bit grey images are read, not {bits!r} bits a pixel.")
    if not (1 <= image.width <= MAX_SIDE and 1 <= image.height <= MAX_SIDE):
        raise TransactionError(f"An image of {image.width}x{image.height} pixels is out of "
                               f"range.")
    if not 100 <= image.ppi <= 2000:
        raise TransactionError(f"A resolution of {image.ppi} ppi is out of range.")
    if image.compression not in COMPRESSIONS:
        raise TransactionError(f"Unknown compression {image.compression!r}.")
    if image.compression == "NONE" and len(image.data) != image.width * image.height:
        raise TransactionError("An uncompressed image holds the wrong number of bytes.")
    if not image.data:
        raise TransactionError("An image record holds no image.")
    if not all(0 <= p <= MAX_POSITION for p in image.positions):
        raise TransactionError(f"Finger positions 0-{MAX_POSITION} are read (ANSI/NIST-ITL "
                               "table 8: fingers, plain thumbs and slaps).")
    return image


def _subject_fields(subject: Subject) -> dict[int, object]:
    values = {"pesel": subject.pesel, "sex": subject.sex,
              "birth_date": _day(subject.birth_date) if subject.birth_date else "",
              "name": f"{subject.family_name},{subject.given_names}"
              if subject.family_name or subject.given_names else ""}
    return {_SUBJECT_TAGS[k]: v for k, v in values.items() if v}


def _subject(fields: dict[int, list[list[str]]]) -> Subject:
    family, _, given = _one(fields, _SUBJECT_TAGS["name"]).partition(",")
    born = _one(fields, _SUBJECT_TAGS["birth_date"])
    return Subject(_one(fields, _SUBJECT_TAGS["pesel"]), family, given,
                   _date(born, "2.022") if born else None, _one(fields, _SUBJECT_TAGS["sex"]))


def _ascii(kind: int, idc: int, fields: dict[int, object]) -> Any:
    record = nistitl.AsciiRecord(kind)
    record.IDC = idc
    for tag, value in sorted(fields.items()):
        if value not in ("", [], None):
            _check_text(value)
            record += nistitl.Field(kind, tag, _wire(value))
    return record


def _check_text(value: object) -> None:
    """A separator inside a value would silently split it into fields on the other side."""
    texts = [value] if isinstance(value, str) else _flatten(value)
    for text in texts:
        if any(c in text for c in "\x1c\x1d\x1e\x1f") or not text.isprintable():
            raise TransactionError(f"{text[:40]!r} cannot be written into a transaction.")


def _flatten(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    assert isinstance(value, Iterable)
    return [text for item in value for text in _flatten(item)]


def _wire(value: Any) -> Any:
    """UTF-8 bytes as the Latin-1 text nistitl writes back byte for byte."""
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1")
    return [_wire(item) for item in value]


def _from_utf8(value: object) -> str:
    """A text field of a transaction that declared UTF-8 (1.015), as nistitl read it."""
    try:
        return str(value).encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise TransactionError("A text field is not UTF-8, as 1.015 declares.") from None


def _fields(record: Any, utf8: bool) -> dict[int, list[list[str]]]:
    """Every text field of a parsed record as subfields of items, whatever shape nistitl
    gives a value (a string, a list of strings, a list of lists)."""
    text = _from_utf8 if utf8 else str
    out: dict[int, list[list[str]]] = {}
    for f in record._fields:
        if isinstance(f, nistitl.BinaryField):
            continue
        value = f.value
        rows = [[text(value)]] if not isinstance(value, list | tuple) else [
            [text(item)] if isinstance(item, str) else [text(i) for i in item]
            for item in value]
        out[int(f.tag)] = rows
    return out


def _int(text: str, name: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise TransactionError(f"{name} is {text[:20]!r}, not a number.")
    return int(text)


def _date(text: str, name: str) -> date:
    try:
        if len(text) == 8 and text.isascii() and text.isdigit():
            return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        pass
    raise TransactionError(f"{name} is {text[:20]!r}, not a date YYYYMMDD.")


def _day(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _png(pixels: npt.NDArray[np.uint8], ppi: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, "PNG", dpi=(ppi, ppi))
    return buffer.getvalue()


def _wsq(pixels: npt.NDArray[np.uint8], ppi: int) -> bytes:
    import wsq  # type: ignore[import-untyped]  # noqa: F401  (registers the WSQ plug-in)
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, "WSQ", dpi=(ppi, ppi))
    return buffer.getvalue()
