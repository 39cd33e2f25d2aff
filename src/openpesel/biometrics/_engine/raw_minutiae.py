"""Raw minutiae: pyfing's extractors behind one function.

Three methods, all from pyfing (Cappelli, MIT):

``leader``
    LEADER, an end-to-end network (segmentation, direction and type at once).
``enhanced``
    SUFS segmentation, SNFOE orientations, SNFFE frequencies (networks), GBFEN
    Gabor enhancement and SBMEX skeleton minutiae.
``classic``
    GMFS, GBFOE, XSFFE, GBFEN and SBMEX: no network weights at all.

pyfing imports Keras 3, which runs here on the torch CPU backend; autograd
must be off because pyfing calls ``.numpy()`` on model outputs. If a
network's weights cannot be loaded the extractor falls back to ``classic``
and says so on the transparency sink (key ``extractor-fallback``), so
enrolment keeps working at a measured accuracy cost.

LEADER itself runs from an ONNX copy through onnxruntime where it can
(:mod:`.leader_onnx`): a CLI command then imports neither pyfing, Keras nor
torch, which took most of its 15-38 s (issue 13, item 10). Where the copy
cannot be had the Keras model runs instead (key ``leader-onnx-unavailable``
says why): the same network, slower.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import leader_onnx
from openpesel.biometrics.errors import ExtractionFailed, ExtractorUnavailable
from openpesel.biometrics.transparency import current

METHODS = ("leader", "enhanced", "classic")
_lock = threading.RLock()  # re-entered: a model is built under it, pyfing loaded too
_pyfing: ModuleType | None = None
_algorithms: dict[str, Any] = {}
_broken: set[str] = set()


@dataclass(frozen=True)
class RawMinutia:
    x: float
    y: float
    direction: float
    """Radians, image coordinates, as pyfing reports it."""
    kind: str
    """'E' ending, 'B' bifurcation, 'O' other."""
    quality: float
    """0-1 confidence."""


def extract(pixels: npt.NDArray[np.uint8], method: str = p.DEFAULT_EXTRACTOR) -> list[RawMinutia]:
    """Minutiae of a 500 dpi grey image by ``method``, falling back to ``classic``."""
    if method not in METHODS:
        raise ValueError(f"Unknown extractor {method!r}; use one of {', '.join(METHODS)}.")
    image = np.ascontiguousarray(pixels, dtype=np.uint8)
    if method != "classic" and method not in _broken:
        try:
            with _lock:  # pyfing's cached models are not documented as thread-safe
                return _run(image, method)
        except ModelUnavailable as e:
            # Only a model that cannot be built is given up on; an image pyfing chokes on
            # must not downgrade the extractor for the rest of the process.
            _broken.add(method)
            reason = f"{method} failed: {e}"
            current().log("extractor-fallback", lambda: reason)
    with _lock:
        return _run(image, "classic")


class ModelUnavailable(Exception):
    """A pyfing algorithm (its network weights) could not be built."""


def _no_grad() -> Any:
    """Grad mode is thread-local in torch, so it is switched off around every call."""
    if "torch" not in sys.modules:  # nothing of torch's has run: no grad mode to switch
        return contextlib.nullcontext()
    import torch

    return torch.no_grad()


def _run(image: npt.NDArray[np.uint8], method: str) -> list[RawMinutia]:
    try:
        return _run_unchecked(image, method)
    except (ModelUnavailable, ExtractorUnavailable):
        raise
    except Exception as e:  # pyfing, keras and OpenCV raise many kinds; translate them once
        raise ExtractionFailed(f"Minutiae extraction failed ({type(e).__name__}: {e}).") from e


def _run_unchecked(image: npt.NDArray[np.uint8], method: str) -> list[RawMinutia]:
    if method == "leader":
        leader = _algorithm("leader")  # before _no_grad: it may be what imports torch
        with _no_grad():
            found = leader.run(image, p.TARGET_DPI)
    else:
        networks = method == "enhanced"
        _load_pyfing()
        with _no_grad():
            segmenter = _algorithm("sufs" if networks else "gmfs")
            segmenter.parameters.image_dpi = p.TARGET_DPI
            segmentation = segmenter.run(image)
            current().log("segmentation-mask", lambda: segmentation)
            orientation = _algorithm("snfoe" if networks else "gbfoe").run(
                image, segmentation, p.TARGET_DPI
            )[0]
            current().log("orientation-field", lambda: orientation)
            period = _algorithm("snffe" if networks else "xsffe").run(
                image, segmentation, orientation, p.TARGET_DPI
            )
            enhanced = _algorithm("gbfen").run(
                image, segmentation, orientation, period, p.TARGET_DPI
            )
            current().log("enhanced-image", lambda: enhanced)
            found = _algorithm("sbmex").run(enhanced, segmentation, p.TARGET_DPI)
    return [
        RawMinutia(float(m.x), float(m.y), float(m.direction), str(m.type), float(m.quality))
        for m in found
    ]


def _algorithm(name: str) -> Any:
    """pyfing algorithm objects are costly to build (network weights); build each once."""
    if name not in _algorithms:
        try:
            _algorithms[name] = _leader() if name == "leader" else getattr(
                _load_pyfing(), name.capitalize())()
        except ExtractorUnavailable:
            raise
        except Exception as e:  # missing or corrupt weights surface as many exception types
            raise ModelUnavailable(f"{type(e).__name__}: {e}") from e
    return _algorithms[name]


def _leader() -> Any:
    """LEADER from its cached ONNX copy; pyfing's Keras model where that cannot be had."""
    try:
        return leader_onnx.load(lambda: _keras_leader().model, p.LEADER_MIN_QUALITY)
    except leader_onnx.OnnxUnavailable as e:
        reason = str(e)
        current().log("leader-onnx-unavailable", lambda: reason)
        return _keras_leader()


def _keras_leader() -> Any:
    pf = _load_pyfing()
    with _no_grad():
        return pf.Leader(pf.LeaderParameters(minutia_quality_threshold=p.LEADER_MIN_QUALITY))


def _load_pyfing() -> Any:
    global _pyfing
    if _pyfing is None:
        with _lock:
            if _pyfing is None:
                _pyfing = _import_pyfing()
    return _pyfing


def _import_pyfing() -> ModuleType:
    # Keras picks its backend at first import; TensorFlow is not installed here.
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import pyfing  # type: ignore[import-untyped]
        import torch  # noqa: F401  (fails early with a clear message if absent)
    except ImportError as e:
        raise ExtractorUnavailable(
            f"pyfing could not be imported ({e}); install the 'biometrics' extra."
        ) from None
    return cast(ModuleType, pyfing)
