"""How many frames per second the KISS/AX.25 codec decodes, on this machine.

Builds a stream of KISS frames like an HF channel's (UI frames from focal points, some through
digipeaters, some with bytes that need escaping, some noise between them), feeds it to the
decoder in 4 KB reads as the HF worker does, and prints frames per second for
  (a) KISS deframing alone,
  (b) KISS + AX.25 UI decoding,
  (c) the HF link's whole KISS dialect (+ text decoding, classification),
and the encoder's rate for acknowledgement frames.

    .venv/bin/python bench/hf_codec.py [--frames 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gateway.alerts.acks import AckFacts, render_ack
from gateway.alerts.codes import load_codebook
from gateway.alerts.text import to_ascii
from gateway.config import load_config
from gateway.hf import kiss
from gateway.hf.ax25 import Address, UiFrame
from gateway.hf.kiss import KissDecoder, KissFrame
from gateway.hf.link import KissDialect
from gateway.sim.harness import write_config

READ = 4096
TEXTS = ["2 KAMANGO", "ALERTE 2 KAMANGO 15 hommes armes", "hatari 3 Nobili", "A*1*204#",
         "9 salama", "6 Mutwanga watu wanakimbia kuelekea Beni", "BIN\xc0\xdb 4 Kasindi"]


def make_stream(count: int, seed: int = 1) -> tuple[bytes, int]:
    chooser = random.Random(seed)
    parts = []
    for n in range(count):
        via = tuple(Address("RELAY", 0, True) for _ in range(chooser.choice((0, 0, 1, 2))))
        info = chooser.choice(TEXTS).encode("latin-1") + f" {n}\r\n".encode()
        frame = UiFrame(Address("UNBASE", 0, True), Address(f"9Q{n % 10}KAM", n % 16, True),
                        info, via)
        parts.append(kiss.encode(frame.encode()))
        if n % 50 == 0:
            parts.append(b"\xc0" * 3)  # FEND fill, as some TNCs send
    return b"".join(parts), count


def deframe(stream: bytes) -> int:
    decoder = KissDecoder()
    return sum(isinstance(item, KissFrame)
               for start in range(0, len(stream), READ) for item in decoder.feed(stream[start:start + READ]))


def deframe_and_decode(stream: bytes) -> int:
    decoder, count = KissDecoder(), 0
    for start in range(0, len(stream), READ):
        for item in decoder.feed(stream[start:start + READ]):
            if isinstance(item, KissFrame):
                UiFrame.decode(item.data)
                count += 1
    return count


def make_dialect_run() -> Callable[[bytes], int]:
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(write_config(Path(folder), extra=(
            '\n[hf]\nport = "socket://127.0.0.1:8001"\ncallsign = "UNBASE"\n')))

    def run(stream: bytes) -> int:
        dialect = KissDialect(config.hf)
        return sum(len(dialect.decode(stream[start:start + READ]))
                   for start in range(0, len(stream), READ))
    return run


def rate(function: Callable[[bytes], int], stream: bytes, expected: int, runs: int) -> float:
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        decoded = function(stream)
        elapsed = time.perf_counter() - started
        assert decoded == expected, (decoded, expected)
        rates.append(decoded / elapsed)
    return statistics.median(rates)


def encode_rate(count: int, runs: int) -> float:
    base = Address("UNBASE")
    ack = AckFacts("KWJ-0193", "03:35", load_codebook().codes["2"], "Kamango")
    text = to_ascii(render_ack(ack, "fr")).encode()  # a typical acknowledgement over the air
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        for n in range(count):
            kiss.encode(UiFrame(Address("9Q2KAM", n % 16, True), base, text).encode())
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    stream, count = make_stream(args.frames)
    print(f"# HF codec, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{count} frames, {len(stream)} bytes ({len(stream) / count:.0f} bytes a frame), "
          f"{READ}-byte reads, median of {args.runs} runs")
    print()
    print("| stage | frames/s | MB/s |")
    print("|---|---|---|")
    for label, function in (("(a) KISS deframing", deframe),
                            ("(b) KISS + AX.25 UI decode", deframe_and_decode),
                            ("(c) HF link KISS dialect (+ text, classification)",
                             make_dialect_run())):
        frames_per_second = rate(function, stream, count, args.runs)
        megabytes = frames_per_second * len(stream) / count / 1e6
        print(f"| {label} | {frames_per_second:,.0f} | {megabytes:.1f} |")
    print(f"| encode an acknowledgement (AX.25 + KISS) | {encode_rate(count, args.runs):,.0f} | - |")
    print(f"\nfor scale: a 300-baud HF channel carries about {300 / 8 / (len(stream) / count):.2f} "
          "such frames a second; a 9600-baud serial TNC link about "
          f"{9600 / 10 / (len(stream) / count):.0f}.")


if __name__ == "__main__":
    main()
