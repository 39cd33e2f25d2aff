"""MCC settings: the tunables of parameters.py as one array for the compiled matcher.

They reach the compiled code as an argument, never as globals: numba bakes globals into
its on-disk cache, which does not notice an edit of parameters.py.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p

(MAX_DIRECTION, MIN_CELLS, MU_P, TAU_P, MIN_NP, MAX_NP, ITERATIONS, WEIGHT) = range(8)
(MU1, TAU1, MU2, TAU2, MU3, TAU3, D1_CUTOFF, D23_CUTOFF) = range(8, 16)


def settings() -> npt.NDArray[np.float64]:
    """The MCC parameters in the order of the index constants above."""
    min_cells = int(p.MCC_MIN_MATCHABLE * p.MCC_NS * p.MCC_NS * math.pi / 4.0)
    (mu1, mu2, mu3), (tau1, tau2, tau3) = p.MCC_MU_RHO, p.MCC_TAU_RHO
    return np.array(
        [
            p.MCC_MAX_DIRECTION_DIFF,
            min_cells,  # comparable spatial cells, relative to the cylinder's circle
            p.MCC_MU_P,
            p.MCC_TAU_P,
            p.MCC_MIN_NP,
            p.MCC_MAX_NP,
            p.MCC_RELAXATION_ITERATIONS,
            p.MCC_RELAXATION_WEIGHT,
            mu1,
            tau1,
            mu2,
            tau2,
            mu3,
            tau3,
            mu1 + 12.0 / -tau1,  # beyond these differences a compatibility factor is below
            mu2 + 12.0 / -tau2,  # e^-12 and is taken as zero
        ],
        dtype=np.float64,
    )
