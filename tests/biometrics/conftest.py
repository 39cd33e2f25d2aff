"""Shared fixtures: synthetic fingers, generated once per test session.

Tests never need /work/shared: fingers come from the SFinGe-style generator
at a small size and few growth iterations, which keeps the whole session
fast while still giving LEADER real ridges to find.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from openpesel.biometrics import FingerprintImage, FingerprintTemplate, extract_template
from openpesel.biometrics.synthetic import SyntheticFinger

FINGERS = 4
IMPRESSIONS = 3
WIDTH, HEIGHT, ITERATIONS = 192, 224, 8
SHARED = Path(os.environ.get("OPENPESEL_SHARED", "/work/shared")) / "data" / "fingerprints"


@pytest.fixture(scope="session")
def fingers() -> list[SyntheticFinger]:
    return [
        SyntheticFinger.create(seed, width=WIDTH, height=HEIGHT, iterations=ITERATIONS)
        for seed in range(FINGERS)
    ]


@pytest.fixture(scope="session")
def impressions(fingers: list[SyntheticFinger]) -> dict[tuple[int, int], FingerprintImage]:
    return {(f.seed, i): f.impression(i) for f in fingers for i in range(IMPRESSIONS)}


@pytest.fixture(scope="session")
def templates(
    impressions: dict[tuple[int, int], FingerprintImage],
) -> dict[tuple[int, int], FingerprintTemplate]:
    """LEADER templates of every impression (the default extractor)."""
    return {key: extract_template(image) for key, image in impressions.items()}


@pytest.fixture(scope="session")
def print_pixels(impressions: dict[tuple[int, int], FingerprintImage]) -> npt.NDArray[np.uint8]:
    return impressions[(0, 0)].pixels


Encoder = Callable[..., bytes]


def _encode(pixels: npt.NDArray[np.uint8], fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format=fmt, **options)
    return out.getvalue()


@pytest.fixture(scope="session")
def encode() -> Encoder:
    """Pillow encoder: ``encode(pixels, "PNG", dpi=(500, 500))``."""
    return _encode


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip("shared fingerprint data is not available")
    return SHARED
