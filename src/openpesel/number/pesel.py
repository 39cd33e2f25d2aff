"""PESEL (Powszechny Elektroniczny System Ewidencji Ludności) number arithmetic.

The number has 11 digits: YYMMDD with the century folded into the month,
four serial digits whose last one is even for women and odd for men, and a
check digit with weights 1,3,7,9,1,3,7,9,1,3 (Art. 15 ust. 2 of the act on
population records). The statute defines the century offsets for 1800-2099;
+40 and +60 for the 2100s and 2200s are the convention every library follows.

All examples here are synthetic numbers.

>>> validate('440514 01359')
'44051401359'
>>> get_birth_date('44051401359')
datetime.date(1944, 5, 14)
>>> get_sex('44051401359')
<Sex.MALE: 'M'>
>>> encode(datetime.date(2004, 2, 29), 123, Sex.FEMALE)
'04222902467'
>>> validate('44051401358')
Traceback (most recent call last):
    ...
openpesel.errors.InvalidChecksum: The check digit (the 11th digit) does not match; ...
>>> is_valid('44513401351')
False
"""

from __future__ import annotations

import datetime
import enum
import functools
import re

from openpesel.errors import (
    InvalidChecksum,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    InvalidNumber,
)

WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
SERIALS_PER_SEX = 5000
"""Four serial digits with the last one's parity fixed by sex leave 5,000 per pool."""

# month offset -> first year of the century it encodes
_CENTURY_BY_OFFSET = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}
_OFFSET_BY_CENTURY = {century: offset for offset, century in _CENTURY_BY_OFFSET.items()}
FIRST_YEAR, LAST_YEAR = 1800, 2299

# str.isdigit() accepts Arabic-Indic and other digits; a register number must not.
_DIGITS = re.compile(r"[0-9]+\Z")


class Sex(enum.StrEnum):
    """Sex as the PESEL encodes it: the parity of the tenth digit."""

    FEMALE = "F"
    MALE = "M"

    @property
    def parity(self) -> int:
        return 1 if self is Sex.MALE else 0


def compact(number: str) -> str:
    """Strip the separators a clerk may type: spaces, dashes and surrounding whitespace.

    A tab or a newline inside the number stays, and makes it invalid: that is
    a broken field, not a separator. Anything outside ASCII is refused rather
    than folded: full-width or Arabic-Indic digits that resolved to a person
    let one number be spelled many ways past every filter, rate limit and log
    search that compares text, so the register knows only the ASCII spelling.

    >>> compact(' 4405-1401 359 ')
    '44051401359'
    >>> compact('\\uff144051401359')  # a full-width 4
    Traceback (most recent call last):
        ...
    openpesel.errors.InvalidFormat: A PESEL number is written with the digits 0-9 only; ...
    """
    if not isinstance(number, str):
        raise InvalidFormat()
    if not number.isascii():
        raise InvalidFormat("A PESEL number is written with the digits 0-9 only; this one has "
                            "other characters (full-width or another script's digits?).")
    return number.replace(" ", "").replace("-", "").strip()


def calc_check_digit(first_ten: str) -> str:
    """The check digit for the first ten digits.

    >>> calc_check_digit('4405140135')
    '9'
    """
    total = sum(w * int(d) for w, d in zip(WEIGHTS, first_ten, strict=True))
    return str(-total % 10)


def _date_from_digits(number: str) -> datetime.date:
    year, month, day = int(number[0:2]), int(number[2:4]), int(number[4:6])
    offset = month - month % 20
    century = _CENTURY_BY_OFFSET[offset]
    try:
        return datetime.date(century + year, month - offset, day)
    except ValueError:
        raise InvalidDate(
            f"Digits 1-6 ({number[:6]}) do not encode a real birth date."
        ) from None


def validate(number: str) -> str:
    """Return the normalised number, or raise the error that says what is wrong.

    Cheap checks come first, so the message names the most basic problem.
    """
    number = compact(number)
    if not _DIGITS.match(number):
        raise InvalidFormat()
    if len(number) != 11:
        raise InvalidLength(f"A PESEL number has exactly 11 digits; this one has {len(number)}.")
    if number[10] != calc_check_digit(number[:10]):
        raise InvalidChecksum()
    _date_from_digits(number)
    return number


def is_valid(number: str) -> bool:
    try:
        validate(number)
    except InvalidNumber:
        return False
    return True


def get_birth_date(number: str) -> datetime.date:
    return _date_from_digits(validate(number))


def get_sex(number: str) -> Sex:
    return Sex.MALE if int(validate(number)[9]) % 2 else Sex.FEMALE


def get_serial(number: str) -> int:
    """The serial index within its (date, sex) pool, 0..4999."""
    return int(validate(number)[6:10]) // 2


def encode_date(birth_date: datetime.date) -> str:
    """The six date digits, with the century folded into the month."""
    if not FIRST_YEAR <= birth_date.year <= LAST_YEAR:
        raise InvalidDate(
            f"A PESEL can encode birth years {FIRST_YEAR}-{LAST_YEAR}, not {birth_date.year}."
        )
    offset = _OFFSET_BY_CENTURY[birth_date.year - birth_date.year % 100]
    return f"{birth_date.year % 100:02d}{birth_date.month + offset:02d}{birth_date.day:02d}"


def encode(birth_date: datetime.date, serial: int, sex: Sex) -> str:
    """Build the number for the ``serial``-th slot (0..4999) of a (date, sex) pool.

    >>> encode(datetime.date(1944, 5, 14), 67, Sex.MALE)
    '44051401359'
    """
    if not 0 <= serial < SERIALS_PER_SEX:
        raise ValueError(f"serial must be 0..{SERIALS_PER_SEX - 1}, not {serial}")
    return encode_day(birth_date.toordinal(), serial, sex.parity)


_SERIAL_SUMS = tuple(WEIGHTS[6] * (s // 1000) + WEIGHTS[7] * (s // 100 % 10)
                     + WEIGHTS[8] * (s // 10 % 10) + WEIGHTS[9] * (s % 10) for s in range(10_000))
"""The four serial digits' share of the check sum: integer arithmetic, so importing the
module (every command does) costs about 2 ms, not the 20 ms digit strings took."""


@functools.lru_cache(maxsize=1 << 17)
def _date_part(ordinal: int) -> tuple[str, int]:
    """A day's six digits and their weighted sum, computed once a day (of 183,000)."""
    digits = encode_date(datetime.date.fromordinal(ordinal))
    return digits, sum(w * int(d) for w, d in zip(WEIGHTS[:6], digits, strict=True))


def encode_day(ordinal: int, serial: int, parity: int) -> str:
    """``encode`` for a day given as its ordinal: the bulk loader numbers millions a chunk.

    The date's digits and their share of the check sum are cached per day, so
    a number costs a lookup and a format, a tenth of building it digit by digit.
    """
    digits, partial = _date_part(ordinal)
    four = serial * 2 + parity
    return f"{digits}{four:04d}{-(partial + _SERIAL_SUMS[four]) % 10}"
