"""Extraction, quality and the transparency sink on synthetic prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from openpesel.biometrics import (
    ExtractionFailed,
    FingerprintImage,
    FingerprintTemplate,
    LowQuality,
    TooFewMinutiae,
    assess_quality,
    extract_template,
    from_pixels,
    require_quality,
)
from openpesel.biometrics._engine import raw_minutiae
from openpesel.biometrics.transparency import CollectingTransparency, Transparency, current

Images = dict[tuple[int, int], FingerprintImage]


def test_leader_finds_minutiae_inside_the_print(
    templates: dict[tuple[int, int], FingerprintTemplate], impressions: Images
) -> None:
    for key, template in templates.items():
        image = impressions[key]
        assert 10 <= len(template.minutiae) <= 128
        for m in template.minutiae:
            assert 0 <= m.x < image.width and 0 <= m.y < image.height
            assert 0 <= m.angle < 2 * np.pi and 1 <= m.quality <= 100
        assert template.width == image.width and 0 < template.quality <= 100


def test_minutiae_are_best_first(templates: dict[tuple[int, int], FingerprintTemplate]) -> None:
    qualities = [m.quality for m in templates[(0, 0)].minutiae]
    assert qualities == sorted(qualities, reverse=True)


def test_quality_drops_with_blur_and_noise(impressions: Images) -> None:
    good = impressions[(1, 0)]
    rng = np.random.default_rng(5)
    smeared = cv2.GaussianBlur(good.pixels, (0, 0), 2.5).astype(float)
    smeared += rng.normal(0, 40, size=smeared.shape)
    bad = FingerprintImage(pixels=np.clip(smeared, 0, 255).astype(np.uint8))  # skips intake checks
    good_report, bad_report = assess_quality(good), assess_quality(bad)
    assert good_report.score > bad_report.score + 15
    assert not good_report.needs_recapture
    assert set(good_report.features) >= {
        "orientation_certainty",
        "ridge_clarity",
        "foreground_area",
    }
    assert all(0.0 <= v <= 1.0 for v in good_report.features.values())
    assert require_quality(good_report) is good_report
    with pytest.raises(LowQuality, match=str(bad_report.score)):
        require_quality(bad_report, minimum=bad_report.score + 1)


def test_parallel_ridges_have_too_few_minutiae() -> None:
    ys, xs = np.mgrid[0:200, 0:200]
    ridges = (128 + 100 * np.cos(2 * np.pi * (xs + 0.3 * ys) / 9.0)).astype(np.uint8)
    image = from_pixels(ridges)  # a ridge pattern, so intake accepts it
    with pytest.raises(TooFewMinutiae):
        extract_template(image, require_minutiae=True)


def test_transparency_shows_intermediates_only_when_asked(impressions: Images) -> None:
    image = impressions[(3, 0)]
    with CollectingTransparency({"raw-minutiae", "quality-features"}) as seen:
        template = extract_template(image, method="classic")
        with CollectingTransparency({"filtered-minutiae"}) as inner:
            extract_template(image, method="classic")
        assert current() is seen  # the inner sink was restored on exit
    assert set(seen.records) == {"raw-minutiae", "quality-features"}
    assert len(seen.records["raw-minutiae"]) >= len(template.minutiae)
    assert inner.records["filtered-minutiae"] == template.minutiae
    assert type(current()) is Transparency  # the null sink is back

    def explode() -> Any:
        raise AssertionError("the null sink must not evaluate suppliers")

    current().log("raw-minutiae", explode)


def test_broken_network_falls_back_to_the_classic_pipeline(
    monkeypatch: pytest.MonkeyPatch, impressions: Images, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENPESEL_CACHE_DIR", str(tmp_path))  # no cached ONNX copy either
    pf = raw_minutiae._load_pyfing()

    def unreadable_weights(*args: Any, **kwargs: Any) -> Any:
        raise OSError("weights file unreadable")

    monkeypatch.setattr(pf, "Leader", unreadable_weights)
    monkeypatch.setattr(raw_minutiae, "_algorithms", {})
    monkeypatch.setattr(raw_minutiae, "_broken", set())
    with CollectingTransparency({"extractor-fallback"}) as seen:
        template = extract_template(impressions[(0, 1)], method="leader")
    assert "weights file unreadable" in seen.records["extractor-fallback"]
    assert raw_minutiae._broken == {"leader"}
    assert len(template.minutiae) > 5


def test_a_failing_image_raises_without_downgrading_the_extractor(
    monkeypatch: pytest.MonkeyPatch, impressions: Images
) -> None:
    class Choking:
        def run(self, *args: Any) -> Any:
            raise ValueError("shapes do not match")

    monkeypatch.setattr(raw_minutiae, "_algorithms", {"leader": Choking()})
    monkeypatch.setattr(raw_minutiae, "_broken", set())
    with pytest.raises(ExtractionFailed, match="shapes do not match"):
        extract_template(impressions[(0, 1)], method="leader")
    assert raw_minutiae._broken == set()


def test_unknown_method_is_refused(impressions: Images) -> None:
    with pytest.raises(ValueError, match="extractor"):
        extract_template(impressions[(0, 0)], method="magic")
