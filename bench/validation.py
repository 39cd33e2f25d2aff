"""Bulk PESEL validation: the NumPy batch check against python-stdnum, same run.

    .venv/bin/python bench/validation.py [--count 1000000] [--seed 1]

Draws ``--count`` eleven-digit strings, about half of them valid PESELs (made
by fixing the check digit of random numbers) and half with one digit changed,
then times the ways of deciding validity: ``number.batch.check_lines`` over
the numbers as a file's bytes (one per line, as a national import arrives; and
again from the Python list, the join timed), ``number.batch.validate_array``
over the whole array, the scalar ``number.pesel.is_valid`` in a loop, and
python-stdnum's ``stdnum.pl.pesel.is_valid`` in a loop (the anchor). All of them
must agree on every number; the script refuses to print figures otherwise.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from stdnum.pl import pesel as stdnum_pesel

from openpesel.number import batch, pesel as ours

WEIGHTS = np.array([1, 3, 7, 9, 1, 3, 7, 9, 1, 3], dtype=np.int64)


def numbers(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 10, size=(count, 11), dtype=np.int64)
    digits[:, 2] = rng.integers(0, 2, size=count)  # month 01-12 or 21-32 ...
    digits[:, 3] = rng.integers(1, 3, size=count)  # ... so most dates are plausible
    digits[:, 4] = rng.integers(0, 3, size=count)
    digits[:, 5] = rng.integers(1, 9, size=count)
    digits[:, 10] = (10 - (digits[:, :10] @ WEIGHTS) % 10) % 10
    spoil = rng.random(count) < 0.5
    where = rng.integers(0, 11, size=count)
    rows = np.nonzero(spoil)[0]
    digits[rows, where[rows]] = (digits[rows, where[rows]] + 1) % 10
    return ["".join(map(str, row)) for row in digits.tolist()]


def timed(label: str, work: object, count: int) -> tuple[float, list[bool]]:
    assert callable(work)
    started = time.perf_counter()
    result = [bool(v) for v in work()]
    seconds = time.perf_counter() - started
    print(f"{label:<34} {seconds:8.3f} s  {count / seconds:>14,.0f} numbers/s")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    values = numbers(args.count, args.seed)
    print(f"numbers                            {args.count:,}")
    data = "".join(v + "\n" for v in values).encode()  # a national import file, as read
    batch.check_lines(data[:1200])  # builds the date table once per process (about 30 ms)
    from_bytes, lines = timed("openpesel lines (raw bytes)",
                              lambda: batch.check_lines(data) == batch.VALID, args.count)
    from_list, listed = timed(
        "openpesel lines (list, join timed)",
        lambda: batch.check_lines("".join(v + "\n" for v in values).encode()) == batch.VALID,
        args.count)
    ours_array, a = timed("openpesel batch (NumPy)", lambda: batch.validate_array(values),
                          args.count)
    _, b = timed("openpesel scalar is_valid", lambda: [ours.is_valid(v) for v in values],
                 args.count)
    anchor, c = timed("python-stdnum is_valid (anchor)",
                      lambda: [stdnum_pesel.is_valid(v) for v in values], args.count)
    if not lines == listed == a == b == c:
        raise SystemExit("The validators disagree; no figures.")
    print(f"valid                              {sum(a):,}")
    print(f"ratio stdnum / lines (bytes)       {anchor / from_bytes:.1f}x")
    print(f"ratio stdnum / lines (list)        {anchor / from_list:.1f}x")
    print(f"ratio stdnum / batch               {anchor / ours_array:.1f}x")


if __name__ == "__main__":
    main()
