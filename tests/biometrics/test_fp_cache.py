"""Fast fingerprint commands (issue 13, item 10): what is built once is kept on disk.

LEADER runs from an ONNX copy (converted once into the cache directory) with
the same minutiae as pyfing's Keras model; a command then imports neither
Keras nor torch; numba's kernels are cached in the same directory; a corrupt
or unavailable copy falls back instead of failing; the server warms up at
start and still starts when the warm-up fails.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from openpesel.biometrics import (
    FingerprintImage,
    extract_template,
    parameters as p,
    warmup as warmup_module,
)
from openpesel.biometrics._engine import cache, leader_onnx, raw_minutiae
from openpesel.biometrics.transparency import CollectingTransparency

Images = dict[tuple[int, int], FingerprintImage]


def test_the_onnx_copy_finds_the_minutiae_pyfing_finds(impressions: Images) -> None:
    onnx = raw_minutiae._algorithm("leader")
    assert isinstance(onnx, leader_onnx.OnnxLeader)
    keras = raw_minutiae._keras_leader()
    for key in [(0, 0), (1, 1), (2, 2), (3, 0)]:
        pixels = impressions[key].pixels
        with raw_minutiae._no_grad():
            expected = keras.run(pixels, p.TARGET_DPI)
        got = onnx.run(pixels, p.TARGET_DPI)
        assert [(m.x, m.y, m.type) for m in got] == [(m.x, m.y, m.type) for m in expected]
        for a, b in zip(got, expected, strict=True):
            turn = abs(a.direction - b.direction) % (2 * math.pi)
            assert min(turn, 2 * math.pi - turn) < 1e-3 and abs(a.quality - b.quality) < 1e-3


def test_a_command_imports_neither_keras_nor_torch(impressions: Images, tmp_path: Path) -> None:
    extract_template(impressions[(0, 0)])  # the model is converted and cached by now
    image = tmp_path / "scan.npy"
    np.save(image, impressions[(0, 0)].pixels)
    script = ("import sys, numpy as np\n"
              "from openpesel.biometrics import from_pixels, extract_template, verify\n"
              f"t = extract_template(from_pixels(np.load({str(image)!r})))\n"
              "assert verify(t, t).is_match\n"
              "print(sorted({'torch', 'keras', 'pyfing'} & set(sys.modules)))\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_corrupt_cached_model_is_converted_again(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    good = leader_onnx.model_path()  # the real cache, filled by the tests above
    if not good.exists():
        raw_minutiae._algorithm("leader")
    monkeypatch.setenv("OPENPESEL_CACHE_DIR", str(tmp_path))
    broken = leader_onnx.model_path()
    assert broken.parent == tmp_path / "models" and "pyfing" in broken.name
    broken.write_bytes(b"not an onnx model")
    converted: list[Path] = []

    def convert(_model: Any, path: Path) -> None:
        converted.append(path)
        shutil.copyfile(good, path)

    monkeypatch.setattr(leader_onnx, "convert", convert)
    found = leader_onnx.load(lambda: None, p.LEADER_MIN_QUALITY)
    assert converted == [broken] and isinstance(found, leader_onnx.OnnxLeader)


def test_without_onnxruntime_the_keras_model_runs(monkeypatch: pytest.MonkeyPatch,
                                                  impressions: Images) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    monkeypatch.setattr(raw_minutiae, "_algorithms", {})
    with CollectingTransparency({"leader-onnx-unavailable"}) as seen:
        template = extract_template(impressions[(1, 0)])
    assert "onnxruntime is not installed" in seen.records["leader-onnx-unavailable"]
    assert not isinstance(raw_minutiae._algorithms["leader"], leader_onnx.OnnxLeader)
    assert len(template.minutiae) > 5


def test_an_unwritable_cache_is_no_cache(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("OPENPESEL_CACHE_DIR", str(blocker))
    assert cache.writable("models") is None
    with pytest.raises(leader_onnx.OnnxUnavailable, match="cannot be written"):
        leader_onnx.model_path()


def test_numba_kernels_are_cached_in_the_cache_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["OPENPESEL_CACHE_DIR"] = str(tmp_path)
    script = ("import os\n"
              "from openpesel.biometrics._engine import compiled\n"
              "compiled.wrap(4.0)\n"
              "print(os.environ['NUMBA_CACHE_DIR'])\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "numba")
    assert list((tmp_path / "numba").rglob("compiled.wrap-*.nbi"))


def test_the_server_warms_up_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import FastAPI

    from openpesel.api.warmup import warming

    entered: list[bool] = []

    @contextlib.asynccontextmanager
    async def inner(_app: Any) -> AsyncIterator[None]:
        entered.append(warmup_module._done.is_set())  # the server's own lifespan runs after
        yield

    app = FastAPI(lifespan=warming(inner))

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    monkeypatch.setattr(warmup_module, "_done", threading.Event())
    with TestClient(app) as client:
        assert warmup_module._done.is_set()  # before the first request
        assert client.get("/ping").json() == "pong"
    assert entered == [True]

    def broken() -> None:
        raise RuntimeError("no model here")

    monkeypatch.setattr(warmup_module, "warm_up", broken)
    with TestClient(FastAPI(lifespan=warming(inner))) as client:  # logged, not fatal
        assert client.get("/docs").status_code == 200
