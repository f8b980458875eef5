"""Geometry for the dashboard's server-rendered SVG charts (no JavaScript, no inline style).

Functions return plain numbers; ``templates/moderation/_charts.html`` draws them with SVG presentation
attributes (``x=``, ``width=``, ``fill=``), which the strict Content-Security-Policy allows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    text: str  # the value as people read it ("1.250.000 ₫")


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    max_value: int
    axis_labels: list[tuple[float, str]]  # (x, text) under the bars


def columns(points: list[tuple[str, int, str]], width: int = 640, height: int = 200, axis: int = 22,
            gap: float = 0.2) -> Chart:
    """Vertical bars, one per point ``(label, value, text)``; a few labels under the axis."""
    n = max(len(points), 1)
    plot_h = height - axis
    top = max([v for _l, v, _t in points] + [0])
    scale = plot_h / top if top else 0
    slot = width / n
    bar_w = max(slot * (1 - gap), 1)
    bars = []
    for i, (label, value, text) in enumerate(points):
        h = round(value * scale, 2)
        if value and h < 1:
            h = 1.0  # a small but non-zero day stays visible
        bars.append(Bar(round(i * slot + (slot - bar_w) / 2, 2), round(plot_h - h, 2), round(bar_w, 2), h, label,
                        value, text))
    every = max(1, round(n / 6))
    axis_labels = [(round(i * slot + slot / 2, 2), label) for i, (label, _v, _t) in enumerate(points)
                   if i % every == 0]
    return Chart(width, height, bars, top, axis_labels)


def rows(items: list[tuple[str, int, str]], width: int = 640, row_h: int = 34, label_w: int = 200,
         value_w: int = 130) -> Chart:
    """Horizontal bars, one row per item ``(label, value, text)``: label left, bar, value right."""
    top = max([v for _l, v, _t in items] + [0])
    plot_w = width - label_w - value_w
    bars = []
    for i, (label, value, text) in enumerate(items):
        w = round(plot_w * value / top, 2) if top else 0
        if value and w < 1:
            w = 1.0
        bars.append(Bar(label_w, i * row_h + 6, w, row_h - 12, label, value, text))
    return Chart(width, max(len(items), 1) * row_h, bars, top, [])


def split(parts: list[tuple[str, int, str]], width: int = 640, height: int = 28) -> Chart:
    """One bar split into parts (paid online / cash / unknown), each as wide as its share."""
    total = sum(v for _l, v, _t in parts)
    bars, x = [], 0.0
    for label, value, text in parts:
        w = round(width * value / total, 2) if total else 0
        bars.append(Bar(round(x, 2), 0, w, height, label, value, text))
        x += w
    return Chart(width, height, bars, total, [])
