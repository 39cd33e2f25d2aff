"""Fingerprint image intake: decode, grey, 500 dpi, and refuse what is not a fingerprint.

The one door through which pixels enter the pipeline. After :func:`load_image`
every stage may assume an 8-bit grey array at 500 dpi of a plausible size that
shows ridge flow, so none of them re-checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import decoding, resampling, ridge_blocks
from openpesel.biometrics.errors import (
    BlankImage,
    ImageSizeOutOfRange,
    NotAFingerprint,
    ResolutionOutOfRange,
)
from openpesel.biometrics.finger import FingerPosition
from openpesel.biometrics.transparency import current


@dataclass(frozen=True, eq=False)
class FingerprintImage:
    """8-bit grey pixels at :data:`~openpesel.biometrics.parameters.TARGET_DPI`."""

    pixels: npt.NDArray[np.uint8] = field(repr=False)
    finger: FingerPosition = FingerPosition.UNKNOWN
    source_dpi: float = p.TARGET_DPI
    source_format: str = "array"

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def dpi(self) -> int:
        return p.TARGET_DPI


def load_image(
    source: bytes | str | Path,
    *,
    dpi: float | None = None,
    finger: FingerPosition | int = FingerPosition.UNKNOWN,
) -> FingerprintImage:
    """Read a PNG, TIFF, BMP, JPEG or WSQ fingerprint from bytes or a path.

    ``dpi`` is the scanner's resolution: when given it wins over the file's own
    (FVC TIFFs, for example, claim 1 dpi); otherwise the file's value is used,
    else 500. Raises an :class:`~openpesel.biometrics.errors.ImageRejected`
    subclass naming the reason the image cannot be used.
    """
    data = Path(source).read_bytes() if isinstance(source, str | Path) else bytes(source)
    decoded = decoding.decode(data)
    current().log("decoded-image", lambda: decoded.pixels)
    resolution = dpi if dpi is not None else decoded.file_dpi or p.DEFAULT_DPI
    return from_pixels(
        decoded.pixels,
        dpi=resolution,
        finger=finger,
        source_format=decoded.format,
    )


def from_pixels(
    pixels: npt.NDArray[np.uint8],
    *,
    dpi: float = p.DEFAULT_DPI,
    finger: FingerPosition | int = FingerPosition.UNKNOWN,
    source_format: str = "array",
) -> FingerprintImage:
    """Accept an already decoded grey array (e.g. from a live scanner SDK)."""
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ImageSizeOutOfRange("A fingerprint image is a 2-D array of 8-bit grey levels.")
    if not p.MIN_DPI <= dpi <= p.MAX_DPI:
        raise ResolutionOutOfRange(
            f"{dpi:g} dpi is outside {p.MIN_DPI}-{p.MAX_DPI} dpi; state the scanner's resolution."
        )
    normalised = resampling.to_target_dpi(pixels, dpi)
    _check_size(normalised)
    _check_content(normalised)
    current().log("normalised-image", lambda: normalised)
    return FingerprintImage(
        pixels=normalised,
        finger=FingerPosition(int(finger)),
        source_dpi=float(dpi),
        source_format=source_format,
    )


def _check_size(pixels: npt.NDArray[np.uint8]) -> None:
    height, width = pixels.shape
    if min(height, width) < p.MIN_SIDE or max(height, width) > p.MAX_SIDE:
        raise ImageSizeOutOfRange(
            f"At 500 dpi the image is {width}x{height} pixels; a fingerprint needs "
            f"{p.MIN_SIDE}-{p.MAX_SIDE} pixels a side."
        )


def _check_content(pixels: npt.NDArray[np.uint8]) -> None:
    if float(pixels.std()) < p.MIN_BLANK_STD:
        raise BlankImage()
    blocks = ridge_blocks.compute(pixels)
    fg = blocks.foreground
    if fg.mean() < p.MIN_FOREGROUND_FRACTION:
        raise BlankImage("The image has almost no textured area: no finger was on the scanner.")
    share = blocks.ridge_block_share()
    if share < p.MIN_RIDGE_BLOCK_SHARE:
        raise NotAFingerprint(
            "The image does not show a fingerprint: no regular ridge pattern was found "
            f"({share:.0%} of the textured area looks like ridges)."
        )
