#!/usr/bin/env python3
"""1:N identification over a large synthetic gallery with real (FVC) and synthetic mates.

    python bench/fingerprint_identification.py [--size 1000000] [--fvc DIR] [--cache DIR]

The gallery holds ``--size`` fingers: the mates' first impressions (FVC B sets
under ``--fvc`` when that folder exists, extracted with LEADER and cached as
ISO records in ``--cache``; LEADER templates of the project's synthetic
images; template-level synthetic fingers) and, for the rest, template-level
synthetic distractors (``_engine/synthesis/minutiae_sets``). Every other
impression of a mate is a probe. Printed: gallery build time, memory per
enrolled finger, search time p50/p99 at the default shortlist, rank-1 hit
rate per kind of mate, and penetration rate against hit rate over several
shortlist depths (stage 1 alone, and after stage 2).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from openpesel import biometrics as bio
from openpesel.biometrics._engine.synthesis import minutiae_sets
from openpesel.biometrics.identification import InProcessGallery, SubjectInfo
from openpesel.biometrics.identification.in_process import Filters, make_filters
from openpesel.biometrics.synthetic import SyntheticFinger

Minutiae = npt.NDArray[np.float64]
DEFAULT_FVC = Path(__file__).resolve().parents[2] / "shared" / "data" / "fingerprints"
FVC_SETS = (("fvc2002_db2b", 569.0), ("fvc2004_db4b", 500.0))
BATCH = 10_000
FRACTIONS = (0.0001, 0.0002, 0.0005, 0.001, 0.002)


@dataclass(frozen=True)
class Mate:
    kind: str
    key: str
    enrolled: Minutiae
    probes: tuple[Minutiae, ...]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="gallery fingers")
    parser.add_argument("--fvc", type=Path, default=DEFAULT_FVC, help="FVC folder (optional)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/openpesel-identification"))
    parser.add_argument("--image-mates", type=int, default=10, help="synthetic image fingers")
    parser.add_argument("--template-mates", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="threads for stage 2")
    parser.add_argument("--fraction", type=float, default=None, help="default shortlist share")
    parser.add_argument("--timed-searches", type=int, default=200)
    parser.add_argument("--no-curve", action="store_true", help="skip the penetration table")
    args = parser.parse_args(argv)

    mates = fvc_mates(args.fvc, args.cache) + image_mates(args.image_mates, args.cache)
    mates += template_mates(args.template_mates)
    distractors = args.size - len(mates)
    if distractors < 0:
        print("--size is smaller than the number of mates", file=sys.stderr)
        return 1
    kinds = sorted({m.kind for m in mates})
    print(
        f"mates: {', '.join(f'{k} {sum(m.kind == k for m in mates)}' for k in kinds)}; "
        f"probes {sum(len(m.probes) for m in mates)}; distractors {distractors:,}"
    )

    gallery = InProcessGallery(workers=args.workers, min_shortlist=1)
    if args.fraction is not None:
        gallery.shortlist_fraction = args.fraction
    rss_before = _rss_mib()
    start = time.perf_counter()
    gallery.add_many([(m.key, {2: m.enrolled}, _info(m.key)) for m in mates])
    generation = 0.0
    for first in range(0, distractors, BATCH):
        tick = time.perf_counter()
        batch = [
            (f"D{seed:07d}", {2: minutiae_sets.impression(minutiae_sets.master(10**7 + seed), 0)})
            for seed in range(first, min(distractors, first + BATCH))
        ]
        generation += time.perf_counter() - tick
        gallery.add_many([(key, fingers, _info(key)) for key, fingers in batch])
        if (first + BATCH) % 100_000 == 0:
            done = time.perf_counter() - start
            print(f"  {first + BATCH:,} distractors in {done:.0f} s", flush=True)
    gallery.seal()
    build = time.perf_counter() - start
    memory = gallery.memory()
    held = sum(memory.values())
    print(
        f"gallery: {len(gallery):,} subjects, {gallery.entries:,} fingers, built in {build:.0f} s "
        f"({1e6 * build / gallery.entries:.0f} us/finger; generating the distractors took "
        f"{generation:.0f} s of it)\n"
        f"memory: {held / gallery.entries:.0f} bytes per enrolled finger held by the gallery "
        f"({', '.join(f'{k} {v / gallery.entries:.0f}' for k, v in memory.items())}); "
        f"peak RSS grew {_rss_mib() - rss_before:,.0f} MiB"
    )

    timed_search(gallery, mates, args.timed_searches)
    if not args.no_curve:
        penetration_curve(gallery, mates, kinds)
    return 0


def timed_search(gallery: InProcessGallery, mates: list[Mate], count: int) -> None:
    """Full searches (both stages, default shortlist) as the register would run them."""
    probes = [(m.key, probe) for m in mates for probe in m.probes]
    step = max(1, len(probes) // count)
    chosen = probes[::step][:count]
    gallery.search_minutiae({2: chosen[0][1]}, k=10)  # compile or load the numba caches
    times, cpu, hits = [], [], 0
    stages = [0.0, 0.0, 0.0]
    for key, probe in chosen:
        start, cpu_start = time.perf_counter(), time.process_time()
        result = gallery.search_minutiae({2: probe}, k=10)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        hits += bool(result) and result[0].key == key
        stages = [a + b for a, b in zip(stages, _stage_times(gallery, probe), strict=True)]
    depth = gallery.shortlist_size(len(gallery))
    print(
        f"search ({len(chosen)} probes, shortlist {depth:,} subjects = "
        f"{100 * depth / len(gallery):.3f} %, stage 2 on {gallery.workers} threads): "
        f"wall p50 {_ms(times, 0.5)} ms, p99 {_ms(times, 0.99)} ms, max {_ms(times, 1.0)} ms; "
        f"CPU (all threads) p50 {_ms(cpu, 0.5)} ms, p99 {_ms(cpu, 0.99)} ms; "
        f"rank-1 {hits}/{len(chosen)}\n"
        f"  mean wall per stage, timed apart: probe cylinders {_mean_ms(stages[0], chosen)} ms, "
        f"stage 1 {_mean_ms(stages[1], chosen)} ms, stage 2 {_mean_ms(stages[2], chosen)} ms"
    )


def _mean_ms(total: float, chosen: list[tuple[str, Minutiae]]) -> str:
    return f"{1000 * total / len(chosen):.0f}"


def _stage_times(gallery: InProcessGallery, probe: Minutiae) -> tuple[float, float, float]:
    filters = make_filters(None, None)
    t0 = time.perf_counter()
    prepared = gallery.prepare({2: probe})
    t1 = time.perf_counter()
    shortlists = gallery.shortlist(prepared, filters, gallery.shortlist_size(len(gallery)))
    t2 = time.perf_counter()
    gallery.rescore(prepared, [key for _, key in shortlists["sum"]], filters)
    return t1 - t0, t2 - t1, time.perf_counter() - t2


def _ms(values: list[float], quantile: float) -> str:
    ordered = sorted(values)
    return f"{1000 * ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]:.0f}"


def penetration_curve(gallery: InProcessGallery, mates: list[Mate], kinds: list[str]) -> None:
    """Hit rates at several shortlist depths, from one deep stage 1 and stage 2 per probe."""
    depths = [max(1, math.ceil(f * len(gallery))) for f in FRACTIONS]
    deepest = max(depths)
    filters = make_filters_none()
    results: dict[str, list[tuple[int | None, list[tuple[str, float]]]]] = {k: [] for k in kinds}
    for mate in mates:
        for probe in mate.probes:
            prepared = gallery.prepare({2: probe})
            shortlist = [key for _, key in gallery.shortlist(prepared, filters, deepest)["sum"]]
            position = shortlist.index(mate.key) if mate.key in shortlist else None
            scored = dict(gallery.rescore(prepared, shortlist, filters))
            ordered = [(key, scored.get(key, {}).get(2, 0.0)) for key in shortlist]
            results[mate.kind].append((position, ordered))
    header = "| penetration | subjects | " + " | ".join(
        f"{k} index hit | {k} rank-1" for k in kinds
    )
    print("\n" + header + " |")
    print("|" + "---|" * (2 + 2 * len(kinds)))
    for fraction, depth in zip(FRACTIONS, depths, strict=True):
        cells = []
        for kind in kinds:
            rows = results[kind]
            in_list = sum(pos is not None and pos < depth for pos, _ in rows)
            first = 0
            for (pos, ordered), mate_key in zip(rows, _keys_of(mates, kind), strict=True):
                if pos is None or pos >= depth:
                    continue
                top = max(ordered[:depth], key=lambda item: (item[1], _neg(item[0])))
                first += top[0] == mate_key
            cells += [f"{100 * in_list / len(rows):.1f} %", f"{100 * first / len(rows):.1f} %"]
        print(f"| {100 * fraction:.2f} % | {depth:,} | " + " | ".join(cells) + " |")


def _keys_of(mates: list[Mate], kind: str) -> list[str]:
    return [m.key for m in mates if m.kind == kind for _ in m.probes]


def _neg(key: str) -> tuple[int, ...]:
    """Ties go to the smaller key, as ``candidates.ranked`` orders them."""
    return tuple(-ord(c) for c in key)


def make_filters_none() -> Filters:
    return make_filters(None, None)


def fvc_mates(folder: Path, cache: Path) -> list[Mate]:
    mates = []
    for name, dpi in FVC_SETS:
        source = folder / name
        if not source.is_dir():
            continue
        fingers: dict[str, list[Minutiae]] = {}
        for path in sorted(source.glob("*_*.tif"), key=_fvc_order):
            finger = path.stem.split("_")[0]
            fingers.setdefault(finger, []).append(_cached_template(path, dpi, cache / name))
        for finger, templates in fingers.items():
            mates.append(Mate(name, f"{name}-{finger}", templates[0], tuple(templates[1:])))
    return mates


def image_mates(count: int, cache: Path) -> list[Mate]:
    """Synthetic images through LEADER: impression 0 enrolled, 1-3 probed."""
    mates = []
    for seed in range(count):
        finger = SyntheticFinger.create(900 + seed)
        templates = []
        for impression in range(4):
            target = cache / "synthetic-images" / f"{900 + seed}_{impression}.iso"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                extracted = bio.extract_template(finger.impression(impression))
                target.write_bytes(bio.encode_template(extracted))
            templates.append(bio.decode_template(target.read_bytes()).to_array())
        mates.append(Mate("image", f"image-{seed}", templates[0], tuple(templates[1:])))
    return mates


def template_mates(count: int) -> list[Mate]:
    mates = []
    for seed in range(count):
        finger = minutiae_sets.master(seed)
        probes = (minutiae_sets.impression(finger, 1), minutiae_sets.impression(finger, 2))
        mates.append(Mate("template", f"T{seed:05d}", minutiae_sets.impression(finger, 0), probes))
    return mates


def _cached_template(path: Path, dpi: float, cache: Path) -> Minutiae:
    target = cache / (path.stem + ".iso")
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        template = bio.extract_template(bio.load_image(path, dpi=dpi))
        target.write_bytes(bio.encode_template(template))
    return bio.decode_template(target.read_bytes()).to_array()


def _fvc_order(path: Path) -> tuple[int, int]:
    finger, impression = path.stem.split("_")
    return int(finger), int(impression)


def _info(key: str) -> SubjectInfo:
    return SubjectInfo(sex="F" if len(key) % 2 else "M", birth_year=1950 + len(key))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
