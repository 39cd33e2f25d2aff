#!/usr/bin/env python3
"""Minutiae extraction time per image, on one core, against the issue's 300 ms goal.

    python bench/fingerprint_extraction.py DIR [--images 40] [--dpi 569]

Run it pinned to one core with onnxruntime on one thread, as the goal is stated:

    OPENPESEL_EXTRACTOR_THREADS=1 taskset -c 0 .venv/bin/python bench/fingerprint_extraction.py \\
        ../shared/data/fingerprints/fvc2002_db2b --dpi 569

``--profile`` also prints the network's share of the time.

The first image warms the model and the kernels up and is not counted. Wall and CPU
time are printed per image (median and p90); on a shared machine CPU time is the
steadier figure.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from openpesel.biometrics import FingerprintImage, extract_template, load_image

GOAL_MS = 300.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--dpi", type=float, default=None, help="the scanner's resolution")
    parser.add_argument("--profile", action="store_true",
                        help="also print the network's share of the time (cProfile)")
    args = parser.parse_args(argv)
    files = sorted(p for p in args.dir.iterdir() if p.suffix.lower() in {".tif", ".png",
                                                                           ".bmp", ".wsq"})
    images = [load_image(p, dpi=args.dpi) for p in files[:args.images + 1]]
    extract_template(images[0])
    wall, cpu = [], []
    for image in images[1:]:
        started, cpu_started = time.perf_counter(), time.process_time()
        extract_template(image)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    p90 = sorted(wall)[int(0.9 * (len(wall) - 1))]
    median_cpu = statistics.median(cpu)
    if args.profile:
        print(f"network share {_network_share(images[1:]):.0%} of extraction time (cProfile)")
    print(f"{len(wall)} images of {images[1].width}x{images[1].height} at 500 dpi: "
          f"wall median {statistics.median(wall):.0f} ms, p90 {p90:.0f} ms; "
          f"CPU median {median_cpu:.0f} ms; goal {GOAL_MS:.0f} ms, "
          f"ratio {median_cpu / GOAL_MS:.2f}")
    return 0


def _network_share(images: Sequence[FingerprintImage]) -> float:
    """The share of profiled extraction time spent in onnxruntime's session runs."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for image in images:
        extract_template(image)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values())
    network = sum(row[2] for (path, _, name), row in stats.items()
                  if name.endswith("onnxruntime_pybind11_state.run>") or (
                      "onnxruntime" in path and name == "run"))
    return float(network / total) if total else 0.0


if __name__ == "__main__":
    raise SystemExit(main())
