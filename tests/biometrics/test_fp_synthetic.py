from __future__ import annotations

import numpy as np
import pytest

from openpesel.biometrics import from_pixels
from openpesel.biometrics._engine.synthesis import orientation_model
from openpesel.biometrics.synthetic import SyntheticFinger


def test_same_seed_gives_the_same_pixels(fingers: list[SyntheticFinger]) -> None:
    again = SyntheticFinger.create(fingers[1].seed, width=192, height=224, iterations=8)
    assert again.kind == fingers[1].kind
    assert np.array_equal(again.impression(2).pixels, fingers[1].impression(2).pixels)


def test_seeds_and_impressions_differ(fingers: list[SyntheticFinger]) -> None:
    a, b = fingers[0], fingers[1]
    assert not np.array_equal(a.master, b.master)
    first, second = a.impression(0).pixels, a.impression(1).pixels
    assert np.abs(first.astype(int) - second).mean() > 10


@pytest.mark.parametrize("kind", orientation_model.CLASSES)
def test_every_class_gives_an_acceptable_fingerprint(kind: str) -> None:
    finger = SyntheticFinger.create(11, width=160, height=192, kind=kind, iterations=6)
    image = from_pixels(finger.impression(0).pixels)  # passes the not-a-fingerprint check
    assert image.width == 160
    assert finger.master.min() < -0.5 < 0.5 < finger.master.max()  # binary-looking ridges


def test_loop_orientation_turns_around_the_core() -> None:
    points = orientation_model.SingularPoints("left_loop", (complex(50, 50),), ())
    field = orientation_model.field(points, 101, 101)
    around = [field[50 + dy, 50 + dx] for dx, dy in [(20, 0), (0, 20), (-20, 0), (0, -20)]]
    assert len({round(float(a), 2) for a in around}) == 4  # orientation changes around a core


def test_unknown_class_is_refused() -> None:
    with pytest.raises(ValueError, match="class"):
        SyntheticFinger.create(1, kind="spiral")
