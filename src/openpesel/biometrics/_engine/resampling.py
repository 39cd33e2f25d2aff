"""Normalised image: pixels resampled to the pipeline's single working resolution.

Every later stage (the MCC radius, the ridge-period bounds, pyfing's
networks) assumes 500 dpi, so resolution is handled once, here.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from openpesel.biometrics import parameters as p


def to_target_dpi(pixels: npt.NDArray[np.uint8], dpi: float) -> npt.NDArray[np.uint8]:
    if abs(dpi - p.TARGET_DPI) < 1.0:
        return pixels
    scale = p.TARGET_DPI / dpi
    height, width = pixels.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8)
