"""Errors of the fingerprint subsystem, one class per reason a clerk can act on.

Every class derives from :class:`BiometricsError`, itself a branch of the
project-wide :class:`~openpesel.errors.OpenPeselError`, so the CLI and the API
map a whole family with one handler while tests and callers can still tell
"rescan the finger" (:class:`LowQuality`) from "this file is broken"
(:class:`CorruptImage`) without parsing messages.
"""

from __future__ import annotations

from openpesel.errors import OpenPeselError


class BiometricsError(OpenPeselError):
    """Root of the fingerprint subtree: a bad scan is the caller's to fix (422)."""

    message = "The fingerprint could not be processed."
    http_status = 422
    problem_type = "fingerprint"


# --- image intake -------------------------------------------------------------


class ImageRejected(BiometricsError, ValueError):
    """The image cannot be used for a fingerprint; the subclass says why."""

    message = "The image cannot be used as a fingerprint."


class UnsupportedFormat(ImageRejected):
    message = "The file is not a PNG, TIFF, BMP, JPEG or WSQ image."


class CorruptImage(ImageRejected):
    message = "The image file is truncated or corrupt."


class ImageSizeOutOfRange(ImageRejected):
    message = "The image is too small or too large to hold one fingerprint at 500 dpi."


class ResolutionOutOfRange(ImageRejected):
    message = "The image resolution is outside the range a fingerprint scanner produces."


class BlankImage(ImageRejected):
    message = "The image is blank: no finger was on the scanner."


class NotAFingerprint(ImageRejected):
    message = "The image does not show a fingerprint (no ridge pattern was found)."


class LowQuality(ImageRejected):
    """Raised only when a caller asks for a quality floor; the finger should be rescanned."""

    message = "The fingerprint quality is below the enrolment threshold; rescan the finger."


# --- templates ----------------------------------------------------------------


class TemplateError(BiometricsError, ValueError):
    """A minutiae record is malformed; parsers raise only this family on bad bytes."""

    message = "This is not a valid ISO/IEC 19794-2 finger minutiae record."


class TemplateVersionError(TemplateError):
    message = "The minutiae record is in an ISO/IEC 19794-2 version this system does not read."


class TemplateEncodingError(TemplateError):
    message = "The template cannot be written in the requested ISO/IEC 19794-2 format."


# --- extraction ---------------------------------------------------------------


class ExtractorUnavailable(BiometricsError):
    message = "No minutiae extractor could be loaded; install the 'biometrics' extra."
    http_status = 503
    problem_type = "extractor-unavailable"


class ExtractionFailed(BiometricsError):
    """The extractor raised on this image; the cause is chained."""

    message = "Minutiae could not be extracted from this image."


class TooFewMinutiae(ImageRejected):
    message = "Too few minutiae were found to identify this finger; rescan it."
