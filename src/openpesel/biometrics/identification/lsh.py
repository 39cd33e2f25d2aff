"""Locality-sensitive hashes of MCC cylinders: MinHash bands over the cylinder's set bits.

Cappelli, Ferrara and Maltoni (TPAMI 2011) index fingerprints by hashing each
MCC cylinder with bit-sampling hash functions and counting, per gallery
finger, how often its cylinders collide with the probe's. The bit cylinders
of this matcher are sparse (about a tenth of the cells are set), so a sample
of a few bits is all zeros most of the time and sends most cylinders into one
bucket. MinHash fits sparse bit sets: for a random ranking of the cell
positions, the lowest-ranked set bit of two cylinders is the same with
probability equal to their Jaccard similarity, which tracks MCC's own
local similarity. Each of ``L`` tables concatenates ``k`` such MinHashes
(collision probability ``J**k``), mixed into ``2**B`` buckets.

The rankings come from a fixed seed, so every process and every shard
hashes alike. Cylinders with no set bit in the indexed cells get no code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import cylinders
from openpesel.biometrics._engine.compiled import jit
from openpesel.biometrics.identification import cylinder_batch

NO_CODE = np.uint32(0xFFFFFFFF)
"""The code of a cylinder with nothing to hash; never stored, never looked up."""
_UNRANKED = 0xFFFF


@dataclass(frozen=True)
class HashFamily:
    ranks: npt.NDArray[np.uint16]
    """(L * k, CELLS) rank of each bit position per MinHash; ``0xFFFF`` for positions left out."""
    tables: int
    minhashes: int
    bucket_bits: int

    @classmethod
    def create(
        cls,
        *,
        tables: int = p.LSH_TABLES,
        minhashes: int = p.LSH_MINHASHES,
        bucket_bits: int = p.LSH_BUCKET_BITS,
        cell_radius: float = p.LSH_CELL_RADIUS,
        seed: int = p.LSH_SEED,
    ) -> HashFamily:
        allowed = np.repeat(_cell_distances() <= cell_radius + 1e-9, p.MCC_ND)
        rng = np.random.default_rng(seed)
        ranks = np.full((tables * minhashes, cylinders.CELLS), _UNRANKED, dtype=np.uint16)
        for row in ranks:
            row[allowed] = rng.permutation(int(allowed.sum())).astype(np.uint16)
        return cls(ranks=ranks, tables=tables, minhashes=minhashes, bucket_bits=bucket_bits)

    def codes(self, bits: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
        """(n, L) bucket codes of ``n`` cylinders' bit words."""
        return np.asarray(
            hash_cylinders(bits, self.ranks, self.tables, self.minhashes, self.bucket_bits)
        )

    def codes_of_fingers(
        self, columns: npt.NDArray[np.float32], offsets: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
        """Codes of every cylinder of many fingers, and the finger (0..) each belongs to."""
        cells, ordinal, centres, config = cylinder_batch.kernel_arguments()
        codes, owner = hash_fingers(
            columns,
            offsets,
            cells,
            ordinal,
            centres,
            config,
            self.ranks,
            self.tables,
            self.minhashes,
            self.bucket_bits,
        )
        return np.asarray(codes), np.asarray(owner)


def _cell_distances() -> npt.NDArray[np.float64]:
    """Distance of each stored (in-circle) cell centre from the minutia."""
    step = 2.0 * p.MCC_RADIUS / p.MCC_NS
    grid = (np.arange(1, p.MCC_NS + 1, dtype=np.float64) - (p.MCC_NS + 1) / 2.0) * step
    return np.hypot(grid[:, None], grid[None, :]).ravel()[cylinders.IN_CIRCLE]


@jit
def _mix(value: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: spreads the concatenated MinHashes over all bits."""
    z = value + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@jit
def hash_cylinders(bits: Any, ranks: Any, tables: int, minhashes: int, bucket_bits: int) -> Any:
    n, words = bits.shape
    out = np.empty((n, tables), dtype=np.uint32)
    positions = np.empty(words * 64, dtype=np.int64)
    shift = np.uint64(64 - bucket_bits)
    for c in range(n):
        count = 0
        for w in range(words):
            word = bits[c, w]
            b = 0
            while word != np.uint64(0):
                if word & np.uint64(1):
                    positions[count] = w * 64 + b
                    count += 1
                word >>= np.uint64(1)
                b += 1
        for t in range(tables):
            combined = np.uint64(0)
            empty = False
            for j in range(minhashes):
                row = t * minhashes + j
                best = 0xFFFF
                for q in range(count):
                    r = ranks[row, positions[q]]
                    if r < best:
                        best = r
                if best == 0xFFFF:
                    empty = True
                    break
                combined = combined * np.uint64(65536) + np.uint64(best)
            if empty:
                out[c, t] = np.uint32(0xFFFFFFFF)
            else:
                out[c, t] = np.uint32(_mix(combined + np.uint64(t)) >> shift)
    return out


_cylinder_bits = cylinder_batch.build_arrays


@jit
def hash_fingers(
    columns: Any,
    offsets: Any,
    cells: Any,
    ordinal: Any,
    bin_centres: Any,
    build_config: Any,
    ranks: Any,
    tables: int,
    minhashes: int,
    bucket_bits: int,
) -> Any:
    """Codes of every cylinder of many fingers (flat minutiae, ``offsets`` per finger) and,
    per cylinder, the finger it belongs to: enrolment in one compiled call."""
    fingers = offsets.shape[0] - 1
    codes = np.empty((columns.shape[0], tables), dtype=np.uint32)
    owner = np.empty(columns.shape[0], dtype=np.int64)
    filled = 0
    for f in range(fingers):
        lo, hi = offsets[f], offsets[f + 1]
        minutiae = np.empty((hi - lo, 3))
        for k in range(hi - lo):
            for c in range(3):
                minutiae[k, c] = columns[lo + k, c]
        bits = _cylinder_bits(minutiae, cells, ordinal, bin_centres, build_config)[2]
        part = hash_cylinders(bits, ranks, tables, minhashes, bucket_bits)
        for r in range(part.shape[0]):
            codes[filled + r] = part[r]
            owner[filled + r] = f
        filled += part.shape[0]
    return codes[:filled], owner[:filled]
