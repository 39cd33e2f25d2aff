"""Filtered minutiae: raw detections turned into template minutiae, best first.

Keeps at most ``MAX_MINUTIAE`` by confidence (matching cost grows with the
square of the count and low-confidence detections are mostly noise), drops
detections outside the image and near-duplicates closer than a ridge
period, and maps pyfing's 0-1 confidence and 'E'/'B' codes onto ISO's
0-100 quality and type codes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine.raw_minutiae import RawMinutia
from openpesel.biometrics.template import Minutia, MinutiaKind, normalise_angle

KINDS = {"E": MinutiaKind.ENDING, "B": MinutiaKind.BIFURCATION}
MIN_DISTANCE = 4.0


def apply(raw: Sequence[RawMinutia], width: int, height: int) -> tuple[Minutia, ...]:
    ranked = sorted(raw, key=lambda m: -m.quality)
    kept: list[Minutia] = []
    for m in ranked:
        x, y = round(m.x), round(m.y)
        if not (0 <= x < width and 0 <= y < height):
            continue
        if any(math.hypot(k.x - x, k.y - y) < MIN_DISTANCE for k in kept):
            continue
        kept.append(
            Minutia(
                x=x,
                y=y,
                angle=normalise_angle(m.direction),
                kind=KINDS.get(m.kind, MinutiaKind.OTHER),
                quality=max(1, min(100, round(m.quality * 100))),
            )
        )
        if len(kept) == p.MAX_MINUTIAE:
            break
    return tuple(kept)
