"""The minutia pairs behind a score, for the examiner's side-by-side view.

The matcher's score is the mean relaxed similarity of the ``n_P`` most
efficient cylinder pairs (LSS-R); those are the pairs returned here, most
efficient first, with each pair's local (cylinder) similarity. Indices refer
to the templates' own minutiae order, not to the cylinders that survived.
"""

from __future__ import annotations

from openpesel.biometrics._engine import local_similarity, lss_relaxation, mcc_similarity
from openpesel.biometrics._engine.mcc_settings import MAX_DIRECTION, MIN_CELLS, settings
from openpesel.biometrics.identification import cylinder_batch
from openpesel.biometrics.template import FingerprintTemplate

_CONFIG = settings()


def paired_minutiae(
    probe: FingerprintTemplate, candidate: FingerprintTemplate
) -> list[tuple[int, int, float]]:
    """``(probe minutia index, candidate minutia index, local similarity 0-1)`` per pair."""
    a, a_index = cylinder_batch.build_indexed(probe.to_array())
    b, b_index = cylinder_batch.build_indexed(candidate.to_array())
    if a.count == 0 or b.count == 0:
        return []
    gamma = local_similarity.compute(
        a.bits,
        a.mask,
        a.spatial,
        a.angle,
        b.bits,
        b.mask,
        b.spatial,
        b.angle,
        _CONFIG[MAX_DIRECTION],
        _CONFIG[MIN_CELLS],
    )
    n_p = mcc_similarity.pair_count(min(a.count, b.count), _CONFIG)
    pairs, _, best = lss_relaxation.relax(
        a.angle, a.distances, a.radial, b.angle, b.distances, b.radial, gamma, n_p, _CONFIG
    )
    return [
        (int(a_index[i]), int(b_index[j]), float(gamma[i, j])) for i, j in (pairs[t] for t in best)
    ]
