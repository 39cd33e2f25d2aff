"""Finger positions as ANSI/NIST-ITL 1-2011 table 8 (and ISO/IEC 19794-2) number them.

The register stores these numbers, so they must match the codes other
systems (AFIS, Eurodac, EES) use: 0 unknown, 1-5 the right hand from thumb to
little finger, 6-10 the left hand in the same order.
"""

from __future__ import annotations

from enum import IntEnum


class FingerPosition(IntEnum):
    UNKNOWN = 0
    RIGHT_THUMB = 1
    RIGHT_INDEX = 2
    RIGHT_MIDDLE = 3
    RIGHT_RING = 4
    RIGHT_LITTLE = 5
    LEFT_THUMB = 6
    LEFT_INDEX = 7
    LEFT_MIDDLE = 8
    LEFT_RING = 9
    LEFT_LITTLE = 10

    @property
    def is_right_hand(self) -> bool:
        return 1 <= self.value <= 5

    @property
    def is_left_hand(self) -> bool:
        return 6 <= self.value <= 10
