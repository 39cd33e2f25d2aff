"""The evidence as a vector drawing: both prints' minutiae, and the pairs between them.

The back end's PNG draws the same over the images; this SVG is for zooming
without blur and for telling the pairs apart: paired minutiae are filled,
unpaired ones hollow, and each pair's line carries its similarity as a
tooltip. Pure: evidence in, markup out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpesel.dedup.evidence import Evidence, Side

PROBE, CANDIDATE, PAIR = "#b42318", "#1d4ed8", "#15803d"
GAP, TOP, TICK, RADIUS = 24, 26, 11, 4


def _same(kind: str) -> str:
    return kind


def _side(side: Side, dx: int, colour: str, paired: set[int], label: str,
          kind_name: Callable[[str], str]) -> list[str]:
    out = [f'<rect x="{dx}" y="{TOP}" width="{side.width}" height="{side.height}" '
           f'fill="#f8fafc" stroke="#94a3b8"/>',
           f'<text x="{dx + 4}" y="17" font-size="14" fill="{colour}" '
           f'font-weight="600">{escape(label)}</text>']
    for index, (x, y, angle, kind) in enumerate(side.minutiae):
        cx, cy = x + dx, y + TOP
        tip_x, tip_y = cx + TICK * math.cos(angle), cy - TICK * math.sin(angle)
        fill = colour if index in paired else "none"
        out.append(f'<g class="minutia"><title>{escape(kind_name(kind))} #{index}</title>'
                   f'<circle cx="{cx}" cy="{cy}" r="{RADIUS}" fill="{fill}" '
                   f'stroke="{colour}" stroke-width="1.8"/>'
                   f'<line x1="{cx}" y1="{cy}" x2="{tip_x:.1f}" y2="{tip_y:.1f}" '
                   f'stroke="{colour}" stroke-width="1.8"/></g>')
    return out


def evidence_svg(evidence: Evidence, probe_label: str, candidate_label: str,
                 kind_name: Callable[[str], str] = _same) -> str:
    """The drawing; ``kind_name`` words a minutia's kind ("ending") in the page's language."""
    probe, candidate = evidence.probe, evidence.candidate
    offset = probe.width + GAP
    width, height = offset + candidate.width, TOP + max(probe.height, candidate.height)
    body = _side(probe, 0, PROBE, {i for i, _, _ in evidence.pairs}, probe_label,
                 kind_name)
    body += _side(candidate, offset, CANDIDATE, {j for _, j, _ in evidence.pairs},
                  candidate_label, kind_name)
    for i, j, similarity in evidence.pairs:
        if i < len(probe.minutiae) and j < len(candidate.minutiae):
            px, py = probe.minutiae[i][:2]
            qx, qy = candidate.minutiae[j][:2]
            body.append(f'<line class="pair" x1="{px}" y1="{py + TOP}" x2="{qx + offset}" '
                        f'y2="{qy + TOP}" stroke="{PAIR}" stroke-width="1.2" '
                        f'stroke-opacity="0.8"><title>#{i} \u2194 #{j}: '
                        f'{similarity:.2f}</title></line>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" class="minutiae" font-family="system-ui, sans-serif">'
            f'<title>{escape(probe_label)} / {escape(candidate_label)}: '
            f'{len(evidence.pairs)}</title>' + "".join(body) + "</svg>")
