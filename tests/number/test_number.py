"""PESEL arithmetic against python-stdnum as an independent oracle."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given, strategies as st
from stdnum.exceptions import ValidationError
from stdnum.pl import pesel as oracle

from openpesel.errors import (
    InvalidChecksum,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    InvalidNumber,
)
from openpesel.number import Sex, encode, get_birth_date, get_serial, get_sex, validate
from openpesel.number.batch import check_array, validate_array
from openpesel.number.pesel import calc_check_digit

dates = st.dates(datetime.date(1800, 1, 1), datetime.date(2299, 12, 31))
sexes = st.sampled_from(list(Sex))
serials = st.integers(0, 4999)

# Strings that reach every branch: junk, digit runs of every length, numbers
# with a valid checksum but random date digits, and valid numbers.
digit_runs = st.text(alphabet="0123456789", min_size=0, max_size=14)
ascii_junk = st.text(alphabet=st.characters(codec="ascii"), max_size=14)
with_checksum = st.text(alphabet="0123456789", min_size=10, max_size=10).map(
    lambda ten: ten + calc_check_digit(ten)
)
valid_numbers = st.builds(encode, dates, serials, sexes)
anything = st.one_of(digit_runs, ascii_junk, with_checksum, valid_numbers)


def oracle_verdict(text: str) -> bool:
    try:
        oracle.validate(text)
    except ValidationError:
        return False
    return True


@given(anything)
def test_same_verdict_as_stdnum(text: str) -> None:
    try:
        validate(text)
        ours = True
    except InvalidNumber:
        ours = False
    assert ours == oracle_verdict(text)


@given(with_checksum)
def test_same_birth_date_and_sex_as_stdnum(number: str) -> None:
    if not oracle_verdict(number):
        with pytest.raises(InvalidDate):
            get_birth_date(number)
        return
    assert get_birth_date(number) == oracle.get_birth_date(number)
    assert get_sex(number).value == oracle.get_gender(number)


@given(dates, serials, sexes)
def test_encode_round_trips(birth_date: datetime.date, serial: int, sex: Sex) -> None:
    number = encode(birth_date, serial, sex)
    assert oracle.is_valid(number)
    assert get_birth_date(number) == birth_date
    assert get_sex(number) is sex
    assert get_serial(number) == serial


@given(st.lists(anything, min_size=1, max_size=30))
def test_batch_matches_scalar(texts: list[str]) -> None:
    expected = [oracle_verdict(t) and t.isascii() and len(t) == 11 for t in texts]
    assert validate_array(np.array(texts, dtype=object)).tolist() == expected


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("4405140135X", InvalidFormat, "digits only"),
        ("", InvalidFormat, "digits only"),
        ("440514013", InvalidLength, "has 9"),
        ("44051401358", InvalidChecksum, "check digit"),
        ("44133101357", InvalidDate, "441331"),
    ],
)
def test_errors_say_what_is_wrong(text: str, error: type[InvalidNumber], words: str) -> None:
    # recompute the check digit where the case is about the date, so only the date is wrong
    if error is InvalidDate:
        text = text[:10] + calc_check_digit(text[:10])
    with pytest.raises(error, match=words):
        validate(text)


def test_batch_codes_follow_the_order_of_checks() -> None:
    bad_date = "4413310135" + calc_check_digit("4413310135")
    codes = check_array(["44051401359", "4405140135X", "123", "44051401358", bad_date])
    assert codes.tolist() == [0, 1, 2, 3, 4]


def test_years_outside_the_encodable_range_are_refused() -> None:
    with pytest.raises(InvalidDate, match="1799"):
        encode(datetime.date(1799, 12, 31), 0, Sex.MALE)


def test_dashes_are_normalised_and_full_width_digits_refused() -> None:
    assert validate("440514-01359") == "44051401359"
    with pytest.raises(InvalidFormat, match="0-9"):  # issue 14, item 17
        validate("４４０５１４–０１３５９")
