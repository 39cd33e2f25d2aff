"""The MCC-LSH inverted index: per hash table, the cylinders in each bucket, and the vote.

Storage is compact NumPy: per table a CSR layout (``starts`` per bucket,
cylinder ids sorted by bucket, ``uint32``) plus the owner entry of every
cylinder. New cylinders first go to a small unsorted *delta* that a search
scans linearly; it is merged into the sorted tables (a linear merge per
table) when it grows past a threshold, so enrolment never re-sorts the
whole gallery.

The vote follows Cappelli et al.: per probe cylinder and gallery cylinder
the number of tables in which they collide (0..L) estimates how alike they
are; a gallery entry scores, per probe cylinder, its best-colliding cylinder,
summed over the probe's cylinders. Entries a filter excludes (other finger,
other sex, outside the birth years, removed) are skipped before anything is
counted. The votes are integers, so the result does not depend on the order
of the cylinders, which keeps sharded and unsharded galleries identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from openpesel.biometrics._engine.compiled import jit
from openpesel.biometrics.identification.growable import Growable
from openpesel.biometrics.identification.lsh import NO_CODE, HashFamily

MIN_DELTA = 20_000
"""Cylinders the delta may hold before a search merges it into the sorted tables."""


class LshIndex:
    def __init__(self, family: HashFamily, weights: npt.NDArray[np.int32] | None = None) -> None:
        self.family = family
        self.weights = (
            np.arange(family.tables + 1, dtype=np.int32) ** 2 if weights is None else weights
        )
        """Vote of a cylinder pair colliding in ``c`` tables: ``weights[c]`` (``c**2``)."""
        buckets = 1 << family.bucket_bits
        self._starts = np.zeros((family.tables, buckets + 1), dtype=np.uint32)
        self._ids = np.zeros((family.tables, 0), dtype=np.uint32)
        self._owner = Growable(np.uint32)
        self._delta_codes = Growable(np.uint32, (family.tables,))
        self._delta_ids = Growable(np.uint32)

    @property
    def cylinders(self) -> int:
        return len(self._owner)

    def add(self, entry: int, codes: npt.NDArray[np.uint32]) -> None:
        """Index one gallery entry's cylinders, given their ``(n, L)`` codes."""
        self.add_many(np.full(len(codes), entry, dtype=np.uint32), codes)

    def add_many(self, owners: npt.NDArray[np.uint32], codes: npt.NDArray[np.uint32]) -> None:
        ids = self._owner.extend(owners)
        self._delta_ids.extend(np.arange(ids.start, ids.stop, dtype=np.uint32))
        self._delta_codes.extend(codes)
        if len(self._delta_ids) > max(MIN_DELTA, self._ids.shape[1]):
            self.seal()

    def seal(self) -> None:
        """Merge the delta into the sorted tables."""
        if not len(self._delta_ids):
            return
        self._starts, self._ids = _merge(
            self._starts, self._ids, self._delta_codes.view, self._delta_ids.view
        )
        self._delta_codes.clear()
        self._delta_ids.clear()

    def vote(
        self, probe_codes: npt.NDArray[np.uint32], eligible: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.int32]:
        """Votes per entry (``len(eligible)`` of them) for one probe finger's cylinder codes."""
        if len(self._delta_ids) > MIN_DELTA:
            self.seal()
        scores = np.zeros(len(eligible), dtype=np.int32)
        _vote(
            probe_codes,
            self._starts,
            self._ids,
            self._delta_codes.view,
            self._delta_ids.view,
            self._owner.view,
            eligible,
            self.weights,
            scores,
        )
        return scores

    @property
    def nbytes(self) -> int:
        """Bytes filled, fixed bucket tables included."""
        return int(
            self._starts.nbytes
            + self._ids.nbytes
            + self._owner.nbytes
            + self._delta_codes.nbytes
            + self._delta_ids.nbytes
        )

    def bytes_per_cylinder(self) -> float:
        """Bytes that grow with the gallery (ids in every table and the owner)."""
        return 4.0 * (self.family.tables + 1)


@jit
def _merge(starts: Any, ids: Any, codes: Any, new_ids: Any) -> Any:
    tables, edges = starts.shape
    buckets = edges - 1
    added = np.zeros((tables, buckets + 1), dtype=np.int64)
    for r in range(codes.shape[0]):
        for t in range(tables):
            if codes[r, t] != NO_CODE:
                added[t, codes[r, t] + 1] += 1
    for t in range(tables):
        for b in range(buckets):
            added[t, b + 1] += added[t, b]
    total = 0
    for t in range(tables):
        total = max(total, starts[t, buckets] + added[t, buckets])
    merged_ids = np.zeros((tables, total), dtype=np.uint32)
    merged_starts = np.zeros((tables, edges), dtype=np.uint32)
    for t in range(tables):
        # A table whose codes were partly NO_CODE ends short of ``total``; its tail is unused.
        for b in range(buckets + 1):
            merged_starts[t, b] = starts[t, b] + added[t, b]
        fill = merged_starts[t].astype(np.int64)
        for b in range(buckets):
            lo, hi = starts[t, b], starts[t, b + 1]
            for k in range(lo, hi):
                merged_ids[t, fill[b]] = ids[t, k]
                fill[b] += 1
        for r in range(codes.shape[0]):
            code = codes[r, t]
            if code != NO_CODE:
                merged_ids[t, fill[code]] = new_ids[r]
                fill[code] += 1
    return merged_starts, merged_ids


@jit
def _vote(
    probe: Any,
    starts: Any,
    ids: Any,
    delta_codes: Any,
    delta_ids: Any,
    owner: Any,
    eligible: Any,
    weights: Any,
    scores: Any,
) -> None:
    counts = np.zeros(owner.shape[0], dtype=np.uint8)
    best = np.zeros(eligible.shape[0], dtype=np.uint8)
    touched = np.empty(1024, dtype=np.int64)
    entries = np.empty(1024, dtype=np.int64)
    tables = probe.shape[1]
    for q in range(probe.shape[0]):
        n_touched = 0
        for t in range(tables):
            code = probe[q, t]
            if code == NO_CODE:
                continue
            for k in range(starts[t, code], starts[t, code + 1]):
                g = ids[t, k]
                if not eligible[owner[g]]:
                    continue
                if counts[g] == 0:
                    if n_touched == touched.shape[0]:
                        touched = np.concatenate((touched, np.empty_like(touched)))
                    touched[n_touched] = g
                    n_touched += 1
                counts[g] += 1
            for r in range(delta_ids.shape[0]):
                if delta_codes[r, t] == code:
                    g = delta_ids[r]
                    if not eligible[owner[g]]:
                        continue
                    if counts[g] == 0:
                        if n_touched == touched.shape[0]:
                            touched = np.concatenate((touched, np.empty_like(touched)))
                        touched[n_touched] = g
                        n_touched += 1
                    counts[g] += 1
        n_entries = 0
        for s in range(n_touched):
            g = touched[s]
            e = owner[g]
            if best[e] == 0:
                if n_entries == entries.shape[0]:
                    entries = np.concatenate((entries, np.empty_like(entries)))
                entries[n_entries] = e
                n_entries += 1
            if counts[g] > best[e]:
                best[e] = counts[g]
            counts[g] = 0
        for s in range(n_entries):
            e = entries[s]
            scores[e] += weights[best[e]]
            best[e] = 0
