"""Small statistics shared by the benchmark scripts."""

from __future__ import annotations

import statistics


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def spread(values: list[float]) -> tuple[float, float, float]:
    """(median, min, max): every figure in results.md is reported this way."""
    return statistics.median(values), min(values), max(values)
