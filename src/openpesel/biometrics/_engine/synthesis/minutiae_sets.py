"""Synthetic minutiae sets: fingers made at the template level, without drawing an image.

A 1:N benchmark needs a million distractor fingers, and the image generator
plus LEADER extraction costs about a second an image. This draws what
extraction would have produced, from the same orientation model the image
generator uses: a fingerprint class and its singular points, a fingertip
ellipse, minutiae spread over it no closer than about a ridge period apart
(a jittered grid), each pointing along the local ridge flow in one of its
two senses. An impression moves, rotates and elastically distorts the
master set, presses a smaller or larger contact area, misses some minutiae,
jitters the rest and adds a few spurious ones, in the spirit of
``impressions.render``. Deterministic by ``(seed, impression)``; a few tens of
microseconds a finger.

These sets are not image-derived: they lack the ridge-count structure real
minutiae have (no ridge exists between them), their spacing and directions
are only statistically plausible, and singular regions are not denser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openpesel.biometrics._engine.synthesis import orientation_model as om

FloatArray = npt.NDArray[np.float64]
_CLASS_SHARES = (0.05, 0.05, 0.33, 0.32, 0.25)


@dataclass(frozen=True)
class MasterMinutiae:
    seed: int
    width: int
    height: int
    xy: FloatArray
    """(n, 2) positions in pixels at 500 dpi."""
    direction: FloatArray
    """(n,) directions in pixel space (radians, y down)."""
    centre: tuple[float, float]
    radii: tuple[float, float]


def master(
    seed: int, *, width: int = 288, height: int = 384, mean_count: float = 60.0
) -> MasterMinutiae:
    """Every minutia the finger has; an impression shows about two thirds of them."""
    rng = np.random.default_rng([seed, 3])
    kind = str(rng.choice(om.CLASSES, p=_CLASS_SHARES))
    points = om.place(kind, width, height, rng)
    cx = width / 2.0 + rng.normal(0, width * 0.02)
    cy = height * 0.52
    rx, ry = width * rng.uniform(0.38, 0.45), height * rng.uniform(0.42, 0.5)
    count = int(np.clip(round(rng.normal(mean_count, 12.0)), 20, 110))
    # A jittered grid over the ellipse: no two minutiae closer than about a ridge period.
    spacing = math.sqrt(math.pi * rx * ry / (count * 1.6))
    gx, gy = np.meshgrid(np.arange(cx - rx, cx + rx, spacing), np.arange(cy - ry, cy + ry, spacing))
    gx, gy = gx.ravel(), gy.ravel()
    inside = ((gx - cx) / rx) ** 2 + ((gy - cy) / ry) ** 2 <= 1.0
    slots = np.flatnonzero(inside)
    chosen = rng.choice(slots, size=min(count, len(slots)), replace=False)
    jitter = rng.uniform(-0.35 * spacing, 0.35 * spacing, size=(len(chosen), 2))
    xy = np.column_stack([gx[chosen], gy[chosen]]) + jitter
    flow = om.at(points, xy[:, 0], xy[:, 1], width, height)
    sense = rng.integers(0, 2, size=len(chosen)) * math.pi
    direction = flow + sense + rng.normal(0.0, 0.1, size=len(chosen))
    return MasterMinutiae(seed, width, height, xy, direction, (cx, cy), (rx, ry))


def impression(finger: MasterMinutiae, index: int, *, gentle: bool | None = None) -> FloatArray:
    """``(n, 3)`` minutiae ``x, y, angle`` (ISO angle, counter-clockwise on screen) of one touch.

    Impression 0 is the gentlest, as with the image generator.
    """
    rng = np.random.default_rng([finger.seed, 4, index])
    soft = (index == 0) if gentle is None else gentle
    scale = 0.5 if soft else 1.0
    xy, direction = finger.xy.copy(), finger.direction.copy()
    (cx, cy), (rx, ry) = finger.centre, finger.radii
    # Contact area: the pressed ellipse, shifted and scaled a little per touch.
    px, py = cx + rng.normal(0, 10 * scale), cy + rng.normal(0, 14 * scale)
    grow = rng.uniform(0.8, 1.0)
    contact = ((xy[:, 0] - px) / (rx * grow)) ** 2 + ((xy[:, 1] - py) / (ry * grow)) ** 2 <= 1.0
    seen = contact & (rng.random(len(xy)) >= rng.uniform(0.1, 0.2))
    xy, direction = xy[seen], direction[seen]
    # Elastic distortion, growing from the contact centre (smooth: two low sine waves).
    u, v = (xy[:, 0] - px) / rx, (xy[:, 1] - py) / ry
    reach = np.clip(np.hypot(u, v), 0.0, 1.0) ** 1.5
    amplitude = 6.0 * scale
    phase = rng.uniform(0, 2 * math.pi, size=4)
    xy[:, 0] += reach * amplitude * np.sin(2.0 * u + phase[0]) * np.cos(1.5 * v + phase[1])
    xy[:, 1] += reach * amplitude * np.sin(1.5 * u + phase[2]) * np.cos(2.0 * v + phase[3])
    # Spurious minutiae inside the contact area.
    spurious = int(rng.poisson(3.0 * scale + 1.0))
    angle_s = rng.uniform(0, 2 * math.pi, size=spurious)
    radius_s = np.sqrt(rng.random(spurious)) * 0.9
    extra = np.column_stack(
        [px + radius_s * rx * grow * np.cos(angle_s), py + radius_s * ry * grow * np.sin(angle_s)]
    )
    xy = np.vstack([xy, extra])
    direction = np.concatenate([direction, rng.uniform(0, 2 * math.pi, size=spurious)])
    # Placement: rotation about the frame centre, then a shift; jitter of the extractor.
    theta = math.radians(rng.uniform(-15.0, 15.0) * scale)
    shift = rng.uniform(-18.0, 18.0, size=2) * scale
    fx, fy = finger.width / 2.0, finger.height / 2.0
    du, dv = xy[:, 0] - fx, xy[:, 1] - fy
    x = fx + du * math.cos(theta) - dv * math.sin(theta) + shift[0]
    y = fy + du * math.sin(theta) + dv * math.cos(theta) + shift[1]
    x += rng.normal(0, 1.5, size=len(x))
    y += rng.normal(0, 1.5, size=len(y))
    direction = direction + theta + rng.normal(0.0, 0.08, size=len(direction))
    inside = (x >= 0) & (x < finger.width) & (y >= 0) & (y < finger.height)
    iso = (-direction[inside]) % (2 * math.pi)
    return np.column_stack([np.round(x[inside]), np.round(y[inside]), iso])
