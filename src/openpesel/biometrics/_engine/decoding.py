"""Decoded image: bytes of a PNG, TIFF, BMP, JPEG or WSQ file to 8-bit grey pixels.

Pure: bytes in, array out. Every failure of the third-party decoders is
translated here, once, into an :class:`~openpesel.biometrics.errors.ImageRejected`
subclass, because a scanner upload is outside input and must never surface
as a Pillow ``OSError`` in the register.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from openpesel.biometrics import parameters as p
from openpesel.biometrics.errors import (
    CorruptImage,
    ImageSizeOutOfRange,
    UnsupportedFormat,
)

PILLOW_FORMATS = ("PNG", "TIFF", "BMP", "JPEG")
WSQ_MAGIC = b"\xff\xa0"


@dataclass(frozen=True)
class DecodedImage:
    pixels: npt.NDArray[np.uint8]
    file_dpi: float | None
    """Resolution stated by the file, or None where absent or implausible."""
    format: str


def decode(data: bytes) -> DecodedImage:
    """Decode one image file's bytes; raises an ``ImageRejected`` subclass on bad input."""
    if not data:
        raise CorruptImage("The image file is empty.")
    if len(data) > p.MAX_FILE_BYTES:
        raise ImageSizeOutOfRange(f"The image file is larger than {p.MAX_FILE_BYTES} bytes.")
    if data[:2] == WSQ_MAGIC:
        return _decode_wsq(data)
    return _decode_with_pillow(data)


def _decode_with_pillow(data: bytes) -> DecodedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=PILLOW_FORMATS)
            _check_pixel_count(image.size[0], image.size[1])
            image.load()
    except UnidentifiedImageError:
        raise UnsupportedFormat() from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageSizeOutOfRange() from None
    except ImageSizeOutOfRange:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError) as e:
        raise CorruptImage(f"The image file is truncated or corrupt ({e}).") from None
    fmt = image.format or "unknown"
    pixels = _to_grey(image)
    return DecodedImage(pixels=pixels, file_dpi=_plausible_dpi(image.info.get("dpi")), format=fmt)


def _check_pixel_count(width: int, height: int) -> None:
    if width <= 0 or height <= 0 or width * height > p.MAX_DECODED_PIXELS:
        raise ImageSizeOutOfRange(f"A {width}x{height} image cannot hold a single fingerprint.")


def _to_grey(image: Image.Image) -> npt.NDArray[np.uint8]:
    """Flatten transparency onto white (scanner background) and reduce to 8-bit luminance."""
    try:
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            wide = np.asarray(image, dtype=np.float64)
            span = max(float(wide.max() - wide.min()), 1.0)
            return np.asarray((wide - wide.min()) * (255.0 / span), dtype=np.uint8)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, rgba)
        return np.array(image.convert("L"), dtype=np.uint8)
    except (OSError, ValueError) as e:
        raise CorruptImage(f"The image pixels cannot be converted to grey ({e}).") from None


def _plausible_dpi(raw: object) -> float | None:
    if not isinstance(raw, tuple) or not raw:
        return None
    try:
        value = float(raw[0])
    except (TypeError, ValueError):
        return None
    # PNG stores pixels per metre, so 500 dpi comes back as 499.99...; round that away.
    return round(value, 1) if value >= p.MIN_PLAUSIBLE_FILE_DPI else None


def _wsq_frame_size(data: bytes) -> tuple[int, int]:
    """Walk the WSQ markers to the start-of-frame header, bounds-checked (the C decoder is not)."""
    pos = 2
    while pos + 4 <= len(data):
        marker = data[pos : pos + 2]
        if marker == b"\xff\xa2":
            if pos + 10 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 6 : pos + 10])
            return width, height
        if marker in (b"\xff\xa3", b"\xff\xa4", b"\xff\xa5", b"\xff\xa6", b"\xff\xa7", b"\xff\xa8"):
            (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
            if length < 2:
                break
            pos += 2 + length
        else:
            break
    raise CorruptImage("The WSQ file has no valid frame header.")


def _decode_wsq(data: bytes) -> DecodedImage:
    width, height = _wsq_frame_size(data)
    _check_pixel_count(width, height)
    try:
        import _wsq  # type: ignore[import-not-found]
    except ImportError:
        raise UnsupportedFormat("WSQ needs the 'wsq' package (the 'biometrics' extra).") from None
    try:
        buffer, w, h, ppi = _wsq.decompress(data)
    except Exception as e:  # the C extension raises bare exceptions of several kinds
        raise CorruptImage(f"The WSQ data cannot be decoded ({e}).") from None
    if (w, h) != (width, height) or len(buffer) != w * h:
        raise CorruptImage("The WSQ data is truncated.")
    pixels = np.frombuffer(buffer, dtype=np.uint8).reshape(h, w).copy()
    dpi = float(ppi) if ppi and ppi >= p.MIN_PLAUSIBLE_FILE_DPI else None
    return DecodedImage(pixels=pixels, file_dpi=dpi, format="WSQ")


def encode_wsq(pixels: npt.NDArray[np.uint8], dpi: int, bitrate: float = 2.25) -> bytes:
    """WSQ at the FBI's 15:1-ish default bit rate; lossy, kept for exchange with other AFIS."""
    try:
        import _wsq
    except ImportError:
        raise UnsupportedFormat("WSQ needs the 'wsq' package (the 'biometrics' extra).") from None
    del dpi  # the wrapper writes no resolution; 500 dpi is WSQ's assumed default
    height, width = pixels.shape
    result = _wsq.compress(np.ascontiguousarray(pixels).tobytes(), height, width, bitrate)
    return bytes(result)


def encode_png(pixels: npt.NDArray[np.uint8], dpi: int) -> bytes:
    """Lossless PNG with the resolution recorded, so a reload needs no caller-supplied dpi."""
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG", dpi=(dpi, dpi), optimize=False)
    return out.getvalue()
