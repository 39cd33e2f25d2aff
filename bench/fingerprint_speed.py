#!/usr/bin/env python3
"""Comparisons per second on one core, over ISO templates written by fingerprint_accuracy.py.

    python bench/fingerprint_speed.py TEMPLATE_DIR... [--seconds 5]

TEMPLATE_DIR holds ``*.iso`` records (fingerprint_accuracy.py writes them to
``OUT_DIR/templates-SET-METHOD/``). Every ordered pair of distinct templates is
scored in a loop on one thread for about ``--seconds``; cylinder building is
timed separately (it happens once per template, at enrolment or load). The rate is
reported per CPU-second of this process (one thread), which other load on a shared
machine disturbs less than wall time; the wall-time rate is printed beside it.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from openpesel import biometrics as bio


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    templates = [
        bio.decode_template(p.read_bytes()) for d in args.dirs for p in sorted(d.glob("*.iso"))
    ]
    if len(templates) < 2:
        print("need at least two templates", file=sys.stderr)
        return 1
    t = time.perf_counter()
    matchers = [bio.Matcher(template) for template in templates]
    build_ms = 1000 * (time.perf_counter() - t) / len(matchers)
    pairs = list(itertools.permutations(matchers, 2))
    pairs[0][0].score(pairs[0][1])  # compile or load the numba cache
    done, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < args.seconds:
        for a, b in pairs[:2000]:
            a.score(b)
        done += min(len(pairs), 2000)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    minutiae = [len(m.template.minutiae) for m in matchers]
    cylinders = [m.search.count for m in matchers]
    print(
        f"templates {len(templates)}, minutiae mean {statistics.mean(minutiae):.1f}, "
        f"valid cylinders mean {statistics.mean(cylinders):.1f}\n"
        f"cylinder build {build_ms:.2f} ms/template\n"
        f"comparisons {done} in {elapsed:.2f} s wall, {cpu:.2f} s CPU: "
        f"{done / cpu:,.0f} per CPU-second ({1e6 * cpu / done:.1f} us each), "
        f"{done / elapsed:,.0f} per wall-second"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
