"""MCC verification on synthetic fingers: the matcher must tell fingers apart."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from openpesel.biometrics import (
    FingerprintTemplate,
    Matcher,
    Minutia,
    decode_template,
    encode_template,
    verify,
)
from openpesel.biometrics.codec import IsoVersion
from openpesel.biometrics.matching import threshold_for
from openpesel.biometrics.template import normalise_angle

Templates = dict[tuple[int, int], FingerprintTemplate]


@pytest.fixture(scope="module")
def matchers(templates: Templates) -> dict[tuple[int, int], Matcher]:
    return {key: Matcher(t) for key, t in templates.items()}


def test_genuine_pairs_outscore_every_impostor_pair(
    matchers: dict[tuple[int, int], Matcher],
) -> None:
    genuine: list[float] = []
    impostor: list[float] = []
    for a, b in itertools.combinations(sorted(matchers), 2):
        score = matchers[a].score(matchers[b])
        (genuine if a[0] == b[0] else impostor).append(score)
    assert min(genuine) > max(impostor)
    assert np.median(genuine) > 3 * np.median(impostor)


def test_verify_decides_at_the_configured_false_match_rate(templates: Templates) -> None:
    # Synthetic impostors score higher than real ones (the generator's fingers share a
    # ridge period and similar flow), so the impostor decision uses the strictest rate.
    strict = 0.0001
    same = verify(templates[(0, 0)], templates[(0, 1)], false_match_rate=strict)
    other = verify(templates[(0, 0)], templates[(1, 0)], false_match_rate=strict)
    assert same.is_match and not other.is_match
    assert same.threshold == threshold_for(strict)
    assert verify(templates[(0, 0)], templates[(0, 1)]).threshold == threshold_for(0.001)


def test_threshold_is_stricter_for_lower_rates() -> None:
    assert threshold_for(0.01) < threshold_for(0.001) < threshold_for(0.0001)
    assert threshold_for(0.005) == threshold_for(0.001)
    with pytest.raises(ValueError):
        threshold_for(1e-9)


def test_score_is_symmetric_enough_and_self_score_is_top(
    matchers: dict[tuple[int, int], Matcher],
) -> None:
    a, b = matchers[(2, 0)], matchers[(2, 1)]
    assert abs(a.score(b) - b.score(a)) < 50.0
    assert a.score(a) > 950.0


def rigidly_moved(
    template: FingerprintTemplate, degrees: float, dx: int, dy: int
) -> FingerprintTemplate:
    """Rotate on screen counter-clockwise about the centre and shift; angles follow."""
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


def test_score_is_invariant_to_rotation_and_translation(templates: Templates) -> None:
    original = dataclasses.replace(templates[(1, 0)], width=1000, height=1000)
    moved = rigidly_moved(templates[(1, 0)], 35.0, 300, 250)
    other = rigidly_moved(templates[(2, 0)], 35.0, 300, 250)
    assert verify(original, moved).score > 800.0
    assert verify(original, other).score < threshold_for(0.0001)


def test_angle_convention_matters(templates: Templates) -> None:
    """Mirroring the angles (the wrong convention) must destroy the match."""
    template = templates[(1, 0)]
    moved = rigidly_moved(template, 30.0, 200, 200)
    mirrored = dataclasses.replace(
        moved,
        minutiae=tuple(
            dataclasses.replace(m, angle=normalise_angle(-m.angle)) for m in moved.minutiae
        ),
    )
    assert verify(moved, mirrored).score < verify(moved, moved).score / 3


def test_matching_survives_the_iso_round_trip(templates: Templates) -> None:
    versions: tuple[IsoVersion, ...] = ("2005", "2011")
    for version in versions:
        a = decode_template(encode_template(templates[(3, 0)], version))
        b = decode_template(encode_template(templates[(3, 1)], version))
        assert abs(verify(a, b).score - verify(templates[(3, 0)], templates[(3, 1)]).score) < 50.0


def test_templates_with_no_minutiae_score_zero(templates: Templates) -> None:
    empty = FingerprintTemplate(width=100, height=100, minutiae=())
    assert verify(empty, templates[(0, 0)]).score == 0.0
    few = FingerprintTemplate(width=100, height=100, minutiae=(Minutia(50, 50, 0.0),))
    assert verify(few, few).score == 0.0


def test_other_resolutions_are_rescaled(templates: Templates) -> None:
    template = templates[(0, 1)]
    doubled = dataclasses.replace(
        template,
        width=template.width * 2,
        height=template.height * 2,
        dpi=1000,
        minutiae=tuple(dataclasses.replace(m, x=m.x * 2, y=m.y * 2) for m in template.minutiae),
    )
    assert verify(doubled, template).score > 900.0
