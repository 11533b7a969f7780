"""Every benchmark in one run, written to bench/results.md and bench/results.json.

    bench/run            # the full run (under 20 minutes on a 2-core machine)
    bench/run --quick    # a smoke run (under 2 minutes): fewer samples, smaller volumes

Figures are medians over repeated runs with their min and max; cangw and gammu-smsd are timed
alternately in the same run (A B A B) and compared as a ratio, because the machine is shared.
"""

from __future__ import annotations

import argparse
import time
from statistics import mean

import cli_growth
import core
import footprint
import inbound
import sbd_size
import sms_latency
from results import Figure, write
from stats import percentile

MODES = {
    "quick": {"rounds": 1, "bursts": {1: 2, 10: 1}, "e2e": {1: 5, 10: 1},
              "core": 500, "core_runs": 2, "volume": 1000, "queued": 500, "idle": 10,
              "focal": 500, "cli": 10_000, "seeds": 3},
    "full": {"rounds": 2, "bursts": {1: 5, 10: 2, 100: 1}, "e2e": {1: 20, 10: 3, 100: 1},
             "core": 2000, "core_runs": 3, "volume": 10_000, "queued": 5000, "idle": 60,
             "focal": 5000, "cli": 100_000, "seeds": 10},
}
SIM = "simulated SIM800, 115200 baud"


def comparison(mode: dict) -> list[Figure]:
    """Item 1 and 5: inbound latency, full-SIM drain and disk writes, beside gammu-smsd."""
    sessions = inbound.compare(mode["rounds"], mode["bursts"])
    figures = []
    for name, samples in sessions.items():
        for size in mode["bursts"]:
            for p in (50, 99):
                values = [percentile(s.latency[size], p) * 1000 for s in samples]
                figures.append(Figure.of(
                    f"{name}: SMS arrival -> row committed, burst of {size}, p{p}", values, "ms",
                    f"{SIM}; per session the p{p} of {len(samples[0].latency[size])} messages",
                    *(_single_target(name, size, p))))
        figures.append(Figure.of(f"{name}: full SIM ({inbound.FULL_SIM} SMS) drained",
                                 [s.drain_per_minute for s in samples], "SMS/min", SIM))
        figures.append(Figure.of(
            f"{name}: full SIM drain, share of the serial line used",
            [s.line_use * 100 for s in samples], "%",
            f"{SIM}; bytes exchanged x 10 bits / line rate / drain time",
            *(("at least 90%", lambda v: v >= 90) if name == "cangw" else ("", None))))
        figures.append(Figure.of(f"{name}: bytes written to disk per message",
                                 [s.bytes_per_message for s in samples], "bytes",
                                 "/proc/<pid>/io write_bytes over the burst runs"))
    gammu = "gammu-smsd (defaults)"
    if gammu in sessions:
        for p in (50, 99):
            ratios = [percentile(a.latency[1], p) / percentile(b.latency[1], p)
                      for a, b in zip(sessions["cangw"], sessions[gammu], strict=True)]
            figures.append(Figure.of(
                f"ratio cangw / gammu-smsd (defaults), single SMS p{p}", ratios, "x",
                "same modem, sessions alternated", "at most 0.1 (10x faster)",
                lambda v: v <= 0.1))
    return figures


def _single_target(name: str, size: int, p: int) -> tuple[str, object]:
    if name == "cangw" and size == 1 and p == 99:
        return "under 200 ms", lambda v: v < 200
    return "", None


def end_to_end(mode: dict) -> list[Figure]:
    """Item 2: arrival -> acknowledgement handed to the modem -> MQTT PUBACK (cangw)."""
    results = sms_latency.measure(115200, mode["e2e"])
    figures = []
    labels = {"commit": "row committed", "ack": "acknowledgement handed to the modem",
              "puback": "MQTT PUBACK"}
    for size, (merged, drains) in results.items():
        for key, label in labels.items():
            values = [v * 1000 for v in merged[key]]
            for p in (50, 99):
                figures.append(Figure(f"cangw: SMS arrival -> {label}, burst of {size}, p{p}",
                                      percentile(values, p), "ms",
                                      f"{SIM}, real mosquitto; {len(values)} messages",
                                      min(values), max(values), len(values)))
        figures.append(Figure.of(f"cangw: burst of {size} drained to the last acknowledgement, "
                                 "share of the serial line used",
                                 [d["line_s"] / d["drain_s"] * 100 for d in drains], "%", SIM))
    return figures


def throughput(mode: dict) -> list[Figure]:
    """Item 3: parse -> commit -> outbox without the serial line; the fsync rate alone."""
    runs = [core.throughput(mode["core"]) for _ in range(mode["core_runs"])]
    fsyncs = [core.fsync_rate(500) for _ in range(mode["core_runs"])]
    return [
        Figure.of("core: messages through parse, commit and outbox", [r[0] for r in runs],
                  "msg/s", f"{mode['core']} decoded SMS, one durable transaction each"),
        Figure.of("core: CPU per alert", [r[1] for r in runs], "ms", "process CPU time"),
        Figure.of("reference: durable SQLite commits on this disk", fsyncs, "commit/s",
                  "one-row transactions, WAL, synchronous=FULL: the ceiling for one commit "
                  "per message"),
    ]


def life(mode: dict) -> list[Figure]:
    """Items 4, 5 and 7: footprint, disk writes and growth of one daemon over a base's life."""
    f = footprint.measure(mode["volume"], mode["queued"], mode["idle"], mode["focal"])
    grown = f.rss_queued_mb / f.rss_before_queue_mb * 100 - 100
    unpaced = "simulated modem unpaced, real mosquitto"
    return [
        Figure("daemon start-up to ready", f.ready_s, "s", f"until {f.ready_by}"),
        Figure("daemon CPU while idle", f.idle_cpu_percent, "% of one core",
               f"over {mode['idle']} s, GSM and MQTT links up", target="under 1%",
               met=f.idle_cpu_percent < 1),
        Figure("daemon resident memory, idle", f.rss_idle_mb, "MB", "VmRSS",
               target="under 60 MB", met=f.rss_idle_mb < 60),
        Figure(f"daemon resident memory after {mode['volume']:,} alerts",
               f.rss_after_volume_mb, "MB", unpaced),
        Figure(f"daemon resident memory with {mode['focal']:,} focal points registered",
               f.rss_before_queue_mb, "MB", "the registry is cached in memory"),
        Figure(f"daemon resident memory with {f.queued:,} alerts queued (broker stopped)",
               f.rss_queued_mb, "MB", f"{f.stored:,} alerts stored", target="within 10%",
               met=abs(grown) <= 10),
        Figure("memory growth while alerts queue", grown, "%",
               f"{f.queued:,} undelivered alerts vs just before the broker stopped"),
        Figure("bytes written to disk per alert, alerts arriving one at a time",
               f.bytes_per_lone_alert, "bytes",
               f"{footprint.LONE} alerts, each received, acknowledged and delivered before the "
               "next; /proc/<pid>/io write_bytes", target="under 16 KB",
               met=f.bytes_per_lone_alert < 16384),
        Figure("bytes written to disk per alert, alerts arriving in bursts",
               f.bytes_per_alert, "bytes",
               f"{mode['volume']:,} alerts, realistic mix, 200 at a time, acknowledged and "
               "delivered; /proc/<pid>/io write_bytes", target="under 16 KB",
               met=f.bytes_per_alert < 16384),
        Figure.of("growth: SMS arrival -> committed, ~100 alerts stored", f.latency_few_ms, "ms",
                  unpaced),
        Figure.of(f"growth: SMS arrival -> committed, {f.stored - mode['queued']:,} alerts stored",
                  f.latency_many_ms, "ms", unpaced),
        Figure.of(f"growth: SMS arrival -> committed, {mode['focal']:,} focal points",
                  f.latency_focal_ms, "ms", f"{unpaced}; the first message after the import "
                  "rebuilds the registry cache"),
    ]


def satellite(mode: dict) -> list[Figure]:
    """Item 6: bytes per alert over Iridium SBD in full batches, beside JSON and CAP XML, over
    several random mixes (each a run)."""
    runs = [sbd_size.measure(sbd_size.make_alerts(500, seed, 0.0))
            for seed in range(1, mode["seeds"] + 1)]
    mix = "500 alerts: codes and villages, 10% with short free text, a quarter with a count"
    return [
        Figure.of("satellite: bytes per alert in full SBD batches", [r.mean_full for r in runs],
                  "bytes", f"{mix}; messages over {sbd_size.MO_MAX - 30} of 340 bytes; format "
                  "version 2", "at most 10 bytes", lambda v: v <= 10),
        Figure.of("satellite: the same in format version 1 (before)",
                  [r.packings["version 1 (before)"].mean_full for r in runs], "bytes",
                  f"{mix}; what bases sent before version 2"),
        Figure.of("satellite: the same alerts as MQTT JSON", [mean(r.json_sizes) for r in runs],
                  "bytes", f"{mix}; schema 1 payload"),
        Figure.of("satellite: the same alerts as CAP 1.2 XML", [mean(r.cap_sizes) for r in runs],
                  "bytes", f"{mix}; one <alert> each"),
    ]


def cli(mode: dict) -> list[Figure]:
    timings = cli_growth.timings(mode["cli"])
    slowest = max(timings, key=timings.get)
    return [Figure(f"growth: slowest CLI query at {mode['cli']:,} alerts ({slowest})",
                   timings[slowest] * 1000, "ms",
                   "in-process; " + ", ".join(f"{k} {v * 1000:.1f}" for k, v in timings.items()))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run under two minutes")
    args = parser.parse_args()
    name = "quick" if args.quick else "full"
    mode, started, figures = MODES[name], time.time(), []
    for stage in (comparison, end_to_end, throughput, life, satellite, cli):
        begun = time.time()
        figures += stage(mode)
        print(f"{stage.__name__}: {time.time() - begun:.0f} s", flush=True)
    write(figures, name, started)
    print(f"wrote bench/results.md and bench/results.json ({len(figures)} figures, "
          f"{time.time() - started:.0f} s)")
    misses = [f.name for f in figures if f.met is False]
    print("targets not met: " + ("; ".join(misses) if misses else "none"))


if __name__ == "__main__":
    main()
