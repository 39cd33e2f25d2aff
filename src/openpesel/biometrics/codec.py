"""ISO/IEC 19794-2 finger minutiae records, 2005 and 2011 formats: the template's stored form.

The register stores templates as 2011 records (the default); 2005 is
offered for exchange with older systems. Decoding takes outside bytes and
raises only :class:`~openpesel.biometrics.errors.TemplateError` subclasses,
whatever it is given. Angles are quantised to 360/256 degrees, so a
round trip changes them by at most 0.71 degrees.
"""

from __future__ import annotations

from typing import Literal

from openpesel.biometrics._engine import iso2005, iso2011
from openpesel.biometrics._engine.iso_minutiae import MAX_COORDINATE
from openpesel.biometrics.errors import TemplateEncodingError, TemplateError, TemplateVersionError
from openpesel.biometrics.template import FingerprintTemplate

IsoVersion = Literal["2005", "2011"]
_VERSIONS = {b" 20\x00": "2005", b"030\x00": "2011"}


def encode_template(template: FingerprintTemplate, version: IsoVersion = "2011") -> bytes:
    """Serialise one template as an ISO/IEC 19794-2 record of the given edition."""
    if not (0 < template.width <= MAX_COORDINATE and 0 < template.height <= MAX_COORDINATE):
        raise TemplateEncodingError("The image size does not fit an ISO/IEC 19794-2 record.")
    if not 0 <= template.impression_type <= 15 or not 0 < template.dpi < 166_000:
        raise TemplateEncodingError("The impression type or resolution is out of range.")
    if version == "2011":
        return iso2011.encode(template)
    if version == "2005":
        return iso2005.encode(template)
    raise TemplateEncodingError(f"Unknown ISO/IEC 19794-2 edition {version!r}.")


def record_version(data: bytes) -> IsoVersion:
    """The edition of a record ('2005' or '2011') read from its header."""
    if len(data) < 8 or data[:4] != b"FMR\x00":
        raise TemplateError("The data is not a finger minutiae record (no 'FMR' identifier).")
    version = _VERSIONS.get(bytes(data[4:8]))
    if version is None:
        raise TemplateVersionError()
    return "2005" if version == "2005" else "2011"


def decode_templates(data: bytes) -> list[FingerprintTemplate]:
    """Every finger view of a record, either edition."""
    data = bytes(data)
    if record_version(data) == "2005":
        return iso2005.decode(data)
    return iso2011.decode(data)


def decode_template(data: bytes) -> FingerprintTemplate:
    """The single finger view of a record; records with several views are refused."""
    templates = decode_templates(data)
    if len(templates) != 1:
        raise TemplateError(f"The record holds {len(templates)} finger views; expected one.")
    return templates[0]
