from __future__ import annotations

import contextlib
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from openpesel.biometrics import (
    FingerPosition,
    FingerprintTemplate,
    Minutia,
    MinutiaKind,
    TemplateError,
    TemplateVersionError,
    decode_template,
    decode_templates,
    encode_template,
)
from openpesel.biometrics.codec import IsoVersion, record_version
from openpesel.biometrics.errors import TemplateEncodingError
from tests.support.fuzzing import examples

VERSIONS: tuple[IsoVersion, ...] = ("2005", "2011")
ANGLE_UNIT = 2 * math.pi / 256


@st.composite
def templates(draw: st.DrawFn) -> FingerprintTemplate:
    width = draw(st.integers(1, 2000))
    height = draw(st.integers(1, 2000))
    minutia = st.builds(
        Minutia,
        x=st.integers(0, width - 1),
        y=st.integers(0, height - 1),
        angle=st.floats(0, 2 * math.pi, exclude_max=True),
        kind=st.sampled_from(MinutiaKind),
        quality=st.integers(1, 100),
    )
    return FingerprintTemplate(
        width=width,
        height=height,
        minutiae=tuple(draw(st.lists(minutia, max_size=60))),
        dpi=draw(st.sampled_from([500, 1000, 569])),
        finger=draw(st.sampled_from(FingerPosition)),
        quality=draw(st.integers(0, 100)),
        impression_type=draw(st.sampled_from([0, 1, 2, 3, 8])),
    )


def angle_error(a: float, b: float) -> float:
    return abs((a - b + math.pi) % (2 * math.pi) - math.pi)


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=templates())
def test_round_trip_keeps_everything_but_angle_precision(
    version: IsoVersion, template: FingerprintTemplate
) -> None:
    record = encode_template(template, version)
    assert record_version(record) == version
    back = decode_template(record)
    assert (back.width, back.height, back.finger, back.quality) == (
        template.width,
        template.height,
        template.finger,
        template.quality,
    )
    assert back.impression_type == template.impression_type
    assert abs(back.dpi - template.dpi) <= 2  # stored in pixels per centimetre
    assert len(back.minutiae) == len(template.minutiae)
    for before, after in zip(template.minutiae, back.minutiae, strict=True):
        assert (after.x, after.y, after.kind, after.quality) == (
            before.x,
            before.y,
            before.kind,
            before.quality,
        )
        assert angle_error(after.angle, before.angle) <= ANGLE_UNIT / 2 + 1e-9
    assert encode_template(back, version) == record


@pytest.mark.parametrize("version", VERSIONS)
def test_record_sizes_follow_the_standard(version: IsoVersion) -> None:
    template = FingerprintTemplate(
        width=300, height=400, minutiae=(Minutia(10, 20, 1.0, MinutiaKind.ENDING, 80),) * 3
    )
    header = {"2005": 24 + 4, "2011": 15 + 4 + 9 + 5 + 1 + 5 + 2 + 4 + 1 + 4 + 2}[version]
    assert len(encode_template(template, version)) == header + 3 * 6 + 2


def test_minutia_bytes_match_the_layout() -> None:
    template = FingerprintTemplate(
        width=296, height=560, minutiae=(Minutia(11, 166, math.radians(45), MinutiaKind.ENDING, 7),)
    )
    record = encode_template(template, "2011")
    # Same bytes as an NBIS-written record holds for the same minutia.
    assert record[-8:-2] == bytes.fromhex("400b00a62007")


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=examples(300), deadline=None)
@given(data=st.data())
def test_damaged_records_raise_only_template_errors(
    version: IsoVersion, data: st.DataObject
) -> None:
    template = FingerprintTemplate(
        width=256,
        height=256,
        minutiae=tuple(Minutia(i * 7, i * 5, i * 0.3, MinutiaKind(i % 3), 50) for i in range(20)),
    )
    record = bytearray(encode_template(template, version))
    cut = data.draw(st.integers(0, len(record)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(record) - 1), st.integers(0, 255))))
    for index, value in flips:
        record[index] = value
    damaged = bytes(record[:cut]) if data.draw(st.booleans()) else bytes(record)
    with contextlib.suppress(TemplateError):
        decode_templates(damaged)


@settings(max_examples=examples(300), deadline=None)
@given(blob=st.binary(max_size=400))
def test_random_bytes_raise_only_template_errors(blob: bytes) -> None:
    for data in (blob, b"FMR\x00 20\x00" + blob, b"FMR\x00030\x00" + blob):
        with contextlib.suppress(TemplateError):
            decode_templates(data)


def test_specific_faults_are_named() -> None:
    good = encode_template(FingerprintTemplate(width=100, height=100, minutiae=()))
    with pytest.raises(TemplateError, match="FMR"):
        decode_template(b"XYZ\x00" + good[4:])
    with pytest.raises(TemplateVersionError):
        decode_template(good[:4] + b"999\x00" + good[8:])
    with pytest.raises(TemplateError, match="bytes long"):
        decode_template(good + b"\x00")
    with pytest.raises(TemplateError, match=r"truncated|long"):
        decode_template(good[:-3])


def test_minutiae_outside_the_image_cannot_be_encoded() -> None:
    template = FingerprintTemplate(width=10, height=10, minutiae=(Minutia(10, 3, 0.0),))
    with pytest.raises(TemplateEncodingError):
        encode_template(template)


def test_too_many_minutiae_cannot_be_encoded() -> None:
    template = FingerprintTemplate(width=500, height=500, minutiae=(Minutia(1, 1, 0.0),) * 256)
    with pytest.raises(TemplateEncodingError):
        encode_template(template, "2005")


def test_decodes_records_written_by_nbis() -> None:
    """Interoperability: a record NIST's NBIS (MINDTCT) wrote for synthetic finger 3.

    The record and NBIS's own minutiae list were captured once with the patched
    nbis-python wheel (../shared/tools/nbis-baseline), so this runs everywhere.
    """
    import json

    import numpy as np

    data = Path(__file__).with_name("data")
    template = decode_template((data / "nbis-synthetic-3.fmr").read_bytes())
    listed = json.loads((data / "nbis-synthetic-3.json").read_text())
    assert len(template.minutiae) == len(listed) > 0
    assert [(m.x, m.y) for m in template.minutiae] == [(v["x"], v["y"]) for v in listed]
    assert np.allclose(
        [math.degrees(m.angle) for m in template.minutiae],
        [v["angle"] % 360 for v in listed],
        atol=1.0,
    )
