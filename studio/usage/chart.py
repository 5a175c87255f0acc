"""A bar chart as plain SVG geometry, drawn on the server: no chart library, no script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH = 720
HEIGHT = 220
TOP = 16
BOTTOM = 28
LEFT = 48
RIGHT = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    show_label: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    maximum: int
    baseline: float
    left: int
    label_y: float


def bar_chart(points: list[tuple[date, int]], *, date_format: str = "%m-%d") -> BarChart:
    maximum = max((value for _day, value in points), default=0) or 1
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    # At most ~12 labels under the axis, whatever the number of bars.
    every = max(1, round(len(points) / 12))
    bars = []
    for index, (day, value) in enumerate(points):
        height = plot_height * value / maximum
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.1, 1),
                y=round(TOP + plot_height - height, 1),
                width=round(max(slot * 0.8, 1), 1),
                height=round(height, 1),
                value=value,
                label=day.strftime(date_format),
                show_label=index % every == 0,
            )
        )
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        maximum=maximum,
        baseline=TOP + plot_height,
        left=LEFT,
        label_y=HEIGHT - 8,
    )
