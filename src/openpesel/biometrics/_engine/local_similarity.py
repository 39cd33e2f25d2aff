"""Local similarities: how alike every two cylinders of two search templates are (bit MCC).

Over the cells valid in both cylinders, ``1 - |a xor b| / (|a| + |b|)`` with
Euclidean norms of the bit vectors; zero when the minutiae directions differ by
more than ``max_direction`` or too few cells are comparable.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from openpesel.biometrics._engine.compiled import jit, popcount, wrap_once


@jit
def compute(
    a_bits: Any,
    a_mask: Any,
    a_spatial: Any,
    a_angle: Any,
    b_bits: Any,
    b_mask: Any,
    b_spatial: Any,
    b_angle: Any,
    max_direction: float,
    min_cells: float,
) -> Any:
    na, nb, words = a_bits.shape[0], b_bits.shape[0], a_bits.shape[1]
    gamma = np.zeros((na, nb))
    for i in range(na):
        for j in range(nb):
            if abs(wrap_once(a_angle[i] - b_angle[j])) > max_direction:
                continue
            common = 0
            for w in range(a_spatial.shape[1]):
                common += popcount(a_spatial[i, w] & b_spatial[j, w])
            if common < min_cells:
                continue
            ca = 0
            cb = 0
            diff = 0
            for w in range(words):
                ma = a_mask[i, w]
                mb = b_mask[j, w]
                x = a_bits[i, w] & mb
                y = b_bits[j, w] & ma
                ca += popcount(x)
                cb += popcount(y)
                diff += popcount(x ^ y)
            denominator = math.sqrt(ca) + math.sqrt(cb)
            if denominator > 0.0:
                gamma[i, j] = 1.0 - math.sqrt(diff) / denominator
    return gamma
