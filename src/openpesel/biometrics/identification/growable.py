"""An append-only NumPy array that doubles its capacity, for columns that grow by enrolment."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


class Growable:
    """Rows of a fixed dtype and trailing shape; ``view`` is the filled part, without a copy."""

    def __init__(self, dtype: Any, shape: tuple[int, ...] = (), capacity: int = 1024) -> None:
        self._data: npt.NDArray[Any] = np.zeros((capacity, *shape), dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def view(self) -> npt.NDArray[Any]:
        return self._data[: self._size]

    def extend(self, rows: npt.ArrayLike) -> range:
        """Append rows; returns the range of their positions."""
        block = np.asarray(rows, dtype=self._data.dtype)
        needed = self._size + len(block)
        if needed > len(self._data):
            capacity = max(needed, 2 * len(self._data))
            grown = np.zeros((capacity, *self._data.shape[1:]), dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : needed] = block
        start, self._size = self._size, needed
        return range(start, needed)

    def clear(self) -> None:
        self._size = 0

    @property
    def nbytes(self) -> int:
        """Bytes filled (the spare capacity, at most as much again, is not counted)."""
        return int(self.view.nbytes)
