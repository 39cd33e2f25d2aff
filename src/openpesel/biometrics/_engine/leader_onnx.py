"""LEADER through onnxruntime: pyfing's network, converted to ONNX once and cached.

Running pyfing's LEADER costs a fresh process 5-15 s before the first
minutia: Keras and torch import for 4-6 s, the model is built layer by layer
and its weights loaded, and torch's first forward pass is slow (issue 13,
item 10). The same network saved as ONNX loads in a fraction of a second with
onnxruntime, which imports neither Keras nor torch, and runs as fast or faster.

The conversion needs pyfing, Keras and torch, and takes 20-60 s, so it runs
once per machine, on first use, into the cache directory (:mod:`.cache`); the
file's name carries pyfing's version and a digest of its weights, so a new
pyfing converts afresh. A converted model is checked against the Keras model
on a test image before it is kept. Where onnxruntime is missing, the cache
cannot be written or the conversion fails, :class:`OnnxUnavailable` sends the
caller back to pyfing's Keras model: slower, same minutiae.

Pre- and post-processing are pyfing 0.7.3's ``Leader.run`` and
``Leader._get_minutiae`` for a 500 dpi image (the only resolution the register
hands over): pad to a multiple of 32 with the corner's grey, run, crop, keep
the pixels whose non-maximum-suppressed score reaches the quality threshold.
onnxruntime's float arithmetic differs from torch's by about 1e-5 on those
scores, which moves a minutia only when it sits exactly on the threshold.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from openpesel.biometrics._engine.cache import writable

SIZE_MULTIPLE = 32
"""LEADER's four down-sampling stages need sides divisible by 32 (pyfing's default)."""
TYPE_THRESHOLD = 0.5
"""pyfing's default: at or above is an ending, below a bifurcation."""
OPSET = 17
EXPORT_VERSION = 1
"""Part of the cached file's name: raise it when the conversion below changes."""
CHECK_TOLERANCE = 1e-3
"""Largest difference of the position score between Keras and ONNX accepted at conversion."""

_convert_lock = threading.Lock()


class OnnxUnavailable(Exception):
    """The ONNX copy of LEADER cannot be had here; use pyfing's Keras model instead."""


class Found(NamedTuple):
    """One minutia as pyfing's ``Minutia`` names its fields."""

    x: int
    y: int
    direction: float
    type: str
    quality: float


class OnnxLeader:
    """LEADER's ``run(image, dpi)`` over an onnxruntime session."""

    def __init__(self, session: Any, quality_threshold: float) -> None:
        self.session = session
        self.input = session.get_inputs()[0].name
        self.quality_threshold = quality_threshold

    def run(self, image: npt.NDArray[np.uint8], dpi: int = 500) -> list[Found]:
        if dpi != 500:
            raise ValueError(f"LEADER's ONNX copy takes 500 dpi images, not {dpi} dpi.")
        h, w = image.shape
        top, left = (_padded(h) - h) // 2, (_padded(w) - w) // 2
        padded = np.pad(image, ((top, _padded(h) - h - top), (left, _padded(w) - w - left)),
                        constant_values=image[0, 0])
        out = self.session.run(None, {self.input: padded[np.newaxis, ..., np.newaxis]
                                      .astype(np.float32)})[0][0]
        out = out[top:top + h, left:left + w]
        return [Found(ix, iy, float(out[iy, ix, 1]),
                      "E" if out[iy, ix, 2] >= TYPE_THRESHOLD else "B", float(out[iy, ix, 3]))
                for iy, ix in np.argwhere(out[..., 3] >= self.quality_threshold).tolist()]


def load(keras_model: Callable[[], Any], quality_threshold: float) -> OnnxLeader:
    """The cached ONNX LEADER, converting ``keras_model()`` first where there is none yet."""
    try:
        import onnxruntime  # type: ignore[import-untyped]
    except ImportError as e:
        raise OnnxUnavailable(f"onnxruntime is not installed ({e})") from None
    path = model_path()
    with _convert_lock:
        if not path.exists():
            convert(keras_model(), path)
        try:
            session = _session(onnxruntime, path)
        except Exception:  # a truncated or foreign file: convert once more, then give up
            convert(keras_model(), path)
            try:
                session = _session(onnxruntime, path)
            except Exception as e:
                raise OnnxUnavailable(f"the converted model does not load ({e})") from e
    return OnnxLeader(session, quality_threshold)


def model_path() -> Path:
    """The cached file for the installed pyfing's weights; OnnxUnavailable if unwritable."""
    folder = writable("models")
    if folder is None:
        raise OnnxUnavailable("the cache directory cannot be written")
    weights = weights_file()
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    version = importlib.metadata.version("pyfing")
    return folder / f"leader-pyfing{version}-{digest}-v{EXPORT_VERSION}.onnx"


def weights_file() -> Path:
    """pyfing's LEADER weights, found without importing pyfing (which imports Keras)."""
    spec = importlib.util.find_spec("pyfing")
    if spec is None or not spec.submodule_search_locations:
        raise OnnxUnavailable("pyfing is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "LEADER.weights.h5"
    if not path.is_file():
        raise OnnxUnavailable(f"pyfing has no LEADER weights at {path}")
    return path


def convert(model: Any, path: Path) -> None:
    """Export the Keras (torch backend) model to ``path``, checked, written atomically."""
    try:
        import torch
    except ImportError as e:
        raise OnnxUnavailable(f"torch is needed to convert the model ({e})") from None

    class Inference(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: Any) -> Any:
            return self.model(x, training=False)

    sample = torch.full((1, 4 * SIZE_MULTIPLE, 3 * SIZE_MULTIPLE, 1), 128.0)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with torch.no_grad(), _static_layer_norm(torch), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's many notes on traced shapes
            torch.onnx.export(Inference().eval(), (sample,), str(partial), dynamo=False,
                              input_names=["image"], output_names=["out"],
                              opset_version=OPSET,
                              dynamic_axes={"image": {1: "height", 2: "width"},
                                            "out": {1: "height", 2: "width"}})
        _check(model, partial, torch)
        os.replace(partial, path)
    except OnnxUnavailable:
        raise
    except Exception as e:  # the exporter raises many kinds; any of them means "not here"
        raise OnnxUnavailable(f"conversion to ONNX failed ({type(e).__name__}: {e})") from e
    finally:
        partial.unlink(missing_ok=True)


def threads() -> int:
    """``OPENPESEL_EXTRACTOR_THREADS`` (0: onnxruntime's choice, one per physical core)."""
    try:
        return max(0, int(os.environ.get("OPENPESEL_EXTRACTOR_THREADS", "0")))
    except ValueError:
        return 0


def _padded(side: int) -> int:
    return (side + SIZE_MULTIPLE - 1) // SIZE_MULTIPLE * SIZE_MULTIPLE


def _session(onnxruntime: Any, path: Path) -> Any:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads()
    # Spinning workers burn a shared machine's cores between the calls of a CLI command.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _check(model: Any, path: Path, torch: Any) -> None:
    """Refuse a converted model whose scores differ from Keras's on a test image."""
    import onnxruntime

    rng = np.random.default_rng(13)
    image = rng.integers(0, 256, (1, 5 * SIZE_MULTIPLE, 7 * SIZE_MULTIPLE, 1)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(image), training=False).numpy()
    got = _session(onnxruntime, path).run(None, {"image": image})[0]
    # Position and type scores; direction wraps at +-pi and the suppressed score is a max.
    difference = float(np.abs(expected[..., [0, 2]] - got[..., [0, 2]]).max())
    if not difference <= CHECK_TOLERANCE:
        raise OnnxUnavailable(f"the converted model's scores differ by {difference:.2g}")


@contextlib.contextmanager
def _static_layer_norm(torch: Any) -> Iterator[None]:
    """Keras passes LayerNormalization's shape as traced sizes, which the exporter refuses.

    The normalised axis is the channel axis, whose size is fixed by the weights,
    so turning the traced sizes into ints is exact for every input size.
    """
    functional = torch.nn.functional
    original = functional.layer_norm

    def layer_norm(x: Any, shape: Any, *args: Any, **kwargs: Any) -> Any:
        return original(x, tuple(int(s) for s in shape), *args, **kwargs)

    functional.layer_norm = layer_norm
    try:
        yield
    finally:
        functional.layer_norm = original
