"""A compiled pass over a file of numbers: eleven digits and a newline per record.

``batch.check_lines`` reads a national import as a table of bytes. NumPy does
it in about twenty passes over the table, one per column and operation; this
kernel does it in one, each record's bytes read once while they are in cache,
which is what memory bandwidth allows. It is compiled with numba (part of the
'biometrics' extra) on first use and cached on disk; without numba
``compiled()`` is None and ``check_lines`` keeps its NumPy passes, which give
the same codes.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

Kernel = Callable[[npt.NDArray[np.uint8], npt.NDArray[np.bool_], npt.NDArray[np.int64],
                   npt.NDArray[np.int8]], None]


def _codes(raw: Any, dates: Any, weights: Any, out: Any) -> None:  # pragma: no cover
    """Codes as ``batch`` numbers them: 0 valid, 1 format, 3 checksum, 4 date.

    ``weights`` are the eleven check weights (the check digit's is 1), ``dates``
    the table of valid date codes: both ``batch``'s own, so the rules live once.
    """
    for i in range(out.size):
        base = i * 12
        total = 0
        date = 0
        code = 0
        for j in range(11):
            digit = int(raw[base + j]) - 48
            if digit < 0 or digit > 9:
                code = 1
                break
            total += digit * weights[j]
            if j < 6:
                date = date * 10 + digit
        if code == 0 and total % 10 != 0:
            code = 3
        if code == 0 and not dates[date]:
            code = 4
        out[i] = code


@functools.cache
def compiled() -> Kernel | None:
    """The kernel, compiled once per process (and cached on disk), or None without numba."""
    try:
        numba: Any = importlib.import_module("numba")
    except ImportError:  # pragma: no cover - numba comes with the 'biometrics' extra
        return None
    kernel: Kernel = numba.njit(cache=True, nogil=True, boundscheck=False)(_codes)
    return kernel
