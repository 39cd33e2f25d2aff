"""uvicorn with every thread profiled in CPU time; the profile is written when it stops.

    .venv/bin/python bench/serve_profiled.py OUT.prof [uvicorn's arguments...]

bench/reservation_check.py's ``--profile`` starts the server this way (one
worker: the profile is this process's). The event loop, the thread pool's
workers and the audit committer each get a cProfile (bench/threadprof.py); on
SIGTERM uvicorn shuts down, and the merged profile goes to OUT.prof, for
bench/profile_shares.py.
"""

from __future__ import annotations

import sys

import threadprof
import uvicorn


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    threadprof.all_threads()
    try:
        uvicorn.main.main(args=args, prog_name="uvicorn", standalone_mode=False)
    finally:
        stats = threadprof.merged()
        if stats is not None:
            stats.dump_stats(out)


if __name__ == "__main__":
    main()
