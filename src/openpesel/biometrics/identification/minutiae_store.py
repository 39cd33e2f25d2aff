"""Every enrolled finger's minutiae in three flat columns, for the matcher to rebuild cylinders.

Keeping each finger's cylinders would cost about 9 KB a finger; the minutiae
cost 12 bytes each (``x``, ``y``, angle as float32), about half a kilobyte a
finger, and the compiled builder turns them back into cylinders in well
under a millisecond when the index picks the finger. Positions are at
500 dpi, as ``FingerprintTemplate.to_array`` gives them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from openpesel.biometrics.identification.growable import Growable


class MinutiaeStore:
    def __init__(self) -> None:
        self._columns = Growable(np.float32, (3,))
        self._offsets = Growable(np.int64)
        self._offsets.extend([0])

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def append(self, minutiae: npt.NDArray[np.float64]) -> int:
        """Store an ``(n, 3)`` array; returns its entry number."""
        self._columns.extend(minutiae.reshape(-1, 3))
        self._offsets.extend([len(self._columns)])
        return len(self) - 1

    def get(self, entry: int) -> npt.NDArray[np.float64]:
        lo, hi = self._offsets.view[entry], self._offsets.view[entry + 1]
        return self._columns.view[lo:hi].astype(np.float64)

    @property
    def columns(self) -> npt.NDArray[np.float32]:
        return self._columns.view

    @property
    def offsets(self) -> npt.NDArray[np.int64]:
        return self._offsets.view

    @property
    def nbytes(self) -> int:
        return self._columns.nbytes + self._offsets.nbytes
