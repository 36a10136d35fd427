"""A small stacked SVG bar chart of the Sync Log counts over recent runs (no JS, no library)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ACTIONS = ("created", "updated", "skipped", "deleted")
COLORS = {"created": "#1d6b33", "updated": "#0b5cad", "skipped": "#8a4b00", "deleted": "#a3161a"}
HEIGHT = 120
BAR_WIDTH = 18
GAP = 8


@dataclass(frozen=True, slots=True)
class Segment:
    """One action's part of a bar."""

    action: str
    value: int
    y: float
    h: float
    color: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One run."""

    run_id: int
    x: int
    segments: list[Segment]


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the template draws."""

    bars: list[Bar]
    width: int
    height: int = HEIGHT
    bar_width: int = BAR_WIDTH
    legend: list[tuple[str, str]] = field(default_factory=lambda: list(COLORS.items()))


def totals(counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Counts of both sides added up per action."""
    return {a: sum(int(side.get(a, 0)) for side in counts.values()) for a in ACTIONS}


def build_chart(runs: Sequence[tuple[int, Mapping[str, Mapping[str, int]]]]) -> Chart:
    """A chart of ``(run_id, counts)`` pairs, oldest first; bar heights share one scale."""
    sums = [(run_id, totals(counts)) for run_id, counts in runs]
    peak = max((sum(t.values()) for _, t in sums), default=0) or 1
    bars = [_bar(i, run_id, t, peak) for i, (run_id, t) in enumerate(sums)]
    return Chart(bars, width=max(len(bars), 1) * (BAR_WIDTH + GAP) + GAP)


def _bar(index: int, run_id: int, values: dict[str, int], peak: int) -> Bar:
    y = float(HEIGHT)
    segments = []
    for action in ACTIONS:
        h = HEIGHT * values[action] / peak
        y -= h
        if values[action]:
            segments.append(
                Segment(action, values[action], round(y, 1), round(h, 1), COLORS[action])
            )
    return Bar(run_id, GAP + index * (BAR_WIDTH + GAP), segments)
