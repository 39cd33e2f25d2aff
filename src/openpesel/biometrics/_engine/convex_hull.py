"""Convex hull of the minutiae and a point-in-dilated-hull test, for MCC cell validity.

MCC treats a cylinder cell as valid only if it lies within ``omega`` pixels of
the convex hull of the template's minutiae: outside, the absence of
neighbours says nothing (the finger simply was not there).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def hull(points: FloatArray) -> FloatArray:
    """Vertices of the convex hull in counter-clockwise order (Andrew's monotone chain)."""
    unique = np.unique(points, axis=0)
    if len(unique) < 3:
        return unique
    order = np.lexsort((unique[:, 1], unique[:, 0]))
    pts = [tuple(v) for v in unique[order]]

    def chain(seq: list[tuple[float, float]]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for q in seq:
            while len(out) >= 2 and _cross(out[-2], out[-1], q) <= 0:
                out.pop()
            out.append(q)
        return out

    lower, upper = chain(pts), chain(pts[::-1])
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def within(vertices: FloatArray, query: FloatArray, offset: float) -> npt.NDArray[np.bool_]:
    """True where ``query`` points lie inside the hull or at most ``offset`` from it."""
    if len(vertices) == 0:
        return np.zeros(len(query), dtype=bool)
    start = vertices
    end = np.roll(vertices, -1, axis=0)
    edge = end - start  # (e, 2)
    rel = query[:, None, :] - start[None, :, :]  # (q, e, 2)
    length2 = np.maximum((edge**2).sum(axis=1), 1e-12)
    t = np.clip((rel * edge[None]).sum(axis=2) / length2[None], 0.0, 1.0)
    nearest = start[None] + t[..., None] * edge[None]
    distance = np.sqrt(((query[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)
    if len(vertices) < 3:
        return np.asarray(distance <= offset)
    cross = edge[None, :, 0] * rel[..., 1] - edge[None, :, 1] * rel[..., 0]
    inside = (cross >= 0).all(axis=1)
    return np.asarray(inside | (distance <= offset))


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
