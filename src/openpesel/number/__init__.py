"""PESEL numbers: validation, decoding, encoding and allocation order.

Everything here is pure: no clock, no database. The register and the
interfaces call these functions so nobody re-implements the checksum.
"""

from openpesel.number.batch import validate_array
from openpesel.number.pesel import (
    Sex,
    calc_check_digit,
    compact,
    encode,
    get_birth_date,
    get_serial,
    get_sex,
    is_valid,
    validate,
)

__all__ = [
    "Sex",
    "calc_check_digit",
    "compact",
    "encode",
    "get_birth_date",
    "get_serial",
    "get_sex",
    "is_valid",
    "validate",
    "validate_array",
]
