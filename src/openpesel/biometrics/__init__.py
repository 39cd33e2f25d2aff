"""Fingerprints for the register: intake, quality, minutiae templates and 1:1 verification.

The service-facing API is these names; everything under ``_engine`` is
internal and may change.

Enrolment::

    image = load_image(scan_bytes, dpi=500, finger=FingerPosition.RIGHT_INDEX)
    quality = assess_quality(image)          # ask for a rescan if quality.needs_recapture
    template = extract_template(image)
    record = encode_template(template)       # ISO/IEC 19794-2:2011 bytes to store
    digest = ImageStore(data_dir / "images").put(image)

Verification::

    verdict = verify(extract_template(load_image(probe_bytes)), decode_template(record))
    verdict.is_match, verdict.score

Importing this package is cheap: each name is imported from its module on
first use (PEP 562). The API server needs the errors, not the extractor, and
eager imports of numba and scipy cost every worker about 70 MiB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpesel.biometrics.codec import (
        decode_template,
        decode_templates,
        encode_template,
    )
    from openpesel.biometrics.errors import (
        BiometricsError,
        BlankImage,
        CorruptImage,
        ExtractionFailed,
        ExtractorUnavailable,
        ImageRejected,
        ImageSizeOutOfRange,
        LowQuality,
        NotAFingerprint,
        ResolutionOutOfRange,
        TemplateError,
        TemplateVersionError,
        TooFewMinutiae,
        UnsupportedFormat,
    )
    from openpesel.biometrics.extraction import (
        extract_template,
    )
    from openpesel.biometrics.finger import (
        FingerPosition,
    )
    from openpesel.biometrics.image import (
        FingerprintImage,
        from_pixels,
        load_image,
    )
    from openpesel.biometrics.matching import (
        Matcher,
        Verdict,
        verify,
    )
    from openpesel.biometrics.quality import (
        QualityReport,
        assess_quality,
        require_quality,
    )
    from openpesel.biometrics.store import (
        ImageNotFound,
        ImageStore,
    )
    from openpesel.biometrics.template import (
        FingerprintTemplate,
        Minutia,
        MinutiaKind,
    )

_WHERE = {
    "BiometricsError": "errors",
    "BlankImage": "errors",
    "CorruptImage": "errors",
    "ExtractionFailed": "errors",
    "ExtractorUnavailable": "errors",
    "FingerPosition": "finger",
    "FingerprintImage": "image",
    "FingerprintTemplate": "template",
    "ImageNotFound": "store",
    "ImageRejected": "errors",
    "ImageSizeOutOfRange": "errors",
    "ImageStore": "store",
    "LowQuality": "errors",
    "Matcher": "matching",
    "Minutia": "template",
    "MinutiaKind": "template",
    "NotAFingerprint": "errors",
    "QualityReport": "quality",
    "ResolutionOutOfRange": "errors",
    "TemplateError": "errors",
    "TemplateVersionError": "errors",
    "TooFewMinutiae": "errors",
    "UnsupportedFormat": "errors",
    "Verdict": "matching",
    "assess_quality": "quality",
    "decode_template": "codec",
    "decode_templates": "codec",
    "encode_template": "codec",
    "extract_template": "extraction",
    "from_pixels": "image",
    "load_image": "image",
    "require_quality": "quality",
    "verify": "matching",
}

__all__ = [
    "BiometricsError",
    "BlankImage",
    "CorruptImage",
    "ExtractionFailed",
    "ExtractorUnavailable",
    "FingerPosition",
    "FingerprintImage",
    "FingerprintTemplate",
    "ImageNotFound",
    "ImageRejected",
    "ImageSizeOutOfRange",
    "ImageStore",
    "LowQuality",
    "Matcher",
    "Minutia",
    "MinutiaKind",
    "NotAFingerprint",
    "QualityReport",
    "ResolutionOutOfRange",
    "TemplateError",
    "TemplateVersionError",
    "TooFewMinutiae",
    "UnsupportedFormat",
    "Verdict",
    "assess_quality",
    "decode_template",
    "decode_templates",
    "encode_template",
    "extract_template",
    "from_pixels",
    "load_image",
    "require_quality",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"openpesel.biometrics.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
