"""Quality features and the 0-100 score built from them, in the style of NFIQ 2.

NFIQ 2 feeds some 69 block features to a random forest trained on NIST
match outcomes. We have no such training data, so the score is a transparent
weighted mean of five features that NFIQ 2 also ranks among its most
predictive, each mapped to 0-1:

=====================  ==========================================================
orientation certainty  mean OCL (gradient coherence) over foreground blocks
ridge-valley clarity   mean share of block AC energy in the dominant spectral peak
ridge-block share      share of foreground blocks with a 5-13 px period, a clear
                       spectral peak and coherent flow (NFIQ 2's FDA and LCS idea)
foreground area        foreground share of the image, saturating at 45 %
minutiae count         saturating at 40 minutiae (only when minutiae are known)
=====================  ==========================================================

bench/fingerprint_accuracy.py checks that low scores go with match failures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine.ridge_blocks import RidgeBlocks

WEIGHTS = {
    "orientation_certainty": 0.30,
    "ridge_clarity": 0.25,
    "ridge_block_share": 0.15,
    "foreground_area": 0.20,
    "minutiae_count": 0.10,
}


@dataclass(frozen=True)
class QualityFeatures:
    orientation_certainty: float
    ridge_clarity: float
    ridge_block_share: float
    foreground_fraction: float
    minutiae_count: int | None

    def normalised(self) -> dict[str, float]:
        """Each feature mapped to 0-1, where 1 is what a good rolled or plain print gives."""
        values = {
            "orientation_certainty": _ramp(self.orientation_certainty, 0.3, 0.8),
            "ridge_clarity": _ramp(self.ridge_clarity, 0.35, 0.75),
            "ridge_block_share": _ramp(self.ridge_block_share, 0.2, 0.85),
            "foreground_area": _ramp(self.foreground_fraction, 0.08, 0.45),
        }
        if self.minutiae_count is not None:
            values["minutiae_count"] = _ramp(float(self.minutiae_count), p.MIN_MINUTIAE, 40.0)
        return values


def measure(blocks: RidgeBlocks, minutiae_count: int | None = None) -> QualityFeatures:
    fg = blocks.foreground
    if not fg.any():
        return QualityFeatures(0.0, 0.0, 0.0, 0.0, minutiae_count)
    return QualityFeatures(
        orientation_certainty=float(blocks.coherence[fg].mean()),
        ridge_clarity=float(blocks.clarity[fg].mean()),
        ridge_block_share=blocks.ridge_block_share(),
        foreground_fraction=float(fg.mean()),
        minutiae_count=minutiae_count,
    )


def score(features: QualityFeatures) -> int:
    values = features.normalised()
    total_weight = sum(WEIGHTS[name] for name in values)
    weighted = sum(WEIGHTS[name] * value for name, value in values.items()) / total_weight
    return round(100.0 * weighted)


def _ramp(value: float, low: float, high: float) -> float:
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))
