"""Charts drawn on the server as SVG: no script library, readable without JavaScript.

Each function takes plain numbers and labels and returns an SVG document
fragment (escaped, with a title for screen readers); the page puts the same
numbers in a table beside it. Pure: no I/O, so tests can check the geometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

INK, MUTED, GRID = "#1f2933", "#52606d", "#d9e2ec"
MEN, WOMEN = "#1d5fa6", "#b8336a"
SERIES = ("#1d5fa6", "#7b2d8b", "#b35c00")
FONT = 'font-family="system-ui, sans-serif"'


def nice_max(value: float) -> int:
    """A round number at or above ``value`` for an axis to end at.

    >>> nice_max(0), nice_max(7), nice_max(1234), nice_max(2000)
    (1, 8, 1500, 2000)
    """
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    for multiple in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if multiple * step >= value:
            return int(multiple * step)
    return int(10 * step)


def grid_steps(top: int) -> int:
    """How many steps to divide an axis ending at ``top`` into, each a whole number.

    >>> [grid_steps(t) for t in (1, 2, 3, 5, 6, 8, 15, 400)]
    [1, 2, 3, 5, 3, 4, 5, 5]
    """
    return next((n for n in (5, 4, 3, 6, 2) if top >= n and top % n == 0), 1)


def _frame(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" class="chart" {FONT}><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def bars(items: Sequence[tuple[str, int]], title: str, width: int = 640) -> str:
    """Horizontal bars, largest first, each labelled with its value."""
    ordered = sorted(items, key=lambda item: (-item[1], item[0]))
    row, label_w, pad = 26, 170, 60
    height = row * len(ordered) + 20
    top = nice_max(max((v for _, v in ordered), default=0))
    span = width - label_w - pad
    body = []
    for i, (label, value) in enumerate(ordered):
        y = 10 + i * row
        w = span * value / top
        body.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="{INK}" '
                    f'font-size="13">{escape(label)}</text>'
                    f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" '
                    f'rx="3" fill="{MEN}"><title>{escape(label)}: {value}</title></rect>'
                    f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" fill="{INK}" '
                    f'font-size="12">{_number(value)}</text>')
    return _frame(width, height, title, body)


def pyramid(bands: Sequence[tuple[str, int, int]], title: str, men: str, women: str,
            width: int = 640) -> str:
    """An age pyramid: men to the left, women to the right, the youngest at the bottom."""
    row, middle_w, top_pad = 18, 64, 28
    height = top_pad + row * len(bands) + 24
    half = (width - middle_w) / 2 - 10
    top = nice_max(max((max(m, w) for _, m, w in bands), default=0))
    centre_l, centre_r = 10 + half, 10 + half + middle_w
    body = [f'<text x="{centre_l - 4}" y="18" text-anchor="end" fill="{MEN}" font-size="13" '
            f'font-weight="600">{escape(men)}</text>'
            f'<text x="{centre_r + 4}" y="18" fill="{WOMEN}" font-size="13" '
            f'font-weight="600">{escape(women)}</text>']
    for i, (label, m, w) in enumerate(reversed(bands)):
        y = top_pad + i * row
        lm, lw = half * m / top, half * w / top
        body.append(f'<rect x="{centre_l - lm:.1f}" y="{y + 2}" width="{lm:.1f}" '
                    f'height="{row - 4}" fill="{MEN}"><title>{escape(label)}: {m}</title></rect>'
                    f'<rect x="{centre_r}" y="{y + 2}" width="{lw:.1f}" height="{row - 4}" '
                    f'fill="{WOMEN}"><title>{escape(label)}: {w}</title></rect>'
                    f'<text x="{(centre_l + centre_r) / 2}" y="{y + 13}" text-anchor="middle" '
                    f'fill="{INK}" font-size="11">{escape(label)}</text>')
    base = top_pad + row * len(bands) + 16
    body.append(f'<text x="10" y="{base}" fill="{MUTED}" font-size="11">{_number(top)}</text>'
                f'<text x="{width - 10}" y="{base}" text-anchor="end" fill="{MUTED}" '
                f'font-size="11">{_number(top)}</text>')
    return _frame(width, height, title, body)


def lines(months: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], title: str,
          width: int = 960, height: int = 300) -> str:
    """Monthly counts as lines with points, a legend above and a light grid behind."""
    left, right, top_pad, bottom = 48, 30, 34, 34
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = nice_max(max((max(values, default=0) for _, values in series), default=0))
    step = plot_w / max(len(months) - 1, 1)
    body = []
    ticks = grid_steps(top)
    for k in range(ticks + 1):
        value = top * k / ticks
        y = top_pad + plot_h - plot_h * k / ticks
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                    f'fill="{MUTED}" font-size="11">{_number(round(value))}</text>')
    for i, month in enumerate(months):
        if i % 3 == 0 or i == len(months) - 1:
            body.append(f'<text x="{left + i * step:.1f}" y="{height - 12}" '
                        f'text-anchor="middle" fill="{MUTED}" font-size="11">'
                        f'{escape(month)}</text>')
    legend_x = left
    for (name, values), colour in zip(series, SERIES, strict=False):
        points = [(left + i * step, top_pad + plot_h - plot_h * v / top)
                  for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                 f'{escape(name)} {escape(m)}: {v}</title></circle>'
                 for (x, y), m, v in zip(points, months, values, strict=True)]
        body.append(f'<rect x="{legend_x}" y="8" width="14" height="14" rx="2" '
                    f'fill="{colour}"/><text x="{legend_x + 20}" y="19" fill="{INK}" '
                    f'font-size="13">{escape(name)}</text>')
        legend_x += 28 + 8 * len(name)
    return _frame(width, height, title, body)
