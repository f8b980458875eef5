"""Geometry for server-rendered SVG charts (no JavaScript, no inline style): the staff dashboard's and the
post-live report's, so it sits beside the areas rather than in one of them.

Functions return plain numbers; ``templates/_charts.html`` draws them with SVG presentation
attributes (``x=``, ``width=``, ``fill=``), which the strict Content-Security-Policy allows. Text stays in
HTML around the SVG, so it is readable at 360 px and on a laptop alike; the SVG only draws the bars.
"""

from __future__ import annotations

from dataclasses import dataclass

COLUMN_HEIGHT = 100  # the columns chart's viewBox height; its width is one unit per column


@dataclass(frozen=True)
class Bar:
    x: float  # columns: viewBox units; rows and split: percent of the width
    y: float
    width: float
    height: float
    label: str
    value: int
    text: str  # the value as people read it ("1.250.000 ₫")


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    max_value: int
    width: int = 100  # viewBox width (columns)
    ticks: tuple[str, ...] = ()  # labels under the axis, spread evenly (columns)


def columns(points: list[tuple[str, int, str]], gap: float = 0.2, ticks: int = 5) -> Chart:
    """Vertical bars, one per point ``(label, value, text)``, in a viewBox ``n × 100`` stretched to fit."""
    n = max(len(points), 1)
    top = max([v for _l, v, _t in points] + [0])
    bars = []
    for i, (label, value, text) in enumerate(points):
        h = round(COLUMN_HEIGHT * value / top, 2) if top else 0.0
        if value and h < 1:
            h = 1.0  # a small but non-zero day stays visible
        bars.append(Bar(round(i + gap / 2, 3), round(COLUMN_HEIGHT - h, 2), round(1 - gap, 3), h, label, value, text))
    if len(points) <= ticks:
        tick_labels = tuple(label for label, _v, _t in points)
    else:
        step = (len(points) - 1) / (ticks - 1)
        tick_labels = tuple(points[round(i * step)][0] for i in range(ticks))
    return Chart(bars, top, n, tick_labels)


def rows(items: list[tuple[str, int, str]]) -> Chart:
    """Horizontal bars, one per item ``(label, value, text)``: width in percent of the largest."""
    top = max([v for _l, v, _t in items] + [0])
    bars = []
    for label, value, text in items:
        w = round(100 * value / top, 2) if top else 0.0
        if value and w < 0.5:
            w = 0.5
        bars.append(Bar(0, 0, w, 0, label, value, text))
    return Chart(bars, top)


def split(parts: list[tuple[str, int, str]]) -> Chart:
    """One bar split into parts (paid online / cash / unknown), each as wide (in percent) as its share."""
    total = sum(v for _l, v, _t in parts)
    bars, x = [], 0.0
    for label, value, text in parts:
        w = round(100 * value / total, 2) if total else 0.0
        bars.append(Bar(round(x, 2), 0, w, 0, label, value, text))
        x += w
    return Chart(bars, total)
