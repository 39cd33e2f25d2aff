"""Impressions of a master fingerprint: placement, elastic distortion, contact area and noise.

What separates two touches of the same finger, following SFinGe's steps:
the finger lands displaced and rotated; skin stretches more the farther it
is from the centre of contact (a smooth random displacement field that grows
with that distance, after Cappelli, Maio and Maltoni's plastic distortion
model); the contact region changes with pressure; and the sensor adds blur,
uneven ridge darkness (dry and wet patches) and noise.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def render(
    master: FloatArray,
    footprint: npt.NDArray[np.bool_],
    rng: np.random.Generator,
    *,
    max_shift: float = 16.0,
    max_rotation_deg: float = 12.0,
    distortion: float = 5.0,
    noise: float = 12.0,
) -> npt.NDArray[np.uint8]:
    height, width = master.shape
    map_x, map_y = _warp(width, height, rng, max_shift, max_rotation_deg, distortion)
    ridges = cv2.remap(
        master.astype(np.float32),
        map_x,
        map_y,
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    contact = cv2.remap(
        _contact(footprint, rng),
        map_x,
        map_y,
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    darkness = _smooth_noise(width, height, rng, scale=40.0, amplitude=0.35) + 0.8
    thickness = float(rng.uniform(-0.25, 0.25))  # < 0 thins ridges (dry), > 0 thickens (wet)
    ink = np.clip((ridges + thickness) * 1.5, 0.0, 1.0) * np.clip(darkness, 0.3, 1.0) * contact
    grey = 245.0 - 200.0 * ink
    grey = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), float(rng.uniform(0.6, 1.1)))
    grey = grey + rng.normal(0.0, noise, size=grey.shape)
    return np.asarray(np.clip(grey, 0, 255), dtype=np.uint8)


def _warp(
    width: int,
    height: int,
    rng: np.random.Generator,
    max_shift: float,
    max_rotation_deg: float,
    distortion: float,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Inverse map (output pixel -> master pixel) of a rigid placement plus elastic distortion."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = width / 2.0, height / 2.0
    angle = math.radians(rng.uniform(-max_rotation_deg, max_rotation_deg))
    dx, dy = rng.uniform(-max_shift, max_shift, size=2)
    u, v = xs - cx - dx, ys - cy - dy
    src_x = cx + u * math.cos(angle) + v * math.sin(angle)
    src_y = cy - u * math.sin(angle) + v * math.cos(angle)
    # Distortion grows from zero at the contact centre to its full size at the rim.
    reach = np.clip(np.hypot(u / (width * 0.45), v / (height * 0.45)), 0.0, 1.0) ** 1.5
    src_x += reach * _smooth_noise(width, height, rng, scale=60.0, amplitude=distortion)
    src_y += reach * _smooth_noise(width, height, rng, scale=60.0, amplitude=distortion)
    return src_x.astype(np.float32), src_y.astype(np.float32)


def _contact(footprint: npt.NDArray[np.bool_], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Pressure changes the contact area: erode or dilate the finger's footprint a little."""
    size = int(rng.integers(3, 25))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    mask: Any = footprint.astype(np.uint8)
    mask = cv2.erode(mask, kernel) if rng.random() < 0.6 else cv2.dilate(mask, kernel)
    return np.asarray(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 3.0), dtype=np.float32)


def _smooth_noise(
    width: int, height: int, rng: np.random.Generator, scale: float, amplitude: float
) -> FloatArray:
    raw = rng.normal(0.0, 1.0, size=(height, width)).astype(np.float32)
    smooth = cv2.GaussianBlur(raw, (0, 0), scale)
    peak = float(np.abs(smooth).max()) or 1.0
    return np.asarray(smooth / peak * amplitude, dtype=np.float64)
