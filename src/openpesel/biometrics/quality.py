"""Fingerprint image quality: a 0-100 score in the style of NFIQ 2, and the recapture rule.

See :mod:`openpesel.biometrics._engine.quality_features` for the features and
their weights. The score is computed from the image alone; passing the
template's minutiae count refines it, as NFIQ 2 also counts minutiae.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import quality_features, ridge_blocks
from openpesel.biometrics.errors import LowQuality
from openpesel.biometrics.image import FingerprintImage
from openpesel.biometrics.transparency import current


@dataclass(frozen=True)
class QualityReport:
    score: int
    """0 (unusable) to 100 (excellent)."""
    features: dict[str, float]
    """Each feature normalised to 0-1, by name (see the module docs)."""

    @property
    def needs_recapture(self) -> bool:
        """True when the clerk should ask for the finger to be scanned again."""
        return self.score < p.QUALITY_RECAPTURE_THRESHOLD


def require_quality(
    report: QualityReport, minimum: int = p.QUALITY_RECAPTURE_THRESHOLD
) -> QualityReport:
    """Return the report, or raise :class:`LowQuality` so enrolment asks for a rescan."""
    if report.score < minimum:
        raise LowQuality(
            f"The fingerprint quality is {report.score}, below the enrolment threshold of "
            f"{minimum}; rescan the finger."
        )
    return report


def assess_quality(image: FingerprintImage, minutiae_count: int | None = None) -> QualityReport:
    blocks = ridge_blocks.compute(image.pixels)
    features = quality_features.measure(blocks, minutiae_count)
    current().log("quality-features", lambda: features)
    return QualityReport(score=quality_features.score(features), features=features.normalised())
