from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from openpesel.biometrics import FingerprintImage, ImageNotFound, ImageStore


def test_png_round_trip_is_lossless_and_content_addressed(
    tmp_path: Path, impressions: dict[tuple[int, int], FingerprintImage]
) -> None:
    store = ImageStore(tmp_path)
    image = impressions[(0, 0)]
    digest = store.put(image)
    path = tmp_path / "sha256" / digest[:2] / digest[2:4] / f"{digest}.png"
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert np.array_equal(store.get(digest).pixels, image.pixels)
    assert store.put(image) == digest  # idempotent
    assert store.verify(digest)
    assert store.put(impressions[(0, 1)]) != digest


def test_wsq_is_stored_under_its_own_hash(
    tmp_path: Path, impressions: dict[tuple[int, int], FingerprintImage]
) -> None:
    store = ImageStore(tmp_path)
    digest = store.put(impressions[(1, 0)], "wsq")
    assert store.locate(digest).suffix == ".wsq"
    assert store.get(digest).pixels.shape == impressions[(1, 0)].pixels.shape


def test_missing_and_malformed_addresses(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    with pytest.raises(ImageNotFound):
        store.get("0" * 64)
    with pytest.raises(ImageNotFound):
        store.get("../../etc/passwd")
    assert not store.contains("f" * 64)


def test_tampering_is_detected(
    tmp_path: Path, impressions: dict[tuple[int, int], FingerprintImage]
) -> None:
    store = ImageStore(tmp_path)
    digest = store.put(impressions[(2, 0)])
    path = store.locate(digest)
    path.write_bytes(path.read_bytes() + b"x")
    assert not store.verify(digest)
