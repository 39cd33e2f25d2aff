"""What an examiner sees for one finger of one candidate: data, and the same drawn as PNG.

The data (both sides' minutiae, the pairs the matcher made, the scores) is
what the web interface draws for itself; the PNG is the same picture for the
console and for clients that only show images. Drawing is pure: pixels and
data in, PNG bytes out.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

HEADER = 24
"""Pixels above the two prints for the caption."""
GAP = 16
"""Pixels between the probe (left) and the candidate (right)."""
TICK = 12
"""Length of a minutia's direction tick, in pixels."""
RADIUS = 4

_PROBE, _CANDIDATE, _PAIR = (220, 30, 30), (30, 90, 230), (20, 170, 60)


@dataclass(frozen=True)
class Side:
    image_sha256: str
    width: int
    height: int
    minutiae: tuple[tuple[int, int, float, str], ...]
    """(x, y, angle in radians counter-clockwise on screen, kind) at 500 dpi."""

    def to_json(self) -> dict[str, Any]:
        return {"image_sha256": self.image_sha256, "width": self.width, "height": self.height,
                "minutiae": [{"x": x, "y": y, "angle": round(a, 4), "kind": k}
                             for x, y, a, k in self.minutiae]}


@dataclass(frozen=True)
class Evidence:
    finger: int
    score: float
    """The matcher's score for this finger (0-1000)."""
    candidate_score: float
    """The candidate's fused score over all fingers, as the search ranked it."""
    probe: Side
    candidate: Side
    pairs: tuple[tuple[int, int, float], ...]
    """(probe minutia index, candidate minutia index, local similarity)."""

    def to_json(self) -> dict[str, Any]:
        return {"finger": self.finger, "score": round(self.score, 2),
                "candidate_score": round(self.candidate_score, 2),
                "probe": self.probe.to_json(), "candidate": self.candidate.to_json(),
                "pairs": [{"probe": i, "candidate": j, "similarity": round(s, 4)}
                          for i, j, s in self.pairs]}


def canvas_size(probe: Side, candidate: Side) -> tuple[int, int]:
    return probe.width + GAP + candidate.width, HEADER + max(probe.height, candidate.height)


def render_png(evidence: Evidence, probe_pixels: npt.NDArray[np.uint8],
               candidate_pixels: npt.NDArray[np.uint8], caption: str = "") -> bytes:
    """Probe left, candidate right, minutiae with direction ticks, pairs joined by lines."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGB", canvas_size(evidence.probe, evidence.candidate), "white")
    offset = evidence.probe.width + GAP
    canvas.paste(Image.fromarray(probe_pixels, "L").convert("RGB"), (0, HEADER))
    canvas.paste(Image.fromarray(candidate_pixels, "L").convert("RGB"), (offset, HEADER))
    draw = ImageDraw.Draw(canvas)
    text = caption or (f"finger {evidence.finger}: score {evidence.score:.0f}, "
                       f"{len(evidence.pairs)} paired minutiae")
    draw.text((4, 6), text, fill=(0, 0, 0))
    _minutiae(draw, evidence.probe.minutiae, 0, _PROBE)
    _minutiae(draw, evidence.candidate.minutiae, offset, _CANDIDATE)
    for i, j, _ in evidence.pairs:
        if i < len(evidence.probe.minutiae) and j < len(evidence.candidate.minutiae):
            px, py, _, _ = evidence.probe.minutiae[i]
            cx, cy, _, _ = evidence.candidate.minutiae[j]
            draw.line([(px, py + HEADER), (cx + offset, cy + HEADER)], fill=_PAIR, width=1)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


def render_sheet(pages: Sequence[tuple[Evidence, npt.NDArray[np.uint8], npt.NDArray[np.uint8]]],
                 heading: str, caption: str = "") -> bytes:
    """Every finger compared for one candidate, one row each under ``heading`` (the fused
    score): what fusion decided, with the per-finger pictures it rests on. ``caption`` is
    each row's template, as for :func:`render_png`."""
    from PIL import Image, ImageDraw

    rows = [Image.open(io.BytesIO(render_png(e, probe, theirs, caption.format(
        finger=e.finger, score=f"{e.score:.0f}", pairs=len(e.pairs)) if caption else "")))
        for e, probe, theirs in pages]
    width = max([r.width for r in rows], default=240)
    sheet = Image.new("RGB", (width, HEADER + sum(r.height + GAP for r in rows)), "white")
    ImageDraw.Draw(sheet).text((4, 6), heading, fill=(0, 0, 0))
    top = HEADER
    for row in rows:
        sheet.paste(row, (0, top))
        top += row.height + GAP
    out = io.BytesIO()
    sheet.save(out, "PNG")
    return out.getvalue()


def _minutiae(draw: Any, points: Sequence[tuple[int, int, float, str]], dx: int,
              colour: tuple[int, int, int]) -> None:
    for x, y, angle, _ in points:
        cx, cy = x + dx, y + HEADER
        draw.ellipse([cx - RADIUS, cy - RADIUS, cx + RADIUS, cy + RADIUS], outline=colour,
                     width=2)
        # Angles are counter-clockwise as seen on screen, and screen y grows downwards.
        tip = (cx + TICK * math.cos(angle), cy - TICK * math.sin(angle))
        draw.line([(cx, cy), tip], fill=colour, width=2)
