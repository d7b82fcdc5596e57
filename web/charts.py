"""The board's pictures, drawn as SVG on the server: no script, readable without colour too.

- :func:`grid_svg`: units × months (or weeks, each headed in words: 2025年3月, 第12周) as a colour
  grid, each cell the colour of its worst window (service.board.worst: overdue red, late orange, due
  soon yellow, open blue, not yet open white, on time green, waived grey), with the cell's counts in
  its ``<title>`` (a tooltip, and what a screen reader says);
- :func:`bars_svg`: per unit, one bar split into on time / late / overdue of the windows counted,
  with the shares written beside it and in each part's ``<title>``.

The numbers are also in the page's tables; the pictures only help the eye.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

from markupsafe import Markup

from service.board import SEVERITY, Counts, State, percent, worst

COLOURS = {State.ON_TIME: "#2e7d32", State.LATE: "#ef6c00", State.OVERDUE: "#c62828", State.DUE_SOON: "#f9a825",
           State.OPEN: "#1e88e5", State.NOT_OPEN: "#ffffff", State.WAIVED: "#9e9e9e"}
LABEL = 190  # px for the unit names
CELL_W, CELL_H = 30, 22
BAR_W = 300


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", fill: str = "#1d2733") -> str:
    return (f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
            f"{escape(text)}</text>")


def _short(name: str, limit: int = 14) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


def _cell_title(unit: str, column: str, cell: Counts, word: Callable[[State], str]) -> str:
    parts = [f"{word(s)} {cell[s]}" for s in SEVERITY if cell[s]]
    return f"{unit} · {column}: " + ", ".join(parts)


def grid_svg(grid: Mapping[str, Mapping[str, Counts]], columns: Sequence[str], names: Mapping[str, str],
             word: Callable[[State], str], *, title: str, heads: Mapping[str, tuple[str, str]] | None = None) -> Markup:
    """Units (rows, in ``grid``'s order) × ``columns``; ``names`` the units' names; ``word`` a state in words;
    ``heads`` each column in words, in full (level labels, tooltips) and short (slanted labels): ``2025年3月``
    and ``3月``, never the key ``2025-03``.

    A few columns (a quarter's months) are drawn wide, many (a year's weeks) narrow, their labels slanted."""
    heads = heads or {}
    cell_w = max(CELL_W, min(90, 540 // max(len(columns), 1)))
    level = cell_w >= 60  # room for the whole label, level
    top = 40 if level else 76  # a slanted label rises up to ~60 px
    width = LABEL + cell_w * len(columns) + 10
    height = top + CELL_H * len(grid) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'role="img" aria-label="{escape(title)}" class="chart" id="grid-chart"><title>{escape(title)}</title>']
    for i, column in enumerate(columns):
        x = LABEL + i * cell_w + cell_w / 2
        full, short = heads.get(column, (column, column))
        if level:
            out.append(_text(x, top - 10, full, size=11, anchor="middle", fill="#5b6775"))
        else:
            out.append(f'<text x="{x:.0f}" y="{top - 10}" font-size="10" text-anchor="end" '
                       f'transform="rotate(-45 {x:.0f} {top - 10})" fill="#5b6775">{escape(short)}'
                       f"<title>{escape(full)}</title></text>")
    for row, (unit, cells) in enumerate(grid.items()):
        y = top + row * CELL_H
        name = names.get(unit, unit)
        out.append(f"<g>{_text(LABEL - 6, y + 15, _short(name), anchor='end')}<title>{escape(name)}</title></g>")
        for i, column in enumerate(columns):
            cell = cells.get(column)
            state = worst(cell) if cell else None
            fill = COLOURS[state] if state else "#f4f6f9"
            rect = (f'<rect x="{LABEL + i * cell_w + 1}" y="{y + 1}" width="{cell_w - 2}" height="{CELL_H - 2}" '
                    f'fill="{fill}" stroke="#dde3ea" data-state="{state.value if state else ""}">')
            said = heads.get(column, (column, column))[0]
            label = _cell_title(name, said, cell, word) if cell else f"{name} · {said}: —"
            out.append(f"{rect}<title>{escape(label)}</title></rect>")
    out.append("</svg>")
    return Markup("".join(out))


def bars_svg(counts: Mapping[str, Counts], names: Mapping[str, str], word: Callable[[State], str], *,
             title: str, none: str) -> Markup:
    """Per unit: on time / late / overdue as shares of its counted windows, with the shares as text.

    The unit's name above its bar, so the picture stays narrow enough to read on a phone."""
    parts = (State.ON_TIME, State.LATE, State.OVERDUE)
    width, step = BAR_W + 170, 40
    height = 6 + step * len(counts)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'role="img" aria-label="{escape(title)}" class="chart" id="bars-chart"><title>{escape(title)}</title>']
    for row, (unit, c) in enumerate(counts.items()):
        y = 6 + row * step
        name = names.get(unit, unit)
        out.append(_text(0, y + 12, name, size=13))
        bar = y + 17
        if not c.counted:
            out.append(f'<rect x="0" y="{bar}" width="{BAR_W}" height="16" fill="#f4f6f9">'
                       f"<title>{escape(name)}: {escape(none)}</title></rect>")
            out.append(_text(BAR_W + 8, bar + 13, none, size=13, fill="#5b6775"))
            continue
        x = 0.0
        for state in parts:
            share = c[state] / c.counted
            if share:
                out.append(f'<rect x="{x:.1f}" y="{bar}" width="{share * BAR_W:.1f}" height="16" '
                           f'fill="{COLOURS[state]}" data-state="{state.value}"><title>{escape(name)}: '
                           f"{escape(word(state))} {c[state]}/{c.counted} ({percent(share)})</title></rect>")
            x += share * BAR_W
        shares = " / ".join(percent(c.rate(s)) for s in parts)
        out.append(_text(BAR_W + 8, bar + 13, shares, size=13))
    out.append("</svg>")
    return Markup("".join(out))


__all__ = ["COLOURS", "bars_svg", "grid_svg"]
