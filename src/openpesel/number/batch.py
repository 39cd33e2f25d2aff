r"""Vectorised PESEL checks for bulk data (imports, audits of whole files).

Bulk inputs come as clean fixed-width strings, so no separators are stripped:
a value is valid only if it is exactly 11 ASCII digits that ``validate``
would accept. The per-number verdicts match ``pesel.validate`` exactly; a
property test holds the two together.

>>> import numpy as np
>>> check_array(np.array(['44051401359', '44051401358', '4405140135', '44X51401359']))
array([0, 3, 2, 1], dtype=int8)
>>> validate_array(np.array(['44051401359', '44133101357'])).tolist()
[True, False]
>>> check_lines(b'44051401359\n44051401358\n4405140135X\n44133101357\n').tolist()
[0, 3, 1, 4]
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

from openpesel.number.kernel import compiled
from openpesel.number.pesel import WEIGHTS

VALID, BAD_FORMAT, BAD_LENGTH, BAD_CHECKSUM, BAD_DATE = range(5)
"""Codes in the order ``validate`` checks, so the first failing check wins."""

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int16)
_CENTURY_BY_MONTH_BLOCK = np.array([1900, 2000, 2100, 2200, 1800], dtype=np.int16)


def check_array(numbers: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """One code per number: VALID, BAD_FORMAT, BAD_LENGTH, BAD_CHECKSUM or BAD_DATE."""
    raw = np.asarray(numbers).astype("U")
    width = max(raw.dtype.itemsize // 4, 11)
    codes = raw.astype(f"U{width}").view(np.uint32).reshape(raw.size, width)
    present = codes != 0
    lengths = present.sum(axis=1)
    # NumPy strips trailing NULs, so any NUL inside a present span is content.
    contiguous = present[np.arange(raw.size), np.maximum(lengths - 1, 0)] | (lengths == 0)
    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    all_digits = (is_digit | ~present).all(axis=1) & (lengths > 0) & contiguous

    out = np.full(raw.size, VALID, dtype=np.int8)
    out[~all_digits] = BAD_FORMAT
    right_length = lengths == 11
    out[all_digits & ~right_length] = BAD_LENGTH

    digits = np.where(is_digit[:, :11], codes[:, :11] - ord("0"), 0).astype(np.int16)
    total = digits[:, :10] @ np.array(WEIGHTS, dtype=np.int16)
    bad_sum = (-total % 10) != digits[:, 10]
    candidates = out == VALID
    out[candidates & bad_sum] = BAD_CHECKSUM

    date_ok = _valid_dates()[digits[:, :6].astype(np.int32) @ np.array(_DATE_WEIGHTS)]
    out[(out == VALID) & ~date_ok] = BAD_DATE
    return out.reshape(np.shape(numbers)) if np.ndim(numbers) else out


def validate_array(numbers: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where the number is a valid PESEL."""
    valid: npt.NDArray[np.bool_] = check_array(numbers) == VALID
    return valid


_RECORD = 12
"""A fixed-width line: eleven digits and a newline."""
_CHECK_WEIGHTS = (*WEIGHTS, 1)
"""With the check digit weighted 1, a valid number's weighted sum is a multiple of 10."""
_DATE_WEIGHTS = (100_000, 10_000, 1_000, 100, 10, 1)


@functools.cache
def _valid_dates() -> npt.NDArray[np.bool_]:
    """Whether each six-digit date code (``yymmdd``, century in the month) is a real day.

    The month's block of 20 names the century, so a code stands for one date
    and one table of a million answers every date check with one lookup.
    """
    code = np.arange(1_000_000, dtype=np.int32)
    year, coded_month, day = code // 10_000, code // 100 % 100, code % 100
    block, month = coded_month // 20, coded_month % 20
    full_year = _CENTURY_BY_MONTH_BLOCK[np.minimum(block, 4)] + year
    leap = (full_year % 4 == 0) & ((full_year % 100 != 0) | (full_year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12) & (block <= 4)
    days = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    valid: npt.NDArray[np.bool_] = month_ok & (day >= 1) & (day <= days)
    return valid


def check_lines(data: bytes) -> npt.NDArray[np.int8]:
    """One code per line of ``data`` (numbers separated by newlines), as ``check_array`` gives.

    A national import is a file of numbers, read as bytes. When every line is
    eleven characters, the file is already a table of digits: the codes come
    from the raw bytes, in one compiled pass where numba is installed
    (``number.kernel``, about 170 times python-stdnum's speed), else in NumPy
    column passes (a weighted sum, a date code, a table lookup for the date;
    about 70 times). Lines of other lengths go through ``check_array``.
    """
    if data and not data.endswith(b"\n"):
        data += b"\n"
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = raw == ord("\n")
    if raw.size % _RECORD or not newlines[_RECORD - 1::_RECORD].all() or (
            np.count_nonzero(newlines) != raw.size // _RECORD):
        lines = data.decode("utf-8", errors="replace").split("\n")[:-1]
        return check_array(np.array(lines, dtype=str)) if lines else np.zeros(0, np.int8)
    kernel = compiled()
    if kernel is not None:
        out = np.empty(raw.size // _RECORD, dtype=np.int8)
        kernel(raw, _valid_dates(), np.array(_CHECK_WEIGHTS, dtype=np.int64), out)
        return out
    digits = raw.reshape(-1, _RECORD)[:, :11] - np.uint8(ord("0"))  # a non-digit wraps past 9
    total = np.zeros(len(digits), dtype=np.uint16)
    for column, weight in enumerate(_CHECK_WEIGHTS):
        total += digits[:, column] * np.uint16(weight)
    date = np.zeros(len(digits), dtype=np.uint32)
    for column, weight in enumerate(_DATE_WEIGHTS):
        date += digits[:, column] * np.uint32(weight)
    out = np.full(len(digits), VALID, dtype=np.int8)
    out[~_valid_dates()[np.minimum(date, 999_999)]] = BAD_DATE
    out[total % 10 != 0] = BAD_CHECKSUM
    out[digits.max(axis=1) > 9] = BAD_FORMAT
    return out
