"""1:N identification on synthetic galleries: the mate at rank 1, fusion, filters, removal."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings, strategies as st

from openpesel.biometrics import FingerprintImage, FingerprintTemplate, Matcher, Minutia
from openpesel.biometrics._engine import cylinders
from openpesel.biometrics._engine.synthesis import minutiae_sets
from openpesel.biometrics.identification import (
    Gallery,
    InProcessGallery,
    SubjectInfo,
    cylinder_batch,
    identify,
    paired_minutiae,
)
from openpesel.biometrics.identification.in_process import make_filters
from openpesel.biometrics.template import normalise_angle

Templates = dict[tuple[int, int], FingerprintTemplate]
SUBJECTS = 300
SHORTLIST = 15
"""5 % of the gallery goes to stage 2, so the index has to do its part."""
FINGERS = (2, 7)


def subject_key(subject: int) -> str:
    return f"S{subject:03d}"


def finger_seed(subject: int, finger: int) -> int:
    return 1000 * subject + finger


def impression(subject: int, finger: int, index: int) -> npt.NDArray[np.float64]:
    return minutiae_sets.impression(minutiae_sets.master(finger_seed(subject, finger)), index)


def info(subject: int) -> SubjectInfo:
    return SubjectInfo(sex="F" if subject % 2 else "M", birth_year=1940 + subject % 60)


@pytest.fixture(scope="module")
def gallery(templates: Templates) -> InProcessGallery:
    """300 template-level subjects with two fingers each, plus the LEADER-extracted
    synthetic images (impression 0) as subjects IMG0-IMG3 with one finger."""
    built = InProcessGallery(min_shortlist=SHORTLIST)
    built.add_many(
        [
            (subject_key(s), {f: impression(s, f, 0) for f in FINGERS}, info(s))
            for s in range(SUBJECTS)
        ]
    )
    for seed in {seed for seed, _ in templates}:
        built.add(f"IMG{seed}", {2: templates[(seed, 0)]}, SubjectInfo("F", 1990))
    return built


def test_the_gallery_meets_the_interface(gallery: InProcessGallery) -> None:
    assert isinstance(gallery, Gallery)
    assert len(gallery) == SUBJECTS + 4
    assert "S000" in gallery and "nobody" not in gallery


def test_image_mates_are_found_at_rank_1(gallery: InProcessGallery, templates: Templates) -> None:
    for (seed, index), template in sorted(templates.items()):
        if index == 0:
            continue
        candidates = gallery.search({2: template}, k=5)
        assert candidates[0].key == f"IMG{seed}", (seed, index, candidates[:2])
        assert candidates[0].rank == 1 and candidates[0].fingers[0].finger == 2
        assert [c.rank for c in candidates] == list(range(1, len(candidates) + 1))


def test_template_mates_are_found_at_rank_1(gallery: InProcessGallery) -> None:
    for subject in range(0, SUBJECTS, 10):
        candidates = gallery.search_minutiae({2: impression(subject, 2, 1)}, k=3)
        assert candidates[0].key == subject_key(subject)
        assert candidates[0].score > 2 * candidates[1].score


def test_scores_are_the_matchers(gallery: InProcessGallery, templates: Templates) -> None:
    """Stage 2 is the 1:1 matcher: same score as Matcher.score, up to float32 storage."""
    probe = templates[(1, 2)]
    found = gallery.search({2: probe}, k=1)[0]
    expected = Matcher(probe).score(Matcher(templates[(1, 0)]))
    assert found.score == pytest.approx(expected, abs=1.0)


def test_two_fingers_beat_or_equal_one(gallery: InProcessGallery) -> None:
    one_hits = two_hits = 0
    margins_one, margins_two = [], []
    for subject in range(1, SUBJECTS, 15):
        # Hard probes: impression 5 is a full-strength touch, and only half the minutiae.
        probe = {f: impression(subject, f, 5)[::2] for f in FINGERS}
        single = gallery.search_minutiae({2: probe[2]}, k=2)
        both = gallery.search_minutiae(probe, k=2)
        one_hits += single[0].key == subject_key(subject)
        two_hits += both[0].key == subject_key(subject)
        mate = both[0]
        if mate.key == subject_key(subject):
            assert {f.finger for f in mate.fingers} == set(FINGERS)
            assert mate.score == pytest.approx(sum(f.score for f in mate.fingers))
            assert mate.fingers[0].score >= mate.fingers[1].score
        margins_one.append(single[0].score - single[1].score)
        margins_two.append(both[0].score - both[1].score)
    assert two_hits >= one_hits
    assert two_hits >= 0.8 * len(margins_two)
    assert np.median(margins_two) > np.median(margins_one)


def test_demographic_filters_exclude_before_scoring(gallery: InProcessGallery) -> None:
    subject = 8  # "M", born 1948
    probe = {2: impression(subject, 2, 1)}
    key = subject_key(subject)
    assert gallery.search_minutiae(probe, sex="M")[0].key == key
    assert key not in {c.key for c in gallery.search_minutiae(probe, k=50, sex="F")}
    assert all(
        int(c.key[1:]) % 2 == 1
        for c in gallery.search_minutiae(probe, k=50, sex="F")
        if c.key.startswith("S")
    )
    assert gallery.search_minutiae(probe, birth_years=(1945, 1950))[0].key == key
    outside = gallery.search_minutiae(probe, k=50, birth_years=(1950, 1999))
    assert key not in {c.key for c in outside}
    assert all(1940 + int(c.key[1:]) % 60 >= 1950 for c in outside if c.key.startswith("S"))


def test_remove_takes_a_subject_out_of_every_result() -> None:
    gallery = InProcessGallery()
    gallery.add_many([(subject_key(s), {2: impression(s, 2, 0)}, info(s)) for s in range(40)])
    probe = {2: impression(3, 2, 1)}
    assert gallery.search_minutiae(probe)[0].key == "S003"
    assert gallery.remove("S003") and not gallery.remove("S003")
    assert "S003" not in gallery and len(gallery) == 39
    assert "S003" not in {c.key for c in gallery.search_minutiae(probe, k=40)}
    gallery.add_minutiae("S003", {2: impression(3, 2, 0)})
    assert gallery.search_minutiae(probe)[0].key == "S003"


def test_add_replaces_what_the_key_had() -> None:
    gallery = InProcessGallery()
    gallery.add_many([(subject_key(s), {2: impression(s, 2, 0)}, info(s)) for s in range(20)])
    gallery.add_minutiae("S005", {2: impression(77, 2, 0)})  # another finger under the key
    assert len(gallery) == 20
    old_finger = gallery.search_minutiae({2: impression(5, 2, 1)}, k=20)
    assert all(c.score < 30.0 for c in old_finger)  # impostor scores only: S005's finger is gone
    assert gallery.search_minutiae({2: impression(77, 2, 1)})[0].key == "S005"


def test_fingers_are_compared_by_position(gallery: InProcessGallery) -> None:
    probe = impression(4, 2, 1)
    assert gallery.search_minutiae({2: probe})[0].key == "S004"
    wrong = gallery.search_minutiae({3: probe}, k=50)  # nobody has a finger 3 enrolled
    assert wrong == []
    unknown = gallery.search_minutiae({0: probe})[0]
    assert unknown.key == "S004" and unknown.fingers[0].finger == 0


def test_bad_requests_are_refused(gallery: InProcessGallery) -> None:
    probe = {2: impression(1, 2, 1)}
    with pytest.raises(ValueError, match="Sex"):
        gallery.search_minutiae(probe, sex="X")
    with pytest.raises(ValueError, match="empty"):
        gallery.search_minutiae(probe, birth_years=(2000, 1990))
    with pytest.raises(ValueError, match="position"):
        gallery.search_minutiae({11: probe[2]})
    with pytest.raises(ValueError, match="k must"):
        gallery.search_minutiae(probe, k=0)
    with pytest.raises(ValueError, match="position"):
        InProcessGallery().add_minutiae("x", {12: probe[2]})
    assert InProcessGallery().search_minutiae(probe) == []


def test_identify_extracts_and_searches(
    gallery: InProcessGallery, impressions: dict[tuple[int, int], FingerprintImage]
) -> None:
    images = {2: impressions[(2, 1)]}
    assert identify(gallery, images, k=3)[0].key == "IMG2"
    assert "IMG2" not in {c.key for c in identify(gallery, images, k=50, sex="M")}


def rigidly_moved(
    template: FingerprintTemplate, degrees: float, dx: int, dy: int
) -> FingerprintTemplate:
    theta = math.radians(degrees)
    cx, cy = template.width / 2, template.height / 2
    moved = []
    for m in template.minutiae:
        u, v = m.x - cx, m.y - cy
        x = cx + u * math.cos(theta) + v * math.sin(theta) + dx
        y = cy - u * math.sin(theta) + v * math.cos(theta) + dy
        moved.append(
            dataclasses.replace(m, x=round(x), y=round(y), angle=normalise_angle(m.angle + theta))
        )
    return dataclasses.replace(template, width=1000, height=1000, minutiae=tuple(moved))


def test_paired_minutiae_are_the_corresponding_ones(templates: Templates) -> None:
    original = templates[(3, 0)]
    moved = rigidly_moved(original, 25.0, 200, 150)
    pairs = paired_minutiae(original, moved)
    assert 4 <= len(pairs) <= 12
    assert all(i == j and 0.0 < s <= 1.0 for i, j, s in pairs)
    genuine = paired_minutiae(templates[(3, 1)], original)
    assert genuine and all(
        0 <= i < len(templates[(3, 1)].minutiae) and 0 <= j < len(original.minutiae)
        for i, j, _ in genuine
    )
    # Paired minutiae of a genuine pair lie where a rigid placement puts them: their
    # pairwise distances agree within the skin's stretch.
    a = templates[(3, 1)].to_array()[[i for i, _, _ in genuine], :2]
    b = original.to_array()[[j for _, j, _ in genuine], :2]
    da = np.hypot(*(a[:, None] - a[None]).transpose(2, 0, 1))
    db = np.hypot(*(b[:, None] - b[None]).transpose(2, 0, 1))
    assert np.median(np.abs(da - db)) < 15.0
    empty = FingerprintTemplate(width=100, height=100, minutiae=(Minutia(5, 5, 0.0),))
    assert paired_minutiae(empty, original) == []


def test_compiled_cylinders_equal_the_numpy_builder(templates: Templates) -> None:
    rng = np.random.default_rng(5)
    samples = [t.to_array() for t in templates.values()]
    samples += [
        np.column_stack(
            [rng.integers(0, 300, n), rng.integers(0, 400, n), rng.uniform(0, 2 * np.pi, n)]
        ).astype(np.float64)
        for n in (0, 1, 3, 12, 40, 90)
    ]
    for minutiae in samples:
        expected = cylinders.build(minutiae)
        got = cylinder_batch.build(minutiae)
        for name in ("xy", "angle", "bits", "mask", "spatial", "distances"):
            assert np.array_equal(getattr(expected, name), getattr(got, name)), name
        assert np.allclose(expected.radial, got.radial, atol=1e-12)


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(
    subject=st.integers(0, SUBJECTS - 1),
    keep=st.floats(0.6, 1.0),
    degrees=st.floats(-30.0, 30.0),
    shift=st.tuples(st.integers(-60, 60), st.integers(-60, 60)),
)
def test_index_recalls_a_moved_and_partial_copy(
    gallery: InProcessGallery,
    subject: int,
    keep: float,
    degrees: float,
    shift: tuple[int, int],
) -> None:
    """Stage 1 alone puts the source finger within 1 % of the gallery whatever rigid
    placement and whatever share (at least 60 %) of its minutiae the probe shows."""
    source = impression(subject, 2, 0)
    chosen = source[: max(1, round(keep * len(source)))]
    theta = math.radians(degrees)
    x = chosen[:, 0] * math.cos(theta) + chosen[:, 1] * math.sin(theta) + shift[0] + 100
    y = -chosen[:, 0] * math.sin(theta) + chosen[:, 1] * math.cos(theta) + shift[1] + 100
    probe = np.column_stack([x, y, (chosen[:, 2] + theta) % (2 * math.pi)])
    shortlist = gallery.shortlist(gallery.prepare({2: probe}), make_filters(None, None), 3)
    assert subject_key(subject) in [key for _, key in shortlist["sum"]]
