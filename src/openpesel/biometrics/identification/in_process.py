"""The default gallery: everything in this process, in compact NumPy columns.

Two-stage search. Stage 1, the MCC-LSH index (``lsh_index``) votes for
gallery entries; votes are summed per subject over the probe's fingers and
the best ``shortlist_fraction`` of the subjects (at least ``min_shortlist``)
go on. Stage 2, the MCC matcher scores every finger of those subjects that a
probe finger may be compared with, and the scores are fused (``candidates``).
Demographic filters and removals act before stage 1 counts anything.

A subject's fingers are *entries*; an entry removed or replaced is only
marked dead (its rows stay until the process ends), so ``remove`` is
immediate and cheap.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine.cylinders import SearchTemplate
from openpesel.biometrics.identification import cylinder_batch, rescoring
from openpesel.biometrics.identification.candidates import Candidate, SubjectInfo, ranked
from openpesel.biometrics.identification.growable import Growable
from openpesel.biometrics.identification.lsh import HashFamily
from openpesel.biometrics.identification.lsh_index import LshIndex
from openpesel.biometrics.identification.minutiae_store import MinutiaeStore
from openpesel.biometrics.template import FingerprintTemplate

SEXES = {"F": 1, "M": 2}
"""Register sex codes (K kobieta, M mężczyzna); 0 in the column means unknown."""
NO_YEAR = -1


@dataclass(frozen=True)
class Probe:
    """One probe finger prepared for both stages."""

    finger: int
    search: SearchTemplate
    codes: npt.NDArray[np.uint32]


Shortlists = dict[str, list[tuple[int, str]]]
"""Stage 1's rankings by name: "sum", and "finger N" for each finger of a multi-finger probe."""


@dataclass(frozen=True)
class Filters:
    sex: int
    years: tuple[int, int] | None


class InProcessGallery:
    def __init__(
        self,
        *,
        shortlist_fraction: float = p.SHORTLIST_FRACTION,
        min_shortlist: int = p.MIN_SHORTLIST,
        workers: int = 1,
        family: HashFamily | None = None,
    ) -> None:
        self.shortlist_fraction = shortlist_fraction
        self.min_shortlist = min_shortlist
        self.workers = workers
        self.family = family or HashFamily.create()
        self._index = LshIndex(self.family)
        self._store = MinutiaeStore()
        self._slots: dict[str, int] = {}
        self._keys: list[str] = []
        self._subject_sex = Growable(np.int8)
        self._subject_year = Growable(np.int16)
        self._subject_alive = Growable(np.bool_)
        self._subject_entries: list[list[int]] = []
        self._entry_subject = Growable(np.int32)
        self._entry_finger = Growable(np.uint8)
        self._entry_alive = Growable(np.bool_)
        self._lock = threading.RLock()
        """Enrolment and stage 1 are serialised; stage 2 runs outside it."""

    # --- enrolment -------------------------------------------------------------------

    def add(
        self,
        key: str,
        fingers: Mapping[int, FingerprintTemplate],
        info: SubjectInfo = SubjectInfo(),
    ) -> None:
        self.add_minutiae(key, {f: t.to_array() for f, t in fingers.items()}, info)

    def add_minutiae(
        self,
        key: str,
        fingers: Mapping[int, npt.NDArray[np.float64]],
        info: SubjectInfo = SubjectInfo(),
    ) -> None:
        """As :meth:`add`, from ``(n, 3)`` arrays ``x, y, angle`` at 500 dpi."""
        self.add_many([(key, fingers, info)])

    def add_many(
        self, subjects: Sequence[tuple[str, Mapping[int, npt.NDArray[np.float64]], SubjectInfo]]
    ) -> None:
        """Enrol many subjects from minutiae arrays at once (bulk loads): the cylinders and
        their hash codes are computed in compiled batches on ``workers`` threads."""
        with self._lock:
            self._add_many(subjects)

    def _add_many(
        self, subjects: Sequence[tuple[str, Mapping[int, npt.NDArray[np.float64]], SubjectInfo]]
    ) -> None:
        for _, fingers, info in subjects:
            for finger in fingers:
                _check_finger(finger)
            _sex_code(info.sex)
        arrays: list[npt.NDArray[np.float64]] = []
        for key, fingers, info in subjects:
            self._remove(key)
            slot = len(self._keys)
            self._keys.append(key)
            self._slots[key] = slot
            self._subject_sex.extend([_sex_code(info.sex)])
            self._subject_year.extend([NO_YEAR if info.birth_year is None else info.birth_year])
            self._subject_alive.extend([True])
            entries: list[int] = []
            for finger, minutiae in sorted(fingers.items()):
                array = np.asarray(minutiae, dtype=np.float64).reshape(-1, 3)
                entries.append(self._store.append(array))
                self._entry_subject.extend([slot])
                self._entry_finger.extend([finger])
                self._entry_alive.extend([True])
                arrays.append(array)
            self._subject_entries.append(entries)
        if not arrays:
            return
        # Hash what stage 2 will rebuild: the stored (float32) minutiae.
        first = len(self._store) - len(arrays)
        counts = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        columns = self._store.columns[self._store.offsets[first] :]
        chunks = _chunks(len(arrays), self.workers)

        def run(bounds: tuple[int, int]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
            lo, hi = bounds
            part = columns[offsets[lo] : offsets[hi]]
            codes, owner = self.family.codes_of_fingers(part, offsets[lo : hi + 1] - offsets[lo])
            return codes, owner + lo

        if len(chunks) > 1:
            with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
                results = list(pool.map(run, chunks))
        else:
            results = [run(chunks[0])]
        for codes, owner in results:
            self._index.add_many((owner + first).astype(np.uint32), codes)

    def remove(self, key: str) -> bool:
        with self._lock:
            return self._remove(key)

    def _remove(self, key: str) -> bool:
        slot = self._slots.pop(key, None)
        if slot is None:
            return False
        self._subject_alive.view[slot] = False
        for entry in self._subject_entries[slot]:
            self._entry_alive.view[entry] = False
        return True

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, key: object) -> bool:
        return key in self._slots

    # --- search ----------------------------------------------------------------------

    def search(
        self,
        probe: Mapping[int, FingerprintTemplate],
        k: int = 10,
        *,
        sex: str | None = None,
        birth_years: tuple[int, int] | None = None,
    ) -> list[Candidate]:
        return self.search_minutiae(
            {f: t.to_array() for f, t in probe.items()}, k, sex=sex, birth_years=birth_years
        )

    def search_minutiae(
        self,
        probe: Mapping[int, npt.NDArray[np.float64]],
        k: int = 10,
        *,
        sex: str | None = None,
        birth_years: tuple[int, int] | None = None,
    ) -> list[Candidate]:
        """As :meth:`search`, from ``(n, 3)`` arrays."""
        if k < 1:
            raise ValueError("k must be at least 1.")
        prepared = self.prepare(probe)
        filters = make_filters(sex, birth_years)
        shortlists = self.shortlist(prepared, filters, self.shortlist_size(len(self)))
        return ranked(self.rescore(prepared, union(shortlists), filters), k)

    def shortlist_size(self, subjects: int) -> int:
        return max(self.min_shortlist, math.ceil(self.shortlist_fraction * subjects))

    def prepare(self, probe: Mapping[int, npt.NDArray[np.float64]]) -> list[Probe]:
        prepared = []
        for finger, minutiae in sorted(probe.items()):
            _check_finger(finger)
            search = cylinder_batch.build(np.asarray(minutiae, dtype=np.float64).reshape(-1, 3))
            prepared.append(Probe(finger, search, self.family.codes(search.bits)))
        return prepared

    def shortlist(self, probe: list[Probe], filters: Filters, depth: int) -> Shortlists:
        """Stage 1: per ranking (the votes summed over the probe's fingers, and each finger's
        own votes), the ``depth`` subjects with the most votes as ``(votes, key)``, most
        first, ties by key. Stage 2 takes the union: a finger that finds its mate alone
        still brings it in when the other fingers' votes are noise."""
        with self._lock:
            return self._shortlist(probe, filters, depth)

    def _shortlist(self, probe: list[Probe], filters: Filters, depth: int) -> Shortlists:
        subjects = self._eligible_subjects(filters)
        totals = np.zeros(len(self._keys), dtype=np.int64)
        owners = self._entry_subject.view
        rankings: Shortlists = {}
        for finger in probe:
            votes = self._index.vote(finger.codes, self._eligible_entries(subjects, finger.finger))
            voted = np.flatnonzero(votes)
            best = np.zeros(len(self._keys), dtype=np.int64)
            np.maximum.at(best, owners[voted], votes[voted])
            totals += best
            if len(probe) > 1:
                rankings[f"finger {finger.finger}"] = self._top(best, depth)
        rankings["sum"] = self._top(totals, depth)
        return rankings

    def _top(self, votes: npt.NDArray[np.int64], depth: int) -> list[tuple[int, str]]:
        positive = np.flatnonzero(votes > 0)
        if len(positive) > depth:
            cut = np.partition(votes[positive], len(positive) - depth)[len(positive) - depth]
            positive = positive[votes[positive] >= cut]
        chosen = sorted(((int(votes[s]), self._keys[s]) for s in positive), key=_most_first)
        return chosen[:depth]

    def rescore(
        self, probe: list[Probe], keys: list[str], filters: Filters
    ) -> list[tuple[str, dict[int, float]]]:
        """Stage 2: per subject, the matcher's score for each probe finger it can be compared on."""
        with self._lock:  # a consistent view of who is enrolled; the scoring needs no lock
            slots = [self._slots[key] for key in keys if key in self._slots]
            subjects = self._eligible_subjects(filters)
            slots = [s for s in slots if subjects[s]]
        scores: dict[int, dict[int, float]] = {s: {} for s in slots}
        fingers = self._entry_finger.view
        for finger in probe:
            pairs = [
                (s, e)
                for s in slots
                for e in self._subject_entries[s]
                if finger.finger == 0 or fingers[e] in (0, finger.finger)
            ]
            entries = np.array([e for _, e in pairs], dtype=np.int64)
            values = rescoring.score(finger.search, entries, self._store, workers=self.workers)
            for (s, _), value in zip(pairs, values, strict=True):
                known = scores[s].get(finger.finger)
                if known is None or value > known:
                    scores[s][finger.finger] = float(value)
        return [(self._keys[s], found) for s, found in scores.items() if found]

    def _eligible_subjects(self, filters: Filters) -> npt.NDArray[np.bool_]:
        ok = self._subject_alive.view.copy()
        if filters.sex:
            sexes = self._subject_sex.view
            ok &= (sexes == 0) | (sexes == filters.sex)
        if filters.years is not None:
            years = self._subject_year.view
            low, high = filters.years
            ok &= (years == NO_YEAR) | ((years >= low) & (years <= high))
        return ok

    def _eligible_entries(
        self, subjects: npt.NDArray[np.bool_], finger: int
    ) -> npt.NDArray[np.bool_]:
        ok: npt.NDArray[np.bool_] = self._entry_alive.view & subjects[self._entry_subject.view]
        if finger != 0:
            fingers = self._entry_finger.view
            ok &= (fingers == 0) | (fingers == finger)
        return ok

    # --- accounting ------------------------------------------------------------------

    @property
    def entries(self) -> int:
        return len(self._entry_finger)

    def memory(self) -> dict[str, int]:
        """Bytes filled, by part (growing columns keep up to as much again spare)."""
        return {
            "index": self._index.nbytes,
            "minutiae": self._store.nbytes,
            "columns": sum(
                g.nbytes
                for g in (
                    self._subject_sex,
                    self._subject_year,
                    self._subject_alive,
                    self._entry_subject,
                    self._entry_finger,
                    self._entry_alive,
                )
            ),
        }

    def seal(self) -> None:
        """Merge recent enrolments into the sorted index (a search does it when needed)."""
        with self._lock:
            self._index.seal()


def union(shortlists: Shortlists) -> list[str]:
    """Every key on any of the rankings, each once, in a fixed order."""
    return sorted({key for ranking in shortlists.values() for _, key in ranking})


def make_filters(sex: str | None, birth_years: tuple[int, int] | None) -> Filters:
    if birth_years is not None:
        low, high = birth_years
        if low > high:
            raise ValueError(f"The birth-year range {low}-{high} is empty.")
    return Filters(_sex_code(sex), birth_years)


def _sex_code(sex: str | None) -> int:
    if sex is None:
        return 0
    try:
        return SEXES[sex]
    except KeyError:
        raise ValueError(f"Sex must be 'F' or 'M', not {sex!r}.") from None


def _check_finger(finger: int) -> None:
    if not 0 <= int(finger) <= 10:
        raise ValueError(f"Finger position {finger} is not an ANSI/NIST code 0-10.")


def _chunks(count: int, parts: int) -> list[tuple[int, int]]:
    size = max(1, math.ceil(count / max(1, parts)))
    return [(lo, min(count, lo + size)) for lo in range(0, count, size)]


def _most_first(item: tuple[int, str]) -> tuple[int, str]:
    return (-item[0], item[1])
