"""The same gallery sharded across Ray actors, for galleries beyond one process.

Each actor holds an :class:`InProcessGallery` with the subjects whose key
hashes to it (CRC-32, so the split is the same in every process). A search
runs stage 1 on every shard to the full shortlist depth, merges the votes
and cuts the global shortlist, then asks each shard to re-score its part of
it; the index's votes are integers and ties are broken by key, so one shard
and several give the same candidate list. Ray is imported, and started
locally unless an address is given, only when this class is constructed.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics.identification.candidates import Candidate, SubjectInfo, ranked
from openpesel.biometrics.identification.in_process import (
    InProcessGallery,
    Shortlists,
    _most_first,
    make_filters,
    union,
)
from openpesel.biometrics.template import FingerprintTemplate

Minutiae = dict[int, npt.NDArray[np.float64]]


class _Shard:
    """What runs inside one actor (a plain class, wrapped by ``ray.remote`` on demand)."""

    def __init__(self, shortlist_fraction: float, min_shortlist: int, workers: int) -> None:
        self.gallery = InProcessGallery(
            shortlist_fraction=shortlist_fraction, min_shortlist=min_shortlist, workers=workers
        )

    def add_many(self, subjects: list[tuple[str, Minutiae, SubjectInfo]]) -> int:
        self.gallery.add_many(subjects)
        return len(subjects)

    def remove(self, key: str) -> bool:
        return self.gallery.remove(key)

    def shortlist(
        self, probe: Minutiae, sex: str | None, years: tuple[int, int] | None, depth: int
    ) -> Shortlists:
        prepared = self.gallery.prepare(probe)
        return self.gallery.shortlist(prepared, make_filters(sex, years), depth)

    def rescore(
        self, probe: Minutiae, keys: list[str], sex: str | None, years: tuple[int, int] | None
    ) -> list[tuple[str, dict[int, float]]]:
        prepared = self.gallery.prepare(probe)
        return self.gallery.rescore(prepared, keys, make_filters(sex, years))

    def memory(self) -> dict[str, int]:
        return self.gallery.memory()


class RayGallery:
    def __init__(
        self,
        shards: int = 2,
        *,
        address: str | None = None,
        num_cpus: int | None = None,
        shortlist_fraction: float = p.SHORTLIST_FRACTION,
        min_shortlist: int = p.MIN_SHORTLIST,
        workers: int = 1,
    ) -> None:
        if shards < 1:
            raise ValueError("A Ray gallery needs at least one shard.")
        import ray  # only here: the in-process gallery must not pay for Ray

        if not ray.is_initialized():
            if address is None:
                ray.init(
                    num_cpus=num_cpus or shards,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
            else:
                ray.init(address=address, log_to_driver=False)
        self._ray: Any = ray
        actor = ray.remote(num_cpus=0)(_Shard)
        self._shards: list[Any] = [
            actor.remote(shortlist_fraction, min_shortlist, workers) for _ in range(shards)
        ]
        self._sizer = InProcessGallery(
            shortlist_fraction=shortlist_fraction, min_shortlist=min_shortlist
        )
        self._keys: set[str] = set()

    def _shard_of(self, key: str) -> int:
        return zlib.crc32(key.encode()) % len(self._shards)

    def add(
        self,
        key: str,
        fingers: Mapping[int, FingerprintTemplate],
        info: SubjectInfo = SubjectInfo(),
    ) -> None:
        self.add_many([(key, {f: t.to_array() for f, t in fingers.items()}, info)])

    def add_many(self, subjects: list[tuple[str, Minutiae, SubjectInfo]]) -> None:
        """Enrol many subjects from minutiae arrays, one remote call per shard."""
        parts: list[list[tuple[str, Minutiae, SubjectInfo]]] = [[] for _ in self._shards]
        for subject in subjects:
            parts[self._shard_of(subject[0])].append(subject)
        self._ray.get(
            [shard.add_many.remote(part) for shard, part in zip(self._shards, parts, strict=True)]
        )
        self._keys.update(key for key, _, _ in subjects)

    def remove(self, key: str) -> bool:
        removed = bool(self._ray.get(self._shards[self._shard_of(key)].remove.remote(key)))
        self._keys.discard(key)
        return removed

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def search(
        self,
        probe: Mapping[int, FingerprintTemplate],
        k: int = 10,
        *,
        sex: str | None = None,
        birth_years: tuple[int, int] | None = None,
    ) -> list[Candidate]:
        if k < 1:
            raise ValueError("k must be at least 1.")
        make_filters(sex, birth_years)  # refuse bad filters before any remote call
        arrays = {f: t.to_array() for f, t in probe.items()}
        depth = self._sizer.shortlist_size(len(self))
        votes = self._ray.get(
            [s.shortlist.remote(arrays, sex, birth_years, depth) for s in self._shards]
        )
        merged: Shortlists = {}
        for part in votes:
            for name, ranking in part.items():
                merged.setdefault(name, []).extend(ranking)
        # Each shard's list is its exact top ``depth``, so the global top ``depth`` is among them.
        chosen = {n: sorted(r, key=_most_first)[:depth] for n, r in merged.items()}
        keys: list[list[str]] = [[] for _ in self._shards]
        for key in union(chosen):
            keys[self._shard_of(key)].append(key)
        scored = self._ray.get(
            [
                s.rescore.remote(arrays, part, sex, birth_years)
                for s, part in zip(self._shards, keys, strict=True)
                if part
            ]
        )
        return ranked([item for part in scored for item in part], k)

    def memory(self) -> list[dict[str, int]]:
        return list(self._ray.get([s.memory.remote() for s in self._shards]))

    def close(self) -> None:
        """Stop the actors (Ray itself keeps running for whoever started it)."""
        for shard in self._shards:
            self._ray.kill(shard)
        self._shards = []
