"""Stage 2: the MCC matcher re-scores the gallery entries the index picked.

One compiled call per batch rebuilds each entry's cylinders from its stored
minutiae and compares them with the probe's, so no Python runs per
comparison. Batches run on a few threads; the compiled code releases the GIL.
Scores are on the matcher's 0-1000 scale and equal ``Matcher.score`` up to
the float32 rounding of the stored minutiae.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine.compiled import jit
from openpesel.biometrics._engine.cylinders import SearchTemplate
from openpesel.biometrics._engine.mcc_settings import settings
from openpesel.biometrics._engine.mcc_similarity import _similarity
from openpesel.biometrics.identification import cylinder_batch
from openpesel.biometrics.identification.minutiae_store import MinutiaeStore

_CONFIG = settings()


@jit
def _score_entries(
    probe_bits: Any,
    probe_mask: Any,
    probe_spatial: Any,
    probe_angle: Any,
    probe_dist: Any,
    probe_radial: Any,
    entries: Any,
    columns: Any,
    offsets: Any,
    offsets_cells: Any,
    ordinal: Any,
    bin_centres: Any,
    build_config: Any,
    config: Any,
    scale: float,
) -> Any:
    out = np.zeros(entries.shape[0])
    if probe_bits.shape[0] == 0:
        return out
    for r in range(entries.shape[0]):
        e = entries[r]
        lo, hi = offsets[e], offsets[e + 1]
        minutiae = np.empty((hi - lo, 3))
        for k in range(hi - lo):
            for c in range(3):
                minutiae[k, c] = columns[lo + k, c]
        kept, angle, bits, mask, spatial = cylinder_batch.build_arrays(
            minutiae, offsets_cells, ordinal, bin_centres, build_config
        )
        if kept.shape[0] == 0:
            continue
        xy = np.empty((kept.shape[0], 2))
        for k in range(kept.shape[0]):
            xy[k, 0] = minutiae[kept[k], 0]
            xy[k, 1] = minutiae[kept[k], 1]
        distances, radial = cylinder_batch.geometry(xy, angle)
        value = _similarity(
            probe_bits,
            probe_mask,
            probe_spatial,
            probe_angle,
            probe_dist,
            probe_radial,
            bits,
            mask,
            spatial,
            angle,
            distances,
            radial,
            config,
        )
        out[r] = scale * min(max(value, 0.0), 1.0)
    return out


def score(
    probe: SearchTemplate,
    entries: npt.NDArray[np.int64],
    store: MinutiaeStore,
    *,
    workers: int = 1,
) -> npt.NDArray[np.float64]:
    """Matcher scores (0-1000) of ``probe`` against each listed entry of ``store``."""
    if len(entries) == 0:
        return np.zeros(0)
    cells, ordinal, centres, build_config = cylinder_batch.kernel_arguments()
    columns, offsets = store.columns, store.offsets

    def run(chunk: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.asarray(
            _score_entries(
                probe.bits,
                probe.mask,
                probe.spatial,
                probe.angle,
                probe.distances,
                probe.radial,
                chunk,
                columns,
                offsets,
                cells,
                ordinal,
                centres,
                build_config,
                _CONFIG,
                p.SCORE_SCALE,
            )
        )

    if workers <= 1 or len(entries) < 64:
        return run(entries)
    size = math.ceil(len(entries) / workers)
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return np.concatenate(list(pool.map(run, chunks)))
