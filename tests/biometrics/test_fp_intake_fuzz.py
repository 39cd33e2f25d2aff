"""Mutated bytes of real small PNG, TIFF, BMP, JPEG and WSQ prints: a clear refusal or an image.

Whatever the damage, ``load_image`` either returns a usable image or raises a
``BiometricsError`` subclass naming the reason; never another exception, never
a hang (each call has 10 s), never a crash of the process (the WSQ decoder is C).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, strategies as st

from openpesel.biometrics import load_image
from openpesel.biometrics._engine.decoding import encode_wsq
from openpesel.biometrics.errors import BiometricsError
from tests.biometrics.conftest import Encoder
from tests.support.fuzzing import fuzz_settings, no_hang

pytestmark = pytest.mark.fault  # fuzzing, though its subject lives here (tests/conftest.py)

FORMATS = ["PNG", "TIFF", "BMP", "JPEG", "WSQ"]

Mutation = tuple[str, float, int]
mutations = st.lists(st.tuples(st.sampled_from(["set", "insert", "delete", "truncate"]),
                               st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8)


def _mutate(data: bytes, changes: list[Mutation]) -> bytes:
    out = bytearray(data)
    for op, where, value in changes:
        at = min(int(where * len(out)), max(len(out) - 1, 0))
        if op == "set" and out:
            out[at] = value
        elif op == "insert":
            out[at:at] = bytes([value]) * (1 + value % 16)
        elif op == "delete":
            del out[at:at + 1 + value % 64]
        elif op == "truncate":
            del out[at:]
    return bytes(out)


@pytest.fixture(scope="module")
def originals(print_pixels: npt.NDArray[np.uint8], encode: Encoder) -> dict[str, bytes]:
    files = {fmt: encode(print_pixels, fmt) for fmt in FORMATS if fmt != "WSQ"}
    files["WSQ"] = encode_wsq(print_pixels, 500)
    for fmt, data in files.items():
        assert load_image(data).width > 0, fmt  # every original is itself accepted
    return files


@fuzz_settings(60)
@given(fmt=st.sampled_from(FORMATS), changes=mutations)
def test_mutated_images_are_refused_clearly(originals: dict[str, bytes], fmt: str,
                                            changes: list[Mutation]) -> None:
    damaged = _mutate(originals[fmt], changes)
    try:
        with no_hang():
            load_image(damaged)
    except BiometricsError as exc:
        assert str(exc).strip()
