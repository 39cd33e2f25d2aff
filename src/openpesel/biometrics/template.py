"""Feature template: the minutiae of one finger impression, independent of any file format.

Positions are pixels from the top-left corner (x right, y down). Angles are
radians counter-clockwise from the x axis *as seen on screen*, the convention
of ISO/IEC 19794-2 and of pyfing, so the ISO codec only quantises them. The
matcher works in pixel space and negates them (see ``_engine/cylinders.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics.finger import FingerPosition


class MinutiaKind(IntEnum):
    """ISO/IEC 19794-2 minutia type codes (the two high bits of the x field)."""

    OTHER = 0
    ENDING = 1
    BIFURCATION = 2


@dataclass(frozen=True)
class Minutia:
    x: int
    y: int
    angle: float
    """Radians in [0, 2*pi), counter-clockwise on screen."""
    kind: MinutiaKind = MinutiaKind.OTHER
    quality: int = 100
    """0-100 as in ISO/IEC 19794-2:2011 (0 means "not reported" in the 2005 format)."""


@dataclass(frozen=True)
class FingerprintTemplate:
    width: int
    height: int
    minutiae: tuple[Minutia, ...]
    dpi: int = p.TARGET_DPI
    finger: FingerPosition = FingerPosition.UNKNOWN
    quality: int = 0
    """Image quality 0-100 (see :func:`openpesel.biometrics.assess_quality`)."""
    impression_type: int = 0
    """ISO impression type: 0 live-scan plain, 1 live-scan rolled, 2/3 non-live plain/rolled."""

    def to_array(self) -> npt.NDArray[np.float64]:
        """Compact (n, 3) float form ``x, y, angle`` at 500 dpi, used by the matcher.

        Positions are rescaled when an imported record states another resolution,
        because MCC's radii are in pixels at 500 dpi.
        """
        if not self.minutiae:
            return np.zeros((0, 3), dtype=np.float64)
        scale = p.TARGET_DPI / self.dpi if self.dpi > 0 else 1.0
        return np.array(
            [(m.x * scale, m.y * scale, m.angle) for m in self.minutiae], dtype=np.float64
        )


def normalise_angle(angle: float) -> float:
    """Map any angle to [0, 2*pi)."""
    wrapped = math.fmod(angle, 2.0 * math.pi)
    if wrapped < 0.0:
        wrapped += 2.0 * math.pi
    return 0.0 if wrapped >= 2.0 * math.pi else wrapped
