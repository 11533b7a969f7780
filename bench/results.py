"""Figures of a benchmark run, written as bench/results.md (a table) and bench/results.json."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from stats import spread

HERE = Path(__file__).parent


@dataclass
class Figure:
    name: str
    value: float  # the median over `runs`
    unit: str
    conditions: str
    low: float | None = None  # min over runs
    high: float | None = None  # max over runs
    runs: int = 1
    target: str = ""
    met: bool | None = None

    @classmethod
    def of(cls, name: str, values: list[float], unit: str, conditions: str, target: str = "",
           ok=None) -> Figure:
        """A figure from repeated measurements: median, min and max; `ok` judges the median."""
        median, low, high = spread(values)
        return cls(name, median, unit, conditions, low, high, len(values), target,
                   None if ok is None else bool(ok(median)))


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.machine())
    cores = Path("/proc/cpuinfo").read_text().count("processor\t:")
    return f"{platform.node()}: {cpu}, {cores} cores, Linux {platform.release()}, " \
           f"Python {platform.python_version()}"


def write(figures: list[Figure], mode: str, started: float) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
    header = {"date": stamp, "machine": machine(), "mode": mode,
              "duration_s": round(time.time() - started)}
    (HERE / "results.json").write_text(json.dumps(
        header | {"figures": [asdict(f) for f in figures]}, indent=2, ensure_ascii=False) + "\n")
    lines = [f"# cangw benchmark results ({mode} run)", "",
             f"{stamp}, {header['machine']}; took {header['duration_s']} s. Each value is the "
             "median of the runs, with their min and max. Re-run with `bench/run` "
             "(`bench/run --quick` for a smoke run).", "",
             "| figure | value | unit | min | max | runs | target | conditions |",
             "|---|---|---|---|---|---|---|---|"]
    for f in figures:
        verdict = "" if f.met is None else (" ✓" if f.met else " ✗ not met")
        lines.append(f"| {f.name} | {_num(f.value)} | {f.unit} | {_num(f.low)} | {_num(f.high)} "
                     f"| {f.runs} | {f.target}{verdict} | {f.conditions} |")
    (HERE / "results.md").write_text("\n".join(lines) + "\n")


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"
