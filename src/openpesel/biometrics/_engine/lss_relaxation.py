"""Global score from local similarities: Local Similarity Sort with Relaxation (LSS-R).

The ``min(n_A, n_B)`` best cylinder pairs (one-to-one) are relaxed: each pair's
similarity is pulled towards those of the pairs that agree with it in distance,
direction difference and radial angle, ``n_rel`` times, so isolated look-alike
pairs lose weight. The score is the mean relaxed similarity of the ``n_P`` pairs
whose similarity held up best (efficiency = relaxed / initial).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from openpesel.biometrics._engine.compiled import jit, sigmoid, wrap, wrap_once
from openpesel.biometrics._engine.mcc_settings import (
    D1_CUTOFF,
    D23_CUTOFF,
    ITERATIONS,
    MU1,
    MU2,
    MU3,
    TAU1,
    TAU2,
    TAU3,
    WEIGHT,
)

SORT_BUCKETS = 1024


@jit
def select_pairs(gamma: Any) -> Any:
    """Local similarity sort: the best pairs, best first, each minutia used at most once."""
    na, nb = gamma.shape
    n_r = min(na, nb)
    # A counting sort on the similarity quantised to 1/1024: linear time, and ties within
    # a bucket (far below the extractor's noise) are taken in raster order.
    flat = gamma.ravel()
    buckets = np.minimum((flat * SORT_BUCKETS).astype(np.int64), SORT_BUCKETS - 1)
    starts = np.zeros(SORT_BUCKETS + 1, dtype=np.int64)
    for index in range(flat.size):
        if flat[index] > 0.0:
            starts[SORT_BUCKETS - buckets[index]] += 1
    for b in range(SORT_BUCKETS):
        starts[b + 1] += starts[b]
    order = np.empty(starts[SORT_BUCKETS], dtype=np.int64)
    fill = starts.copy()
    for index in range(flat.size):
        if flat[index] > 0.0:
            slot = SORT_BUCKETS - 1 - buckets[index]
            order[fill[slot]] = index
            fill[slot] += 1
    used_a = np.zeros(na, dtype=np.bool_)
    used_b = np.zeros(nb, dtype=np.bool_)
    pairs = np.empty((n_r, 2), dtype=np.int64)
    count = 0
    for index in order:
        i = index // nb
        j = index % nb
        if used_a[i] or used_b[j]:
            continue
        used_a[i] = True
        used_b[j] = True
        pairs[count, 0] = i
        pairs[count, 1] = j
        count += 1
        if count == n_r:
            break
    return pairs[:count]


@jit
def consolidate(
    a_angle: Any,
    a_dist: Any,
    a_radial: Any,
    b_angle: Any,
    b_dist: Any,
    b_radial: Any,
    gamma: Any,
    n_p: int,
    config: Any,
) -> float:
    _, current, best = relax(
        a_angle, a_dist, a_radial, b_angle, b_dist, b_radial, gamma, n_p, config
    )
    total = 0.0
    for t in best:
        total += current[t]
    return total / n_p


@jit
def relax(
    a_angle: Any,
    a_dist: Any,
    a_radial: Any,
    b_angle: Any,
    b_dist: Any,
    b_radial: Any,
    gamma: Any,
    n_p: int,
    config: Any,
) -> Any:
    """The LSS pairs, their relaxed similarities, and which of them (at most ``n_p``, most
    efficient first) make the score: the pairs an examiner is shown."""
    pairs = select_pairs(gamma)
    count = pairs.shape[0]
    if count == 0:
        return pairs, np.zeros(0), np.zeros(0, dtype=np.int64)
    # Compatibility of every two pairs; the distance term is checked first because it
    # rules most pairs out, sparing the other two exponentials.
    rho = np.zeros((count, count))
    for t in range(count):
        ia, ib = pairs[t, 0], pairs[t, 1]
        for k in range(t + 1, count):
            ka, kb = pairs[k, 0], pairs[k, 1]
            d1 = abs(a_dist[ia, ka] - b_dist[ib, kb])
            if d1 > config[D1_CUTOFF]:
                continue
            d2 = abs(wrap(a_angle[ia] - a_angle[ka] - b_angle[ib] + b_angle[kb]))
            if d2 > config[D23_CUTOFF]:
                continue
            d3 = abs(wrap_once(a_radial[ia, ka] - b_radial[ib, kb]))
            if d3 > config[D23_CUTOFF]:
                continue
            value = (
                sigmoid(d1, config[MU1], config[TAU1])
                * sigmoid(d2, config[MU2], config[TAU2])
                * sigmoid(d3, config[MU3], config[TAU3])
            )
            rho[t, k] = value
            rho[k, t] = value
    initial = np.empty(count)
    for t in range(count):
        initial[t] = gamma[pairs[t, 0], pairs[t, 1]]
    current = initial.copy()
    if count > 1:
        weight = config[WEIGHT]
        spread = (1.0 - weight) / (count - 1)
        following = np.empty(count)
        for _ in range(int(config[ITERATIONS])):
            for t in range(count):  # a plain loop: BLAS dispatch costs more at this size
                support = 0.0
                for k in range(count):
                    support += rho[t, k] * current[k]
                following[t] = weight * current[t] + spread * support
            current, following = following, current
    efficiency = current / initial
    take = min(n_p, count)
    best = np.argsort(-efficiency)[:take]
    return pairs, current, best
