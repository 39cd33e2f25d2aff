"""A profile's self time grouped into shares: the framework, the register, the database, other.

    .venv/bin/python bench/profile_shares.py PROFILE.prof [--top 15]

Reads a ``pstats`` file (``cProfile -o``, or ``--profile`` of
``bench/reservation_check.py`` and ``bench/reservation_check_inprocess.py``)
and adds up each function's own time (``tottime``) by where the function
lives:

- framework: fastapi, starlette, anyio, uvicorn, h11/httptools, pydantic;
- register: openpesel's own code;
- database driver: psycopg, sqlite3, SQLAlchemy;
- other: the standard library, JWT, zstd, everything else.

C functions (``{method 'execute' of 'sqlite3.Cursor' objects}``) are placed
by the module or type they name; the rest (``isinstance``, ``dict.get``, a
lock's ``acquire``) count for whoever called them, split by the time each
caller spent in them. It prints each share of the total, then the
functions with the most self time, so a claim about where the time goes has
a measurement under it.
"""

from __future__ import annotations

import argparse
import pstats
from collections import defaultdict

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("register", ("/openpesel/",)),
    ("database driver", ("/psycopg", "sqlite3", "/sqlalchemy/", "_sqlite3", "psycopg")),
    ("framework", ("/fastapi/", "/starlette/", "/anyio/", "/uvicorn/", "/h11/", "httptools",
                   "/pydantic/", "pydantic_core", "/sniffio/")),
)
NAMES = ("framework", "register", "database driver", "other")


def group_of(filename: str, function: str) -> str:
    """The share a function's self time belongs to, by its file (or a C function's name)."""
    where = filename if filename != "~" else function
    for group, marks in GROUPS:
        if any(mark in where for mark in marks):
            return group
    return "other"


Key = tuple[str, int, str]


def shares(stats: pstats.Stats) -> tuple[dict[str, float], float]:
    """Seconds of self time per group, and the total."""
    totals: dict[str, float] = defaultdict(float)
    raw: dict[Key, tuple[int, int, float, float, dict[Key, tuple[float, ...]]]] = \
        stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, tottime, _ct, callers) in raw.items():
        group = group_of(filename, function)
        if filename == "~" and group == "other" and callers:
            # A builtin: its time is its callers', split by what each spent in it.
            spent = {caller: figures[2] for caller, figures in callers.items()}
            whole = sum(spent.values()) or 1.0
            for (c_file, _c_line, c_function), seconds in spent.items():
                totals[group_of(c_file, c_function)] += tottime * seconds / whole
            continue
        totals[group] += tottime
    return dict(totals), sum(totals.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    stats = pstats.Stats(args.profile)
    totals, total = shares(stats)
    print(f"self time {total:.2f} s")
    for name in NAMES:
        seconds = totals.get(name, 0.0)
        print(f"  {name:<16} {seconds:7.2f} s  {seconds / total:6.1%}" if total else name)
    if args.top:
        print()
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
