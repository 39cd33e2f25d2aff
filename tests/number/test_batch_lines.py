"""The raw-bytes path of bulk validation gives exactly ``check_array``'s codes."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from openpesel.number import batch, encode
from openpesel.number.batch import check_array, check_lines
from openpesel.number.pesel import Sex

ELEVEN = st.text(alphabet="0123456789", min_size=11, max_size=11)
NEAR = st.text(alphabet="0123456789X /\u0660", min_size=11, max_size=11)
valid = st.builds(encode, st.dates(datetime.date(1800, 1, 1), datetime.date(2299, 12, 31)),
                  st.integers(0, 4999), st.sampled_from(list(Sex)))


@settings(deadline=None)  # the first example loads (or compiles) the kernel
@given(st.lists(st.one_of(ELEVEN, NEAR, valid), min_size=1, max_size=60))
def test_fixed_width_lines_match_check_array(numbers: list[str]) -> None:
    data = "".join(n + "\n" for n in numbers).encode()
    expected = check_array(np.array(numbers, dtype=str)).tolist()
    assert check_lines(data).tolist() == expected


@given(st.lists(st.text(alphabet="0123456789X", max_size=13), min_size=1, max_size=30))
def test_ragged_lines_fall_back_to_check_array(numbers: list[str]) -> None:
    data = "".join(n + "\n" for n in numbers).encode()
    assert check_lines(data).tolist() == check_array(np.array(numbers, dtype=str)).tolist()
    if numbers[-1]:  # the last line may end without its newline
        assert check_lines(data[:-1]).tolist() == check_lines(data).tolist()


def test_the_numpy_passes_give_the_kernels_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numba, ``check_lines`` falls back to NumPy: the same codes for the same file."""
    leap_day = encode(datetime.date(2000, 2, 29), 17, Sex.FEMALE)
    numbers = ["44051401359", "44051401358", "4405140135X", "44133101357", leap_day]
    data = "".join(n + "\n" for n in numbers).encode()
    compiled_codes = check_lines(data).tolist()
    monkeypatch.setattr(batch, "compiled", lambda: None)
    assert check_lines(data).tolist() == compiled_codes == [0, 3, 1, 4, 0]
