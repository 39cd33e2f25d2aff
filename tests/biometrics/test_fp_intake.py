from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from openpesel.biometrics import (
    BlankImage,
    CorruptImage,
    FingerPosition,
    ImageRejected,
    ImageSizeOutOfRange,
    NotAFingerprint,
    ResolutionOutOfRange,
    UnsupportedFormat,
    from_pixels,
    load_image,
)
from openpesel.biometrics._engine.decoding import encode_wsq
from openpesel.biometrics.errors import BiometricsError
from openpesel.errors import OpenPeselError

Encoder = Callable[..., bytes]


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "BMP"])
def test_lossless_formats_give_back_the_pixels(
    encode: Encoder, print_pixels: npt.NDArray[np.uint8], fmt: str
) -> None:
    image = load_image(encode(print_pixels, fmt))
    assert image.source_format == fmt
    assert np.array_equal(image.pixels, print_pixels)


def test_jpeg_is_read_close_to_the_original(
    encode: Encoder, print_pixels: npt.NDArray[np.uint8]
) -> None:
    image = load_image(encode(print_pixels, "JPEG", quality=95))
    assert image.pixels.shape == print_pixels.shape
    assert np.abs(image.pixels.astype(int) - print_pixels).mean() < 6


def test_wsq_is_read(print_pixels: npt.NDArray[np.uint8]) -> None:
    image = load_image(encode_wsq(print_pixels, 500))
    assert image.source_format == "WSQ"
    assert image.pixels.shape == print_pixels.shape
    assert np.abs(image.pixels.astype(int) - print_pixels).mean() < 12


def test_colour_and_alpha_become_grey_on_white(
    encode: Encoder, print_pixels: npt.NDArray[np.uint8]
) -> None:
    rgba = np.dstack([print_pixels] * 3 + [np.full_like(print_pixels, 255)])
    rgba[:20, :, 3] = 0  # transparent band must read as white background
    image = load_image(encode(rgba, "PNG"))
    assert image.pixels[:20].min() == 255
    assert np.array_equal(image.pixels[20:], print_pixels[20:])


def test_resolution_from_the_file_is_normalised_to_500_dpi(
    encode: Encoder, print_pixels: npt.NDArray[np.uint8]
) -> None:
    height, width = print_pixels.shape
    fine = np.asarray(Image.fromarray(print_pixels).resize((width * 2, height * 2)))
    image = load_image(encode(fine, "PNG", dpi=(1000, 1000)))
    assert image.source_dpi == 1000
    assert image.pixels.shape == print_pixels.shape
    assert np.abs(image.pixels.astype(int) - print_pixels).mean() < 10


def test_caller_resolution_wins_over_an_implausible_file_value(
    encode: Encoder,
    print_pixels: npt.NDArray[np.uint8],
) -> None:
    data = encode(print_pixels, "TIFF", dpi=(1, 1))  # as the FVC TIFFs do
    assert load_image(data).source_dpi == 500
    scaled = load_image(data, dpi=400)
    assert scaled.pixels.shape == (
        round(print_pixels.shape[0] * 1.25),
        round(print_pixels.shape[1] * 1.25),
    )


def test_finger_position_is_kept(encode: Encoder, print_pixels: npt.NDArray[np.uint8]) -> None:
    image = load_image(encode(print_pixels, "PNG"), finger=7)
    assert image.finger is FingerPosition.LEFT_INDEX
    assert [int(f) for f in FingerPosition] == list(range(11))
    assert FingerPosition.RIGHT_LITTLE.is_right_hand and FingerPosition.LEFT_THUMB.is_left_hand


def test_errors_belong_to_the_project_hierarchy() -> None:
    assert issubclass(ImageRejected, BiometricsError)
    assert issubclass(BiometricsError, OpenPeselError)


def test_empty_and_truncated_files_are_corrupt(
    encode: Encoder, print_pixels: npt.NDArray[np.uint8]
) -> None:
    with pytest.raises(CorruptImage):
        load_image(b"")
    png = encode(print_pixels, "PNG")
    with pytest.raises(CorruptImage):
        load_image(png[: len(png) // 2])


def test_truncated_wsq_is_corrupt(print_pixels: npt.NDArray[np.uint8]) -> None:
    wsq = encode_wsq(print_pixels, 500)
    with pytest.raises(CorruptImage):
        load_image(wsq[: len(wsq) // 3])
    with pytest.raises(CorruptImage):
        load_image(b"\xff\xa0garbage")


def test_unknown_bytes_are_an_unsupported_format() -> None:
    with pytest.raises(UnsupportedFormat):
        load_image(b"%PDF-1.7 this is not an image" * 10)


def test_gif_is_not_accepted(encode: Encoder, print_pixels: npt.NDArray[np.uint8]) -> None:
    with pytest.raises(UnsupportedFormat):
        load_image(encode(print_pixels, "GIF"))


def test_blank_image_is_refused() -> None:
    with pytest.raises(BlankImage):
        from_pixels(np.full((300, 300), 250, dtype=np.uint8))


def test_too_small_image_is_refused(encode: Encoder, print_pixels: npt.NDArray[np.uint8]) -> None:
    with pytest.raises(ImageSizeOutOfRange):
        load_image(encode(print_pixels[:50, :50], "PNG"))


def test_absurd_declared_size_is_refused_before_decoding() -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
    with pytest.raises(ImageSizeOutOfRange):
        load_image(bomb)


def test_implausible_resolution_is_refused(
    encode: Encoder, print_pixels: npt.NDArray[np.uint8]
) -> None:
    with pytest.raises(ResolutionOutOfRange):
        load_image(encode(print_pixels, "PNG"), dpi=72)


def test_textures_without_ridges_are_not_fingerprints() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, size=(300, 300), dtype=np.uint8)
    with pytest.raises(NotAFingerprint):
        from_pixels(noise)
    ys, xs = np.mgrid[0:300, 0:300]
    blobs = (127 + 100 * np.sin(xs / 23.0) * np.cos(ys / 31.0)).astype(np.uint8)
    with pytest.raises(NotAFingerprint):
        from_pixels(blobs)


def test_landscape_photo_is_not_a_fingerprint(shared_data: Path) -> None:
    with pytest.raises(NotAFingerprint):
        load_image(shared_data / "nbis_samples" / "negative" / "landscape.jpg")
    for path in sorted((shared_data / "nbis_samples").glob("p*/*.png")):
        assert load_image(path).width > 0
