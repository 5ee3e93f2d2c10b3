"""bench.run's figure: latency distributions and throughput per contender, as a PNG.

    write_plot(results, path, subtitle)

Top row, the canonical query: a box per contender of every sequential latency measured (box from
p25 to p75, the line at p50, whiskers from p1 to p99, nothing beyond) and the answers per second at
`--concurrency` clients (the bar the median of the rounds, the line from the slowest round to the
fastest). Bottom row, the other questions: p50 (bar) and p99 (tick) per contender, and answers per
second. matplotlib on the Agg backend (no display needed); imported only when a plot is asked for.
"""

from __future__ import annotations

import math
import statistics
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CANONICAL = "canonical"
COLORS = {
    "service": "#1f77b4",
    "service, generic": "#9ecae1",
    "raw": "#2ca02c",
    "limit": "#7f7f7f",
    "limit, overlapped": "#c7c7c7",
    "naive": "#d62728",
}
OTHER_COLORS = ["#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#ff7f0e"]


class Measured(Protocol):
    """What bench.run keeps per question and contender (bench.run.Cell)."""

    @property
    def latencies(self) -> list[float]:
        """Seconds, every sequential answer measured."""
        ...

    @property
    def rates(self) -> list[float]:
        """Answers per second, one per round."""
        ...


def _color(name: str, names: Sequence[str]) -> str:
    if name in COLORS:
        return COLORS[name]
    others = [other for other in names if other not in COLORS]
    return OTHER_COLORS[others.index(name) % len(OTHER_COLORS)]


def _ms(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile in ms (as bench.common.percentile)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))] * 1000


def _label(name: str) -> str:
    return {"service": "service\n(compiled)", "service, generic": "service,\ngeneric"}.get(
        name, name.replace(", ", ",\n").replace("+", "\n+")
    )


def _latency_boxes(axes: Axes, cells: Mapping[str, Measured], names: list[str]) -> None:
    shown = [name for name in names if cells[name].latencies]
    data = [[value * 1000 for value in cells[name].latencies] for name in shown]
    boxes = axes.boxplot(data, whis=(1, 99), showfliers=False, patch_artist=True, widths=0.6)
    for box, name in zip(boxes["boxes"], shown, strict=True):
        box.set_facecolor(_color(name, names))
        box.set_alpha(0.85)
    for median in boxes["medians"]:
        median.set_color("black")
    for position, name in enumerate(shown, start=1):
        p50 = _ms(cells[name].latencies, 0.5)
        axes.annotate(f"{p50:.1f}", (position + 0.32, p50), ha="left", va="center", fontsize=8)
    axes.set_xticks(range(1, len(shown) + 1), [_label(name) for name in shown], fontsize=8)
    _log_ms(axes, "latency, ms (sequential answers, log scale)")
    axes.set_title("canonical: latency (box p25-p75, line p50, whiskers p1-p99)", fontsize=10)
    axes.grid(axis="y", alpha=0.3)


def _log_ms(axes: Axes, label: str) -> None:
    """A log scale (the naive peer can be an order of magnitude slower) read in plain milliseconds."""
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    axes.set_yscale("log")
    axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(ScalarFormatter())
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_ylabel(label)


def _throughput_bars(axes: Axes, cells: Mapping[str, Measured], names: list[str], concurrency: int) -> None:
    shown = [name for name in names if cells[name].rates]
    medians = [statistics.median(cells[name].rates) for name in shown]
    low = [median - min(cells[name].rates) for name, median in zip(shown, medians, strict=True)]
    high = [max(cells[name].rates) - median for name, median in zip(shown, medians, strict=True)]
    positions = range(len(shown))
    axes.bar(positions, medians, yerr=[low, high], capsize=3, color=[_color(name, names) for name in shown], alpha=0.85)
    for position, median in zip(positions, medians, strict=True):
        axes.annotate(
            f"{median:.0f}", (position, median), xytext=(4, 2), textcoords="offset points", ha="left", fontsize=8
        )
    axes.set_xticks(list(positions), [_label(name) for name in shown], fontsize=8)
    axes.set_ylabel(f"answers/s at {concurrency} clients")
    axes.set_title("canonical: throughput (median of rounds, line min-max)", fontsize=10)
    axes.grid(axis="y", alpha=0.3)


def _grouped(
    axes: Axes, results: Mapping[str, Mapping[str, Measured]], questions: list[str], names: list[str], what: str
) -> None:
    """p50 (bar) and p99 (tick) per question and contender, or answers/s (bar), side by side."""
    width = 0.8 / max(1, len(names))
    for index, name in enumerate(names):
        xs, heights, ticks = [], [], []
        for number, question in enumerate(questions):
            cell = results[question].get(name)
            if cell is None:
                continue
            xs.append(number - 0.4 + width * (index + 0.5))
            if what == "latency":
                heights.append(_ms(cell.latencies, 0.5))
                ticks.append(_ms(cell.latencies, 0.99))
            else:
                heights.append(statistics.median(cell.rates) if cell.rates else math.nan)
        label = _label(name).replace("\n", " ")
        axes.bar(xs, heights, width=width * 0.95, color=_color(name, names), alpha=0.85, label=label)
        if ticks:
            axes.scatter(xs, ticks, marker="_", s=60, color="black", linewidths=1, zorder=3)
    axes.set_xticks(range(len(questions)), questions, fontsize=8)
    if what == "latency":
        _log_ms(axes, "latency, ms (log scale)")
        axes.set_title("other questions: p50 (bar) and p99 (tick)", fontsize=10)
    else:
        axes.set_ylabel("answers/s")
        axes.set_title("other questions: throughput (median of rounds)", fontsize=10)
    axes.grid(axis="y", alpha=0.3)


def write_plot(
    results: Mapping[str, Mapping[str, Measured]], path: Path, subtitle: str, concurrency: int, order: list[str]
) -> Path:
    """Draw the figure and write it to `path` (its folder made if needed); returns the path.

    `order`: the contenders in the order to show them (those a question lacks are skipped).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    others = [question for question in results if question != CANONICAL]
    rows = 1 + bool(others)
    figure, grid = pyplot.subplots(rows, 2, figsize=(14, 5.2 * rows), squeeze=False)
    if CANONICAL in results:
        cells = results[CANONICAL]
        names = [name for name in order if name in cells]
        _latency_boxes(grid[0][0], cells, names)
        _throughput_bars(grid[0][1], cells, names, concurrency)
    else:
        grid[0][0].set_visible(False)
        grid[0][1].set_visible(False)
    if others:
        names = [name for name in order if any(name in results[question] for question in others)]
        _grouped(grid[1][0], results, others, names, "latency")
        _grouped(grid[1][1], results, others, names, "throughput")
        grid[1][0].legend(fontsize=8, loc="upper left")
    figure.suptitle("bench.run: " + "\n".join(textwrap.wrap(subtitle, 150)), fontsize=9)
    figure.text(
        0.5,
        0.005,
        "service: plans on (the default), service, generic: GRAPHQL_COMPILED_PLANS=false; raw: the limit's requests "
        "in a Starlette handler; every server one uvicorn process. limit: the minimal requests from the driver "
        "itself (no HTTP, no server).",
        ha="center",
        fontsize=8,
    )
    figure.tight_layout(rect=(0, 0.015, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path
