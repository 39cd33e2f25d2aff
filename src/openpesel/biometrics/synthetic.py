"""Synthetic fingerprints in the spirit of SFinGe, deterministic by seed.

Real prints are personal data and the FVC sets may not be redistributed, so
the project's tests and demos run on fingers it invents: a class and
singular points give an orientation field, ridges are grown along it by
iterative Gabor filtering (the *master* fingerprint), and each impression
places, distorts, crops and soils the master differently. The same
``(seed, impression)`` always gives the same pixels on the same library
versions.

>>> finger = SyntheticFinger.create(seed=7, width=192, height=224, iterations=6)
>>> finger.impression(0).pixels.shape
(224, 192)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine.synthesis import (
    impressions,
    master_fingerprint,
    orientation_model as om,
)
from openpesel.biometrics.finger import FingerPosition
from openpesel.biometrics.image import FingerprintImage


@dataclass(frozen=True, eq=False)
class SyntheticFinger:
    seed: int
    kind: str
    master: npt.NDArray[np.float64] = field(repr=False)
    """Ridge pattern in [-1, 1] at 500 dpi."""
    footprint: npt.NDArray[np.bool_] = field(repr=False)

    @classmethod
    def create(
        cls,
        seed: int,
        *,
        width: int = 256,
        height: int = 320,
        kind: str | None = None,
        iterations: int = p.SYNTH_GROWTH_ITERATIONS,
    ) -> SyntheticFinger:
        rng = np.random.default_rng([seed, 0])
        chosen = kind or str(rng.choice(om.CLASSES, p=[0.05, 0.05, 0.33, 0.32, 0.25]))
        points = om.place(chosen, width, height, rng)
        orientation = om.field(points, width, height)
        footprint = _footprint(width, height, rng)
        period = float(rng.uniform(p.SYNTH_RIDGE_PERIOD - 1.0, p.SYNTH_RIDGE_PERIOD + 1.0))
        master = master_fingerprint.grow(
            orientation, footprint, rng, period=period, iterations=iterations
        )
        return cls(seed=seed, kind=chosen, master=master, footprint=footprint)

    def impression(self, index: int, *, noise: float = 12.0) -> FingerprintImage:
        """The ``index``-th touch of this finger; impression 0 is the least distorted."""
        rng = np.random.default_rng([self.seed, 1, index])
        gentle = 0.5 if index == 0 else 1.0
        pixels = impressions.render(
            self.master,
            self.footprint,
            rng,
            max_shift=16.0 * gentle,
            max_rotation_deg=12.0 * gentle,
            distortion=5.0 * gentle,
            noise=noise,
        )
        return FingerprintImage(
            pixels=pixels,
            finger=FingerPosition.UNKNOWN,
            source_dpi=float(p.TARGET_DPI),
            source_format="synthetic",
        )


def _footprint(width: int, height: int, rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """A fingertip's outline: an ellipse, flatter at the bottom, filling most of the frame."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    cx = width / 2.0 + rng.normal(0, width * 0.02)
    cy = height * 0.55
    rx = width * rng.uniform(0.40, 0.46)
    ry = height * rng.uniform(0.50, 0.56)
    inside: npt.NDArray[np.bool_] = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0
    return inside
