"""Profile every thread of this process with cProfile, in CPU time, and merge the results.

cProfile watches one thread, and a server's work runs on many (uvicorn's event
loop, the thread pool's workers, the audit committer). ``all_threads()`` gives
each thread started after it (and the calling thread) its own profiler, timed
by ``time.thread_time`` so a thread waiting on a lock or a socket costs
nothing, and ``merged()`` adds them up into one ``pstats.Stats``, which
``bench/profile_shares.py`` groups into shares. No py-spy needed: only the
standard library.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time
from typing import Any

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _new_profile() -> cProfile.Profile:
    profile = cProfile.Profile(time.thread_time)
    with _lock:
        _profiles.append(profile)
    profile.enable()
    return profile


def _start_in_thread(*_args: Any) -> None:
    """Installed by ``threading.setprofile``: the thread's first event swaps in cProfile."""
    sys.setprofile(None)
    _new_profile()


def all_threads() -> None:
    """Profile this thread from now on, and every thread started after this call."""
    threading.setprofile(_start_in_thread)
    _new_profile()


def reset() -> None:
    """Forget what every profile has counted so far (the server's start-up, say).

    Safe from any thread: under the GIL the profiled threads stand still, and a
    thread returning from a call its profile no longer knows is simply not counted.
    """
    with _lock:
        for profile in _profiles:
            profile.clear()


class _Snapshot:
    """What ``pstats.Stats`` reads: a profile's figures so far, taken without stopping it."""

    def __init__(self, profile: cProfile.Profile) -> None:
        profile.snapshot_stats()
        self.stats = profile.stats

    def create_stats(self) -> None:
        """Already taken in ``__init__``."""


def merged() -> pstats.Stats | None:
    """Every thread's profile so far, added up; None if nothing was profiled."""
    threading.setprofile(None)
    with _lock:
        profiles = list(_profiles)
    stats: pstats.Stats | None = None
    for profile in profiles:
        snapshot = _Snapshot(profile)
        if not snapshot.stats:
            continue
        if stats is None:
            stats = pstats.Stats(snapshot)  # type: ignore[arg-type]
        else:
            stats.add(snapshot)  # type: ignore[arg-type]
    return stats
