"""Measuring and reporting: timed samples with their floor, medians, percentiles, the results table.

Every figure is a median over repeated runs after a warm-up, next to a floor measured in the same run
(samples of the figure and of its floor are interleaved, so a drift of the machine's speed hits both).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

MISSING = "not measured: feature missing"


@dataclass
class Settings:
    """How much to measure: ``quick`` (for ``make test``) or full (``make bench``)."""

    quick: bool
    disputes: int = 100_000
    page_reps: int = 40
    pdf_reps: int = 5
    import_rows: int = 5_000
    import_reps: int = 3
    export_rows: int = 100_000
    export_reps: int = 3
    load_seconds: int = 30
    write_seconds: int = 30
    write_clients: int = 20
    warmup: int = 3

    @classmethod
    def make(cls, quick: bool) -> "Settings":
        """Return the full settings, or small data and few repetitions when ``quick``."""
        if not quick:
            return cls(quick=False)
        return cls(quick=True, disputes=2_000, page_reps=3, pdf_reps=1, import_rows=100, import_reps=1,
                   export_rows=2_000, export_reps=1, load_seconds=3, write_seconds=3, write_clients=20, warmup=1)


@dataclass
class Row:
    """One line of the results table. Times are seconds, ``unit`` says how to print values."""

    what: str
    measured_on: str
    value: Optional[float] = None      # median (p50)
    p95: Optional[float] = None
    floor: Optional[float] = None      # median of the floor
    budget: str = ""
    ok: Optional[bool] = None          # None: not measured / no budget verdict
    notes: list[str] = field(default_factory=list)
    unit: str = "ms"                   # "ms" (value in seconds), "s", "rps", "MB", "count"
    ratio: Optional[float] = None      # value / floor unless set explicitly

    def __post_init__(self):
        if self.ratio is None and self.value is not None and self.floor:
            self.ratio = self.value / self.floor


def missing(what: str, measured_on: str, budget: str, why: str = MISSING) -> Row:
    """A row for a feature that has not landed: no number, never a fake one."""
    return Row(what, measured_on, budget=budget, notes=[why])


def p95(samples: list[float]) -> float:
    """95th percentile (inclusive method); the maximum for fewer than 20 samples."""
    if len(samples) < 20:
        return max(samples)
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def timed(fn: Callable[[], object]) -> float:
    """Seconds taken by one call of ``fn``."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def paired(target: Callable[[], object], floor: Callable[[], object], *, warmup: int,
           reps: int, budget: float = 90.0, min_reps: int = 5) -> tuple[list[float], list[float]]:
    """Time ``target`` and ``floor`` alternately ``reps`` times each after ``warmup`` calls of both.

    Stops early (after at least ``min_reps`` pairs) once ``budget`` seconds have been spent, so a slow
    row cannot take the whole run; the table notes the number of samples. Returns (target samples,
    floor samples) in seconds.
    """
    for _ in range(warmup):
        target()
        floor()
    targets, floors = [], []
    started = time.perf_counter()
    for _ in range(reps):
        floors.append(timed(floor))
        targets.append(timed(target))
        if len(targets) >= min_reps and time.perf_counter() - started > budget:
            break
    return targets, floors


def _fmt(value: Optional[float], unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value * 1000:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "rps":
        return f"{value:.0f} req/s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:g}"


def verdict(row: Row) -> str:
    """``ok``, ``MISSED`` or ``—`` (nothing measured or no budget)."""
    return {True: "ok", False: "**MISSED**", None: "—"}[row.ok]


def table(rows: list[Row]) -> str:
    """The Markdown table of ``rows``."""
    lines = ["| what | measured on | p50 | p95 | floor (p50) | ratio | budget | result | notes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cells = [row.what, row.measured_on, _fmt(row.value, row.unit),
                 _fmt(row.p95, row.unit), _fmt(row.floor, row.unit),
                 "—" if row.ratio is None else f"{row.ratio:.2f}×", row.budget, verdict(row),
                 "; ".join(row.notes)]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)
