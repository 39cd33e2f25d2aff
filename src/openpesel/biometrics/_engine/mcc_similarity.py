"""Similarity of two search templates: MCC local similarities consolidated by LSS-R.

1. Local similarity of every cylinder pair (bit version): over the cells
   valid in both, ``1 - |a xor b| / (|a| + |b|)`` with Euclidean norms of the
   bit vectors, zero if the minutiae directions differ by more than 90
   degrees or too few cells are comparable.
2. Local Similarity Sort: the ``n_R = min(n_A, n_B)`` best pairs, each
   minutia used once.
3. Relaxation: each pair's similarity is pulled towards those of pairs that
   agree with it geometrically (distance, direction and radial angle),
   ``n_rel`` times, so isolated look-alike pairs lose weight.
4. The score is the mean relaxed similarity of the ``n_P`` pairs with the
   highest efficiency (relaxed over initial similarity).

Compiled with numba (one call is a few tens of microseconds); the Python
fallback gives the same numbers, slowly, where numba is missing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from openpesel.biometrics._engine import local_similarity
from openpesel.biometrics._engine.compiled import jit
from openpesel.biometrics._engine.cylinders import SearchTemplate
from openpesel.biometrics._engine.lss_relaxation import consolidate
from openpesel.biometrics._engine.mcc_settings import (
    MAX_DIRECTION,
    MAX_NP,
    MIN_CELLS,
    MIN_NP,
    MU_P,
    TAU_P,
    settings,
)
from openpesel.biometrics.transparency import current


@jit
def _similarity(
    a_bits: Any,
    a_mask: Any,
    a_spatial: Any,
    a_angle: Any,
    a_dist: Any,
    a_radial: Any,
    b_bits: Any,
    b_mask: Any,
    b_spatial: Any,
    b_angle: Any,
    b_dist: Any,
    b_radial: Any,
    config: Any,
) -> float:
    """Both stages in one compiled call: the dispatch overhead is a tenth of the work."""
    gamma = local_similarity.compute(
        a_bits,
        a_mask,
        a_spatial,
        a_angle,
        b_bits,
        b_mask,
        b_spatial,
        b_angle,
        config[MAX_DIRECTION],
        config[MIN_CELLS],
    )
    n_p = pair_count(min(a_bits.shape[0], b_bits.shape[0]), config)
    return consolidate(
        a_angle,
        a_dist,
        a_radial,
        b_angle,
        b_dist,
        b_radial,
        gamma,
        n_p,
        config,
    )


@jit
def pair_count(smaller: int, config: Any) -> int:
    """n_P: how many pairs the score averages, by Z(min(n_A, n_B); mu_P, tau_P)."""
    z = 1.0 / (1.0 + math.exp(-config[TAU_P] * (smaller - config[MU_P])))
    count: int = int(config[MIN_NP]) + math.floor(z * (config[MAX_NP] - config[MIN_NP]) + 0.5)
    return count


def similarity(
    a: SearchTemplate, b: SearchTemplate, config: npt.NDArray[np.float64] | None = None
) -> float:
    """MCC LSS-R similarity in [0, 1]; 0 when either template has no valid cylinder.

    ``config`` defaults to :func:`settings` as read from parameters.py at import; an
    experiment can pass its own.
    """
    if a.count == 0 or b.count == 0:
        return 0.0
    if config is None:
        config = _SETTINGS
    sink = current()
    if sink.accepts("local-similarity"):
        sink.take(
            "local-similarity",
            local_similarity.compute(
                a.bits,
                a.mask,
                a.spatial,
                a.angle,
                b.bits,
                b.mask,
                b.spatial,
                b.angle,
                config[MAX_DIRECTION],
                config[MIN_CELLS],
            ),
        )
    score = _similarity(
        a.bits,
        a.mask,
        a.spatial,
        a.angle,
        a.distances,
        a.radial,
        b.bits,
        b.mask,
        b.spatial,
        b.angle,
        b.distances,
        b.radial,
        config,
    )
    return float(min(max(score, 0.0), 1.0))


_SETTINGS = settings()
