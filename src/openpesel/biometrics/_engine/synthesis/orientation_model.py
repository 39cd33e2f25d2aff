"""Orientation field of a synthetic finger from its singular points.

The zero-pole model of Sherlock and Monro (1993), as used by SFinGe: the
ridge direction at ``z`` is ``theta0 + (sum of arg(z - delta) - sum of
arg(z - core)) / 2``. Cores and deltas are placed per fingerprint class
(arch, tented arch, left/right loop, whorl) with seeded jitter; arches,
which have no singular points, get a smooth hump instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
CLASSES = ("arch", "tented_arch", "left_loop", "right_loop", "whorl")


@dataclass(frozen=True)
class SingularPoints:
    kind: str
    cores: tuple[complex, ...]
    deltas: tuple[complex, ...]


def place(kind: str, width: int, height: int, rng: np.random.Generator) -> SingularPoints:
    """Cores and deltas for a fingerprint class, in pixel coordinates with jitter."""
    cx, cy = width / 2.0 + rng.normal(0, width * 0.04), height * 0.42 + rng.normal(0, height * 0.04)
    gap = height * rng.uniform(0.28, 0.38)
    side = width * rng.uniform(0.18, 0.28)
    if kind == "arch":
        return SingularPoints(kind, (), ())
    if kind == "tented_arch":
        return SingularPoints(kind, (complex(cx, cy),), (complex(cx, cy + gap * 0.7),))
    if kind == "left_loop":
        return SingularPoints(kind, (complex(cx, cy),), (complex(cx + side, cy + gap),))
    if kind == "right_loop":
        return SingularPoints(kind, (complex(cx, cy),), (complex(cx - side, cy + gap),))
    if kind == "whorl":
        offset = height * rng.uniform(0.05, 0.09)
        return SingularPoints(
            kind,
            (complex(cx, cy - offset), complex(cx + rng.normal(0, 3), cy + offset)),
            (complex(cx - side * 1.2, cy + gap), complex(cx + side * 1.2, cy + gap)),
        )
    raise ValueError(f"Unknown fingerprint class {kind!r}; use one of {', '.join(CLASSES)}.")


def field(points: SingularPoints, width: int, height: int) -> FloatArray:
    """Ridge orientation (radians modulo pi, image coordinates) at every pixel."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    return at(points, xs, ys, width, height)


def at(
    points: SingularPoints, xs: FloatArray, ys: FloatArray, width: int, height: int
) -> FloatArray:
    """Ridge orientation at the given pixel positions of a ``width`` x ``height`` finger."""
    z = xs + 1j * ys
    if not points.cores and not points.deltas:
        # Arch: ridges horizontal at the bottom, bending into a hump above the centre.
        bump = np.exp(-(((xs - width / 2.0) / (width * 0.3)) ** 2))
        rise = np.clip((height * 0.7 - ys) / height, 0.0, 1.0)
        slope = -1.2 * bump * rise * np.sign(xs - width / 2.0) * np.abs(xs - width / 2.0) / width
        return np.asarray(np.arctan(slope) % math.pi)
    theta = np.zeros(np.shape(xs))
    for delta in points.deltas:
        theta += np.angle(z - delta)
    for core in points.cores:
        theta -= np.angle(z - core)
    return np.asarray((0.5 * theta) % math.pi)
