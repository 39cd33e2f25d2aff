"""Search template: the bit-based Minutia Cylinder-Code of a feature template.

Cappelli, Ferrara and Maltoni (TPAMI 32(12), 2010). Each minutia gets a
cylinder: an ``NS x NS`` grid of cells, oriented along the minutia, times
``ND`` direction bins. A cell's value says how strongly neighbouring
minutiae, at that place and with that relative direction, are present; the
bit version keeps only "value above mu_psi" (the sigmoid's midpoint). Cells
farther than ``omega`` from the minutiae's convex hull are invalid, and a
cylinder with too few valid cells or neighbours is dropped.

The result is packed into 64-bit words, so a cylinder comparison is a few
dozen AND/XOR/popcount operations: the compact array form the matcher
works on, built once per template and reused for every comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import erf  # type: ignore[import-untyped]

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import convex_hull

FloatArray = npt.NDArray[np.float64]
WordArray = npt.NDArray[np.uint64]
_STEP = 2.0 * p.MCC_RADIUS / p.MCC_NS
_GRID = (np.arange(1, p.MCC_NS + 1, dtype=np.float64) - (p.MCC_NS + 1) / 2.0) * _STEP
IN_CIRCLE = np.hypot(_GRID[:, None], _GRID[None, :]).ravel() <= p.MCC_RADIUS
"""Cells outside the cylinder's circle are never valid, so they are not stored at all:
201 of 256 spatial cells, which makes every comparison a fifth cheaper."""
SPATIAL_CELLS = int(IN_CIRCLE.sum())
CELLS = SPATIAL_CELLS * p.MCC_ND
WORDS = (CELLS + 63) // 64
SPATIAL_WORDS = (SPATIAL_CELLS + 63) // 64


@dataclass(frozen=True)
class SearchTemplate:
    xy: FloatArray
    """(n, 2) positions of the minutiae whose cylinders are valid."""
    angle: FloatArray
    """(n,) directions in radians in pixel space (``atan2(dy, dx)``, y down)."""
    bits: WordArray
    """(n, WORDS) cylinder cell bits."""
    mask: WordArray
    """(n, WORDS) cell validity bits (the spatial validity repeated for each direction bin)."""
    spatial: WordArray
    """(n, SPATIAL_WORDS) validity of the NS x NS cells; counting these is 6x cheaper."""
    distances: FloatArray
    """(n, n) distances between the minutiae, precomputed for the relaxation."""
    radial: FloatArray
    """(n, n) angle between minutia i's direction and the line from minutia k to i."""

    @property
    def count(self) -> int:
        return int(self.xy.shape[0])


def _cell_offsets() -> FloatArray:
    """Cell centres relative to the minutia for direction 0, in (i, j) raster order."""
    step = 2.0 * p.MCC_RADIUS / p.MCC_NS
    idx = np.arange(1, p.MCC_NS + 1, dtype=np.float64) - (p.MCC_NS + 1) / 2.0
    gi, gj = np.meshgrid(idx, idx, indexing="ij")
    return np.stack([gj.ravel() * step, gi.ravel() * step], axis=1)


_OFFSETS = _cell_offsets()
_BIN_CENTRES: FloatArray = np.asarray(
    -math.pi + (np.arange(1, p.MCC_ND + 1) - 0.5) * (2.0 * math.pi / p.MCC_ND), dtype=np.float64
)


def build(minutiae: FloatArray) -> SearchTemplate:
    """Cylinders of an ``(n, 3)`` array of ``x, y, angle``; invalid cylinders are left out.

    Template angles are counter-clockwise on screen; with y pointing down that is
    ``-atan2(dy, dx)``, so they are negated here to make the rotation of the
    cell grid follow the finger.
    """
    n = len(minutiae)
    if n == 0:
        return _empty()
    xy = minutiae[:, :2].astype(np.float64)
    # Wrapped to [-pi, pi) so that differences need at most one correction in the matcher.
    angle = np.asarray(_angle_difference(-minutiae[:, 2].astype(np.float64), 0.0))
    vertices = convex_hull.hull(xy)
    bits = np.zeros((n, WORDS), dtype=np.uint64)
    mask = np.zeros((n, WORDS), dtype=np.uint64)
    spatial = np.zeros((n, SPATIAL_WORDS), dtype=np.uint64)
    keep = np.zeros(n, dtype=bool)
    in_circle = IN_CIRCLE
    for i in range(n):
        cos, sin = math.cos(angle[i]), math.sin(angle[i])
        rotation = np.array([[cos, -sin], [sin, cos]])
        centres = xy[i] + _OFFSETS @ rotation.T  # (cells, 2)
        valid = in_circle & convex_hull.within(vertices, centres, p.MCC_HULL_OFFSET)
        others = np.arange(n) != i
        near = others & (np.hypot(*(xy - xy[i]).T) <= p.MCC_RADIUS + 3.0 * p.MCC_SIGMA_S)
        if valid.sum() < p.MCC_MIN_VALID_CELLS * in_circle.sum():
            continue
        if near.sum() < p.MCC_MIN_NEIGHBOURS:
            continue
        values = _cell_values(centres, angle[i], xy[near], angle[near])  # (cells, ND)
        on = (values >= p.MCC_MU_PSI) & valid[:, None]
        bits[i] = _pack(on[in_circle])
        mask[i] = _pack(np.repeat(valid[in_circle, None], p.MCC_ND, axis=1))
        spatial[i] = _pack(valid[in_circle], SPATIAL_WORDS)
        keep[i] = True
    kept_xy, kept_angle = xy[keep], angle[keep]
    delta = kept_xy[:, None, :] - kept_xy[None, :, :]  # i - k
    return SearchTemplate(
        xy=np.ascontiguousarray(kept_xy),
        angle=np.ascontiguousarray(kept_angle),
        bits=np.ascontiguousarray(bits[keep]),
        mask=np.ascontiguousarray(mask[keep]),
        spatial=np.ascontiguousarray(spatial[keep]),
        distances=np.ascontiguousarray(np.hypot(delta[..., 0], delta[..., 1])),
        radial=np.ascontiguousarray(
            _angle_difference(kept_angle[:, None], np.arctan2(delta[..., 1], delta[..., 0]))
        ),
    )


def _cell_values(
    centres: FloatArray, theta: float, neighbour_xy: FloatArray, neighbour_angle: FloatArray
) -> FloatArray:
    distance = np.sqrt(((centres[:, None, :] - neighbour_xy[None, :, :]) ** 2).sum(axis=2))
    spatial = np.where(
        distance <= 3.0 * p.MCC_SIGMA_S,
        np.exp(-(distance**2) / (2.0 * p.MCC_SIGMA_S**2))
        / (p.MCC_SIGMA_S * math.sqrt(2 * math.pi)),
        0.0,
    )  # (cells, m)
    relative = _angle_difference(theta, neighbour_angle)  # (m,)
    directional = _directional(_angle_difference(_BIN_CENTRES[None, :], relative[:, None]))
    return np.asarray(spatial @ directional)  # (cells, ND)


def _directional(alpha: FloatArray) -> FloatArray:
    """Share of a Gaussian (sigma_D) centred on ``alpha`` that falls in one direction bin."""
    half = math.pi / p.MCC_ND
    scale = math.sqrt(2.0) * p.MCC_SIGMA_D
    return np.asarray(0.5 * (erf((alpha + half) / scale) - erf((alpha - half) / scale)))


def _angle_difference(a: FloatArray | float, b: FloatArray | float) -> FloatArray:
    """a - b wrapped to [-pi, pi)."""
    return np.asarray((np.asarray(a) - np.asarray(b) + math.pi) % (2.0 * math.pi) - math.pi)


def _pack(on: npt.NDArray[np.bool_], words: int = WORDS) -> WordArray:
    flat = np.zeros(words * 64, dtype=bool)
    flat[: on.size] = on.ravel()
    return np.packbits(flat, bitorder="little").view(np.uint64)


def _empty() -> SearchTemplate:
    return SearchTemplate(
        xy=np.zeros((0, 2)),
        angle=np.zeros(0),
        bits=np.zeros((0, WORDS), dtype=np.uint64),
        mask=np.zeros((0, WORDS), dtype=np.uint64),
        spatial=np.zeros((0, SPATIAL_WORDS), dtype=np.uint64),
        distances=np.zeros((0, 0)),
        radial=np.zeros((0, 0)),
    )
