"""ANSI/NIST-ITL 1-2011 transactions (issue 21 §4): round trips, the wire layout other AFIS
read, and a fuzz test that a malformed file only ever gets a TransactionError."""

from __future__ import annotations

import contextlib
import math
import struct
from collections.abc import Callable
from datetime import date

import nistitl
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from openpesel.biometrics import FingerprintTemplate, load_image
from openpesel.biometrics.ansi_nist import (
    FingerImage,
    Subject,
    Transaction,
    TransactionError,
    decode,
    encode,
)
from openpesel.biometrics.ansi_nist_minutiae import EncodedMinutiae
from openpesel.biometrics.finger import FingerPosition
from openpesel.biometrics.template import Minutia, MinutiaKind

PPIS = st.sampled_from([500, 1000, 2000])
TEXT = st.text(st.characters(codec="utf-8", categories=["L", "N"]) | st.just(" "), max_size=20)


@st.composite
def images(draw: st.DrawFn) -> FingerImage:
    width, height = draw(st.integers(8, 48)), draw(st.integers(8, 48))
    record_type = draw(st.sampled_from([4, 13, 14]))
    ppi = 500 if record_type == 4 else draw(PPIS)
    compression = draw(st.sampled_from(["NONE"] if record_type == 4 else ["NONE", "PNG"]))
    pixels = np.frombuffer(draw(st.binary(min_size=width * height, max_size=width * height)),
                           np.uint8).reshape(height, width)
    positions = (draw(st.integers(1, 10)),) if record_type != 13 else tuple(
        draw(st.lists(st.integers(0, 10), min_size=1, max_size=6, unique=True)))
    minutiae = None
    if draw(st.booleans()):
        points = draw(st.lists(st.tuples(st.integers(0, width - 1), st.integers(0, height - 1),
                                         st.floats(0, 2 * math.pi, exclude_max=True),
                                         st.sampled_from(list(MinutiaKind)),
                                         st.integers(0, 100)), max_size=12))
        template = FingerprintTemplate(width, height, tuple(Minutia(*p) for p in points),
                                       dpi=ppi, finger=FingerPosition(positions[0]))
        minutiae = EncodedMinutiae(template, draw(st.sampled_from("AEM")), "OPENPESEL")
    return FingerImage.from_pixels(pixels, positions=positions, ppi=ppi,
                                   compression=compression, record_type=record_type,
                                   impression=draw(st.sampled_from([0, 1, 4])),
                                   captured=None if record_type == 4 else draw(
                                       st.none() | st.dates()), minutiae=minutiae)


@st.composite
def transactions(draw: st.DrawFn) -> Transaction:
    subject = draw(st.none() | st.builds(
        Subject, st.from_regex(r"\A[0-9]{11}\Z"), TEXT.map(str.strip), TEXT.map(str.strip),
        st.none() | st.dates(), st.sampled_from(["", "F", "M"])))
    if subject is not None and "," in subject.family_name:
        subject = None
    return Transaction(draw(st.sampled_from(["CAR", "LFIS", "LFFS"])), "PL0000000",
                       "PL0140000", draw(st.from_regex(r"\A[A-Z0-9-]{1,20}\Z")),
                       draw(st.dates(date(2000, 1, 1))), subject,
                       tuple(draw(st.lists(images(), max_size=4))))


def _without_minutiae(image: FingerImage) -> FingerImage:
    return FingerImage(**{**image.__dict__, "minutiae": None})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent=transactions())
def test_every_transaction_reads_back_as_sent(sent: Transaction) -> None:
    received = decode(encode(sent))
    assert received.subject == sent.subject
    assert (received.type_of_transaction, received.originator, received.destination,
            received.control_number, received.day) == (
        sent.type_of_transaction, sent.originator, sent.destination, sent.control_number,
        sent.day)
    assert [_without_minutiae(i) for i in received.images] == [
        _without_minutiae(i) for i in sent.images]
    for got, put in zip(received.images, sent.images, strict=True):
        assert np.array_equal(got.pixels(), put.pixels())
        if put.minutiae is None:
            assert got.minutiae is None
            continue
        assert got.minutiae is not None and got.minutiae.method == put.minutiae.method
        for a, b in zip(got.minutiae.template.minutiae, put.minutiae.template.minutiae,
                        strict=True):
            assert (a.x, a.y, a.kind) == (b.x, b.y, b.kind), "positions survive 0.01 mm units"
            turn = abs(a.angle - b.angle) % (2 * math.pi)
            assert min(turn, 2 * math.pi - turn) <= math.radians(0.5) + 1e-9
            assert abs(a.quality - b.quality) <= 1


def _tenprint(finger_png: bytes | None = None) -> Transaction:
    pixels = (np.indices((40, 30)).sum(axis=0) % 7 * 30).astype(np.uint8)
    template = FingerprintTemplate(30, 40, (Minutia(0, 39, 0.0, MinutiaKind.ENDING),
                                            Minutia(29, 0, math.pi, MinutiaKind.BIFURCATION)))
    return Transaction(
        "CAR", "PL0000000", "PL0140000", "KWP-2026-1", date(2026, 12, 6),
        Subject("00000000000", "Wójcik", "Łukasz Jan", date(1990, 6, 15), "M"),
        (FingerImage.from_pixels(pixels, positions=(2,), compression="NONE",
                                 minutiae=EncodedMinutiae(template)),
         FingerImage.from_pixels(pixels, positions=(7,), compression="NONE", record_type=4)))


def test_the_wire_layout_is_what_other_afis_read() -> None:
    data = encode(_tenprint())
    msg = nistitl.Message()
    msg.parse(data)  # IDEMIA's parser, independently of ours, accepts the file
    assert msg[0]._2 == "0500" and msg[0]._15 == [["3", "UTF-8"]]
    assert [r.type for r in msg] == [1, 2, 14, 9, 4]
    type9 = next(r for r in msg if r.type == 9)
    assert type9._4 == "S" and type9._10 == "2"
    # Lower-left origin, 0.01 mm units at 500 ppi (5.08 a pixel), whole degrees.
    assert type9._12 == [["1", "00000000000", "63", "A"], ["2", "01470198180", "63", "B"]]
    type4 = data[data.index(b"\x1c", data.index(b"9.001:")) + 1:]
    length, idc, imp, fgp, isr, width, height, gca = struct.unpack("!LBB6sBHHB", type4[:18])
    assert (length, idc, imp, fgp, isr, width, height, gca) == (
        18 + 30 * 40, 2, 0, b"\x07" + b"\xff" * 5, 0, 30, 40, 0)
    assert "Łukasz Jan" in data.decode("utf-8", errors="replace")


def test_a_tenprint_image_is_something_the_intake_reads() -> None:
    from openpesel.biometrics.synthetic import SyntheticFinger

    finger = SyntheticFinger.create(5).impression(0)
    sent = Transaction("CAR", "PL0000000", "PL0140000", "T-1", date(2026, 12, 6), None,
                       (FingerImage.from_pixels(finger.pixels, positions=(2,)),))
    (image,) = decode(encode(sent)).images
    assert image.compression == "WSQ20"
    assert load_image(image.scan_bytes(), dpi=image.ppi).pixels.shape == finger.pixels.shape


@pytest.mark.parametrize(("cut", "says"), [
    (lambda b: b[:-3], "not a valid"),
    (lambda b: b.replace(b"1.002:0500", b"1.002:0200"), "version"),
    (lambda b: b.replace(b"14.012:8", b"14.012:9"), "8-bit"),
    (lambda b: b.replace(b"14.008:1", b"14.008:0"), "resolution"),
    (lambda b: b.replace(b"14.006:30", b"14.006:31"), "wrong number of bytes"),
    (lambda b: b.replace(b"9.012:1\x1f0000", b"9.012:1\x1f9999"), "position"),
])
def test_a_malformed_file_gets_one_clear_refusal(cut: Callable[[bytes], bytes],
                                                 says: str) -> None:
    data = encode(_tenprint())
    broken = cut(data)
    assert broken != data, "the damage applies to the file this test writes"
    with pytest.raises(TransactionError, match=says):
        decode(broken)


def _edited(**fields: str) -> bytes:
    """The tenprint with its Type-14 record's fields changed, lengths recomputed."""
    msg = nistitl.Message()
    msg.parse(encode(_tenprint()))
    record = next(r for r in msg if r.type == 14)
    for tag, value in fields.items():
        setattr(record, tag, value)
    return bytes(msg.NIST)


def test_resolution_per_centimetre_slaps_and_a_repeated_idc() -> None:
    per_cm = decode(_edited(_8="2", _9="197", _10="197")).images[0]
    assert per_cm.ppi == 500  # 197 pixels a centimetre
    assert decode(_edited(_13="13")).images[0].positions == (13,)  # a slap
    msg = nistitl.Message()
    msg.parse(encode(_tenprint()))
    msg += next(r for r in msg if r.type == 14)
    with pytest.raises(TransactionError, match="share IDC"):
        decode(msg.NIST)


def test_minutiae_without_an_image_cannot_be_placed() -> None:
    msg = nistitl.Message()
    msg.TOT = "LFFS"
    msg[0]._2 = "0500"
    record = nistitl.AsciiRecord(9)
    record.IDC = 1
    record += nistitl.Field(9, 4, "S")
    msg += record
    with pytest.raises(TransactionError, match="no image record"):
        decode(msg.NIST)


def test_text_that_would_split_a_field_is_refused() -> None:
    sent = _tenprint()
    bad = Transaction(sent.type_of_transaction, sent.originator, sent.destination,
                      "T\x1e1", sent.day)
    with pytest.raises(TransactionError):
        encode(bad)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fuzz_a_damaged_file_reads_or_is_refused_never_crashes(data: st.DataObject) -> None:
    original = bytearray(encode(_tenprint()))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(original) - 1))
        match data.draw(st.sampled_from(["flip", "cut", "insert", "drop"])):
            case "flip":
                original[at] = data.draw(st.integers(0, 255))
            case "cut":
                del original[at:]
            case "insert":
                original[at:at] = data.draw(st.binary(min_size=1, max_size=8))
            case "drop":
                del original[at:at + data.draw(st.integers(1, 16))]
        if not original:
            break
    with contextlib.suppress(TransactionError):
        decode(bytes(original))
