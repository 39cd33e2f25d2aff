"""Compiled helpers shared by the matcher: numba's ``jit``, popcount and angle wrapping.

numba is part of the 'biometrics' extra; without it ``jit`` returns the Python
function unchanged, which gives the same numbers, slowly.

Compiled code is cached on disk (``cache=True``) in the openpesel cache
directory (:mod:`.cache`), not beside the sources: an installed package's
site-packages is often read-only, and compiling the matcher's kernels again in
every CLI command cost seconds (issue 13, item 10). ``NUMBA_CACHE_DIR`` set by
the user wins, and numba's own fallbacks apply where the directory cannot be
written.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

from openpesel.biometrics._engine.cache import writable

F = TypeVar("F", bound=Callable[..., Any])

if "numba" not in sys.modules and "NUMBA_CACHE_DIR" not in os.environ:
    # numba reads the variable once, at import; afterwards setting it changes nothing.
    _kernels = writable("numba")
    if _kernels is not None:
        os.environ["NUMBA_CACHE_DIR"] = str(_kernels)

try:
    _numba: Any = importlib.import_module("numba")
except ImportError:  # pragma: no cover - numba is part of the 'biometrics' extra
    _numba = None


def jit(function: F) -> F:
    """Compile with numba where available; the Python original gives the same numbers slowly."""
    if _numba is None:  # pragma: no cover
        return function
    return cast(F, _numba.njit(cache=True, nogil=True)(function))


def _ctpop(typingctx: Any, x: Any) -> Any:
    """The CPU's popcount instruction (LLVM ctpop); numba has no public popcount."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return _numba.types.uint64(_numba.types.uint64), codegen


def _python_popcount(x: Any) -> Any:  # pragma: no cover
    return int(x).bit_count()


popcount: Any = (
    _python_popcount
    if _numba is None
    else importlib.import_module("numba.extending").intrinsic(_ctpop)
)


@jit
def wrap(a: float) -> float:
    """Any angle to [-pi, pi); floor is several times cheaper than the float modulo."""
    return a - 2.0 * math.pi * math.floor((a + math.pi) / (2.0 * math.pi))


@jit
def wrap_once(a: float) -> float:
    """Wrap a difference of two angles in [-pi, pi) (so within (-2 pi, 2 pi)) to [-pi, pi)."""
    if a >= math.pi:
        return a - 2.0 * math.pi
    if a < -math.pi:
        return a + 2.0 * math.pi
    return a


@jit
def sigmoid(v: float, mu: float, tau: float) -> float:
    return 1.0 / (1.0 + math.exp(-tau * (v - mu)))
