"""Master fingerprint: ridges grown by iterative Gabor filtering along an orientation field.

As in SFinGe (Cappelli, Maio, Maltoni), a few random seeds are filtered
again and again with Gabor filters tuned to the local ridge orientation and
frequency; each pass extends the ridges and a saturating nonlinearity keeps
them binary. Minutiae appear where ridge flows that grew from different
seeds meet, just as in real prints. Orientations are quantised into a few
bins and each bin is filtered over the whole image once per pass, which is
cheaper than per-pixel kernels and visually indistinguishable.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p

FloatArray = npt.NDArray[np.float64]


def grow(
    orientation: FloatArray,
    footprint: npt.NDArray[np.bool_],
    rng: np.random.Generator,
    *,
    period: float = p.SYNTH_RIDGE_PERIOD,
    iterations: int = p.SYNTH_GROWTH_ITERATIONS,
    bins: int = p.SYNTH_ORIENTATION_BINS,
) -> FloatArray:
    """Ridge pattern in [-1, 1] (1 = ridge) inside ``footprint``, 0 outside."""
    height, width = orientation.shape
    pattern = np.zeros((height, width), dtype=np.float32)
    seeds = max(4, int(footprint.sum() / (period * period * 6)))
    ys, xs = np.nonzero(footprint)
    chosen = rng.choice(len(ys), size=min(seeds, len(ys)), replace=False)
    pattern[ys[chosen], xs[chosen]] = rng.choice([-1.0, 1.0], size=len(chosen)).astype(np.float32)
    bin_of_pixel = np.round(orientation / math.pi * bins).astype(np.int64) % bins
    kernels = [_gabor(math.pi * b / bins, period) for b in range(bins)]
    for _ in range(iterations):
        filtered = np.zeros_like(pattern)
        for b, kernel in enumerate(kernels):
            selected = bin_of_pixel == b
            if selected.any():
                response = cv2.filter2D(pattern, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
                filtered[selected] = response[selected]
        pattern = np.clip(filtered * 4.0, -1.0, 1.0)
        pattern[~footprint] = 0.0
    return pattern.astype(np.float64)


def _gabor(ridge_angle: float, period: float) -> npt.NDArray[np.float32]:
    """Even-symmetric Gabor kernel whose wave runs across ridges at ``ridge_angle``."""
    sigma = p.SYNTH_GABOR_SIGMA
    half = math.ceil(3 * sigma)
    ys, xs = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    across = -xs * math.sin(ridge_angle) + ys * math.cos(ridge_angle)
    kernel = np.exp(-(xs**2 + ys**2) / (2 * sigma**2)) * np.cos(2 * math.pi * across / period)
    kernel -= kernel.mean()
    return np.asarray(kernel / np.abs(kernel).sum(), dtype=np.float32)
