"""One knob and one guard for every fuzz test of outside input.

``OPENPESEL_FUZZ_EXAMPLES`` raises every fuzz test's example count (never
lowers it below the test's own default); ``OPENPESEL_FUZZ_RANDOM=1`` explores
afresh instead of the derandomized, repeatable default.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from hypothesis import HealthCheck, settings

RANDOM = os.environ.get("OPENPESEL_FUZZ_RANDOM") == "1"


def examples(default: int) -> int:
    return max(default, int(os.environ.get("OPENPESEL_FUZZ_EXAMPLES", "0")))


def fuzz_settings(default: int) -> settings:
    return settings(max_examples=examples(default), deadline=None, database=None,
                    derandomize=not RANDOM, suppress_health_check=list(HealthCheck))


class Hang(BaseException):
    """Raised in the parser when it runs too long (a BaseException: nothing may catch it)."""


@contextmanager
def no_hang(seconds: float = 10.0) -> Iterator[None]:
    """Turn a parser that never returns into a failure (main thread only: SIGALRM)."""
    def alarm(_signum: int, _frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
