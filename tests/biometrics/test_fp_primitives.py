"""Small units under the pipeline: hull, ridge blocks, cylinders."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openpesel.biometrics._engine import convex_hull, cylinders, ridge_blocks


def test_hull_of_a_square_with_inner_points() -> None:
    points = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [5, 5], [2, 7]], dtype=float)
    vertices = convex_hull.hull(points)
    assert sorted(map(tuple, vertices.tolist())) == [(0, 0), (0, 10), (10, 0), (10, 10)]
    query = np.array([[5, 5], [12, 5], [16, 5], [-3, -3]], dtype=float)
    assert convex_hull.within(vertices, query, 3.0).tolist() == [True, True, False, False]


@pytest.mark.parametrize("period", [6.0, 9.0, 12.0])
@pytest.mark.parametrize("angle", [0.0, 0.7, 2.0])
def test_ridge_period_and_orientation_of_a_pure_pattern(period: float, angle: float) -> None:
    ys, xs = np.mgrid[0:256, 0:256].astype(float)
    across = -xs * math.sin(angle) + ys * math.cos(angle)
    pixels = (128 + 100 * np.cos(2 * math.pi * across / period)).astype(np.uint8)
    blocks = ridge_blocks.compute(pixels)
    assert abs(float(np.median(blocks.period)) - period) < period * 0.15
    difference = abs(
        (float(np.median(blocks.orientation)) - angle + math.pi / 2) % math.pi - math.pi / 2
    )
    assert difference < 0.1
    assert blocks.coherence.mean() > 0.9 and blocks.ridge_block_share() > 0.9


def test_cylinders_drop_isolated_minutiae_and_keep_crowded_ones() -> None:
    rng = np.random.default_rng(3)
    crowd = np.column_stack(
        [rng.uniform(100, 200, 30), rng.uniform(100, 200, 30), rng.uniform(0, 6, 30)]
    )
    lonely = np.array([[900.0, 900.0, 1.0]])
    search = cylinders.build(np.vstack([crowd, lonely]))
    assert 900.0 not in search.xy[:, 0]  # no neighbours: its cylinder is invalid
    assert search.count >= 20  # most of the crowd has valid cylinders
    assert search.bits.shape == (search.count, cylinders.WORDS)
    assert (search.bits & ~search.mask).sum() == 0  # bits only where cells are valid
    assert cylinders.build(np.zeros((0, 3))).count == 0
