#!/usr/bin/env python3
"""What IDEMIA's nistitl raises on damaged ANSI/NIST-ITL files, before our checks.

    python bench/ansi_nist_damage.py [--files 2000] [--seed 1]

Each file is the test tenprint (``tests/biometrics/test_ansi_nist.py``) with one to four
bytes overwritten at random. The counts show why ``ansi_nist.decode`` turns every
exception at its parsing boundary into one ``TransactionError``: the parser raises
more than its own ``NistException``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import nistitl


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.biometrics.test_ansi_nist import _tenprint

    from openpesel.biometrics.ansi_nist import encode

    original = encode(_tenprint())
    rng = random.Random(args.seed)
    outcomes: Counter[str] = Counter()
    for _ in range(args.files):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            nistitl.Message().parse(bytes(damaged))
            outcomes["parsed"] += 1
        except Exception as exc:  # what the parser raises is the question
            outcomes[type(exc).__name__] += 1
    for name, count in outcomes.most_common():
        print(f"{name:24} {count:6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
