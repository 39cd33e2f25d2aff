"""uvicorn with every thread profiled in CPU time; the profile is written when it stops.

    .venv/bin/python bench/serve_profiled.py OUT.prof [uvicorn's arguments...]

bench/reservation_check.py's ``--profile`` starts the server this way (one
worker: the profile is this process's). The event loop, the thread pool's
workers and the audit committer each get a cProfile (bench/threadprof.py).
SIGUSR1 forgets what was counted so far (the start-up: the benchmark sends it
just before the load); on SIGTERM uvicorn shuts down, and the merged profile
goes to OUT.prof, for bench/profile_shares.py.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import threadprof
import uvicorn


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]

    def dump(_signum: int = 0, _frame: FrameType | None = None) -> None:
        stats = threadprof.merged()
        if stats is not None:
            stats.dump_stats(out)
        sys.exit(0)

    # uvicorn shuts down on SIGTERM, then raises it again under the handler it found:
    # this one, which writes the profile.
    signal.signal(signal.SIGTERM, dump)
    signal.signal(signal.SIGUSR1, lambda _signum, _frame: threadprof.reset())
    threadprof.all_threads()
    uvicorn.main.main(args=args, prog_name="uvicorn", standalone_mode=False)
    dump()


if __name__ == "__main__":
    main()
