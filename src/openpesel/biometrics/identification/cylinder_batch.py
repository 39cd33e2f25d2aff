"""MCC cylinders built inside numba, bit for bit as ``_engine/cylinders.build`` builds them.

Why a second builder: a 1:N search rebuilds the cylinders of every candidate
the index picks, because keeping them (about 9 KB a finger) for a million
fingers does not fit in memory, and the NumPy builder costs 15-20 ms a
template. This one visits, for each neighbour, only the cells within the
Gaussian's 3-sigma reach and computes the directional term once per
neighbour, which brings a template to a fraction of a millisecond. Cell
centres, distances and cut-offs are computed with the same formulas in
the same frame as the NumPy builder, so both give the same bits (a test
holds them to it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import cylinders
from openpesel.biometrics._engine.compiled import jit
from openpesel.biometrics._engine.cylinders import SearchTemplate

FloatArray = npt.NDArray[np.float64]

_STEP = 2.0 * p.MCC_RADIUS / p.MCC_NS
_NEAR = p.MCC_RADIUS + 3.0 * p.MCC_SIGMA_S
_CELL_ORDINAL = np.full(p.MCC_NS * p.MCC_NS, -1, dtype=np.int64)
_CELL_ORDINAL[cylinders.IN_CIRCLE] = np.arange(cylinders.SPATIAL_CELLS)
_BIN_CENTRES = np.asarray(
    -math.pi + (np.arange(1, p.MCC_ND + 1) - 0.5) * (2.0 * math.pi / p.MCC_ND), dtype=np.float64
)
BUILD_SETTINGS = np.array(
    [
        p.MCC_RADIUS,
        p.MCC_SIGMA_S,
        p.MCC_SIGMA_D,
        p.MCC_MU_PSI,
        p.MCC_HULL_OFFSET,
        p.MCC_MIN_VALID_CELLS * cylinders.SPATIAL_CELLS,
        p.MCC_MIN_NEIGHBOURS,
        _NEAR,
    ],
    dtype=np.float64,
)
"""Tunables as an argument, as in ``mcc_settings``: numba's cache would not see an edit."""


@jit
def _wrap(a: float) -> float:
    """``(a + pi) % 2pi - pi`` with Python's floored modulo, as NumPy's ``%`` computes it."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@jit
def _cross(ox: float, oy: float, ax: float, ay: float, bx: float, by: float) -> float:
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)


@jit
def hull(xy: Any) -> Any:
    """Convex hull, counter-clockwise, duplicates removed (Andrew's monotone chain)."""
    n = xy.shape[0]
    order = np.argsort(xy[:, 0] * 1e6 + xy[:, 1], kind="mergesort")
    pts = np.empty((n, 2))
    count = 0
    for k in range(n):
        x, y = xy[order[k], 0], xy[order[k], 1]
        if count > 0 and pts[count - 1, 0] == x and pts[count - 1, 1] == y:
            continue
        pts[count, 0] = x
        pts[count, 1] = y
        count += 1
    if count < 3:
        return pts[:count].copy()
    out = np.empty((2 * count, 2))
    size = 0
    for k in range(count):  # lower chain
        while (
            size >= 2
            and _cross(
                out[size - 2, 0],
                out[size - 2, 1],
                out[size - 1, 0],
                out[size - 1, 1],
                pts[k, 0],
                pts[k, 1],
            )
            <= 0.0
        ):
            size -= 1
        out[size, 0] = pts[k, 0]
        out[size, 1] = pts[k, 1]
        size += 1
    lower = size
    for k in range(count - 1, -1, -1):  # upper chain
        while (
            size >= lower + 2
            and _cross(
                out[size - 2, 0],
                out[size - 2, 1],
                out[size - 1, 0],
                out[size - 1, 1],
                pts[k, 0],
                pts[k, 1],
            )
            <= 0.0
        ):
            size -= 1
        out[size, 0] = pts[k, 0]
        out[size, 1] = pts[k, 1]
        size += 1
    # Both chains end where the other starts; drop the repeated ends as the NumPy code does.
    result = np.empty((size - 2, 2))
    result[: lower - 1] = out[: lower - 1]
    result[lower - 1 :] = out[lower : size - 1]
    return result


@jit
def _within(vertices: Any, qx: float, qy: float, offset: float) -> bool:
    nv = vertices.shape[0]
    if nv == 0:
        return False
    if nv >= 3:  # inside the hull needs no distance: most cells are, so test that first
        inside = True
        for e in range(nv):
            nxt = e + 1 if e + 1 < nv else 0
            ex, ey = vertices[nxt, 0] - vertices[e, 0], vertices[nxt, 1] - vertices[e, 1]
            if ex * (qy - vertices[e, 1]) - ey * (qx - vertices[e, 0]) < 0.0:
                inside = False
                break
        if inside:
            return True
    for e in range(nv):
        sx, sy = vertices[e, 0], vertices[e, 1]
        nxt = e + 1 if e + 1 < nv else 0
        ex, ey = vertices[nxt, 0] - sx, vertices[nxt, 1] - sy
        rx, ry = qx - sx, qy - sy
        length2 = max(ex * ex + ey * ey, 1e-12)
        t = min(max((rx * ex + ry * ey) / length2, 0.0), 1.0)
        dx, dy = qx - (sx + t * ex), qy - (sy + t * ey)
        if math.sqrt(dx * dx + dy * dy) <= offset:
            return True
    return False


@jit
def build_arrays(minutiae: Any, offsets: Any, ordinal: Any, bin_centres: Any, config: Any) -> Any:
    """Cylinders of an ``(n, 3)`` array ``x, y, angle`` (ISO angles); returns the kept
    indices, their pixel-space angles and the bits, mask and spatial words."""
    n = minutiae.shape[0]
    ns2 = offsets.shape[0]
    nd = bin_centres.shape[0]
    spatial_cells = ordinal.max() + 1
    words = (spatial_cells * nd + 63) // 64
    spatial_words = (spatial_cells + 63) // 64
    radius, sigma_s, sigma_d = config[0], config[1], config[2]
    mu_psi, hull_offset, min_valid = config[3], config[4], config[5]
    min_neighbours, near_radius = config[6], config[7]
    reach = 3.0 * sigma_s
    norm = sigma_s * math.sqrt(2 * math.pi)
    half = math.pi / nd
    scale = math.sqrt(2.0) * sigma_d
    step = 2.0 * radius / math.sqrt(ns2)
    side = int(math.sqrt(ns2) + 0.5)
    xy = np.ascontiguousarray(minutiae[:, :2])
    angle = np.empty(n)
    for i in range(n):
        angle[i] = _wrap(-minutiae[i, 2])
    vertices = hull(xy)
    bits = np.zeros((n, words), dtype=np.uint64)
    mask = np.zeros((n, words), dtype=np.uint64)
    spatial = np.zeros((n, spatial_words), dtype=np.uint64)
    keep = np.zeros(n, dtype=np.bool_)
    cx = np.empty(ns2)
    cy = np.empty(ns2)
    valid = np.zeros(ns2, dtype=np.bool_)
    values = np.zeros((ns2, nd))
    directional = np.empty(nd)
    near = np.empty(n, dtype=np.int64)
    for i in range(n):
        cos, sin = math.cos(angle[i]), math.sin(angle[i])
        valid_count = 0
        for c in range(ns2):
            cx[c] = xy[i, 0] + (offsets[c, 0] * cos + offsets[c, 1] * -sin)
            cy[c] = xy[i, 1] + (offsets[c, 0] * sin + offsets[c, 1] * cos)
            valid[c] = ordinal[c] >= 0 and _within(vertices, cx[c], cy[c], hull_offset)
            if valid[c]:
                valid_count += 1
        n_near = 0
        for k in range(n):
            if k != i and math.hypot(xy[k, 0] - xy[i, 0], xy[k, 1] - xy[i, 1]) <= near_radius:
                near[n_near] = k
                n_near += 1
        if valid_count < min_valid or n_near < min_neighbours:
            continue
        values[:, :] = 0.0
        for t in range(n_near):
            k = near[t]
            relative = _wrap(angle[i] - angle[k])
            for b in range(nd):
                alpha = _wrap(bin_centres[b] - relative)
                directional[b] = 0.5 * (
                    math.erf((alpha + half) / scale) - math.erf((alpha - half) / scale)
                )
            # The neighbour in the cylinder's own frame picks the window of cells it can reach;
            # the distance itself is then measured exactly as the NumPy builder measures it.
            dx, dy = xy[k, 0] - xy[i, 0], xy[k, 1] - xy[i, 1]
            u = dx * cos + dy * sin
            v = -dx * sin + dy * cos
            j_lo = max(0, math.floor((u - reach) / step + side / 2.0 - 0.5) - 1)
            j_hi = min(side - 1, math.ceil((u + reach) / step + side / 2.0 - 0.5) + 1)
            r_lo = max(0, math.floor((v - reach) / step + side / 2.0 - 0.5) - 1)
            r_hi = min(side - 1, math.ceil((v + reach) / step + side / 2.0 - 0.5) + 1)
            for row in range(r_lo, r_hi + 1):
                for col in range(j_lo, j_hi + 1):
                    c = row * side + col
                    ddx = cx[c] - xy[k, 0]
                    ddy = cy[c] - xy[k, 1]
                    distance = math.sqrt(ddx * ddx + ddy * ddy)
                    if distance <= reach:
                        weight = math.exp(-(distance**2) / (2.0 * sigma_s**2)) / norm
                        for b in range(nd):
                            values[c, b] += weight * directional[b]
        for c in range(ns2):
            o = ordinal[c]
            if o < 0 or not valid[c]:
                continue
            spatial[i, o // 64] |= np.uint64(1) << np.uint64(o % 64)
            for b in range(nd):
                index = o * nd + b
                bit = np.uint64(1) << np.uint64(index % 64)
                mask[i, index // 64] |= bit
                if values[c, b] >= mu_psi:
                    bits[i, index // 64] |= bit
        keep[i] = True
    kept = np.nonzero(keep)[0]
    return kept, angle[kept], bits[kept], mask[kept], spatial[kept]


@jit
def geometry(xy: Any, angle: Any) -> Any:
    """Pairwise distances and radial angles, as ``cylinders.build`` precomputes them."""
    n = xy.shape[0]
    distances = np.empty((n, n))
    radial = np.empty((n, n))
    for i in range(n):
        for k in range(n):
            dx = xy[i, 0] - xy[k, 0]
            dy = xy[i, 1] - xy[k, 1]
            distances[i, k] = math.hypot(dx, dy)
            radial[i, k] = _wrap(angle[i] - math.atan2(dy, dx))
    return distances, radial


_OFFSETS = np.ascontiguousarray(cylinders._OFFSETS)


def build_indexed(minutiae: FloatArray) -> tuple[SearchTemplate, npt.NDArray[np.int64]]:
    """Search template of ``(n, 3)`` minutiae and, per cylinder, the minutia it belongs to."""
    array = np.ascontiguousarray(minutiae, dtype=np.float64).reshape(-1, 3)
    kept, angle, bits, mask, spatial = build_arrays(
        array, _OFFSETS, _CELL_ORDINAL, _BIN_CENTRES, BUILD_SETTINGS
    )
    xy = np.ascontiguousarray(array[kept, :2])
    distances, radial = geometry(xy, angle)
    template = SearchTemplate(
        xy=xy,
        angle=angle,
        bits=bits,
        mask=mask,
        spatial=spatial,
        distances=distances,
        radial=radial,
    )
    return template, kept


def build(minutiae: FloatArray) -> SearchTemplate:
    """Same result as ``_engine.cylinders.build``, many times faster."""
    return build_indexed(minutiae)[0]


def kernel_arguments() -> tuple[Any, Any, Any, Any]:
    """The constant arrays the compiled builder takes, for other compiled callers."""
    return _OFFSETS, _CELL_ORDINAL, _BIN_CENTRES, BUILD_SETTINGS
