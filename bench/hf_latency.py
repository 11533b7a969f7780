"""HF latency: the last audio sample of a message fed to direwolf -> the alert committed.

Each focal-point message is modulated as 300-baud HF AFSK by direwolf's `gen_packets`, then cut
at the shortest length direwolf's `atest` still decodes (gen_packets ends a frame with trailing
flags: without the cut the frame would decode before its audio ends). The cut audio is fed to a
`direwolf` process on stdin at the sound card's pace (silence between messages) and the real
daemon reads direwolf's KISS TCP port. Prints p50/p90/max of, from the last sample written,
  (a) the alert committed (`alerts.created_at`; direwolf's demodulation included),
  (b) the acknowledgement frame handed to direwolf (outbox row done),
  (c) the MQTT PUBACK (the alert's mqtt outbox row done).

    .venv/bin/python bench/hf_latency.py [--messages 12]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import tempfile
import time
import wave
from pathlib import Path

from stats import percentile

from gateway.sim.broker import Broker
from gateway.sim.direwolf import BAUD, SAMPLE_RATE, Direwolf, modulate
from gateway.sim.harness import DaemonProcess, query, wait_for, write_config

TEXTS = ["2 KAMANGO", "ALERTE 2 KAMANGO 15 hommes armes", "hatari 3 Nobili", "A*1*204#",
         "9 salama", "6 Mutwanga"]


def decodes(pcm: bytes, folder: Path) -> bool:
    path = folder / "cut.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)
    result = subprocess.run(["atest", "-B", str(BAUD), str(path)], capture_output=True,
                            text=True, errors="replace", check=False)
    return "1 packets decoded" in result.stdout


def shortest_decodable(pcm: bytes, folder: Path) -> bytes:
    """The shortest prefix (whole samples) that atest still decodes as the packet."""
    low, high = 0, len(pcm) // 2  # in samples: low fails, high decodes
    if not decodes(pcm, folder):
        raise RuntimeError("atest does not decode the generated packet")
    while high - low > 1:
        middle = (low + high) // 2
        if decodes(pcm[:middle * 2], folder):
            high = middle
        else:
            low = middle
    return pcm[:high * 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=12)
    args = parser.parse_args()
    print(f"# HF latency, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"direwolf 1.6 at {BAUD} baud AFSK 1600/1800 Hz, {SAMPLE_RATE} Hz audio on stdin "
          f"in 20 ms chunks at real-time pace, KISS over TCP, real mosquitto")
    with tempfile.TemporaryDirectory() as name, Broker() as broker:
        folder = Path(name)
        with Direwolf(folder, mycall="UNBASE") as tnc:
            hf = f'\n[hf]\nport = "{tnc.url}"\ncallsign = "UNBASE"\nframes_per_minute = 60\n'
            config = write_config(folder, mqtt_port=broker.port, extra=hf)
            db = folder / "gateway.db"
            commit, ack, puback, trimmed = [], [], [], []
            with DaemonProcess(config) as daemon:
                wait_for(lambda: query(db, "SELECT 1 FROM link_status WHERE link = 'hf'"
                                           " AND state = 'up'"), 30, what="the HF link up")
                for n in range(args.messages):
                    text = f"{TEXTS[n % len(TEXTS)]} {n}"
                    full = modulate(f"9Q{n % 10}KAM-{n % 16}>UNBASE:{text}")
                    cut = shortest_decodable(full, folder)
                    trimmed.append((len(full) - len(cut)) / 2 / SAMPLE_RATE)
                    last_sample = tnc.play(cut)
                    row = wait_for(lambda n=n: query(
                        db, "SELECT a.created_at, h.done_at, q.done_at FROM alerts a"
                            " JOIN outbox h ON h.alert_id = a.id AND h.destination = 'hf'"
                            " JOIN outbox q ON q.alert_id = a.id AND q.destination = 'mqtt'"
                            " WHERE a.seq = ? AND h.done_at IS NOT NULL"
                            " AND q.done_at IS NOT NULL", [n + 1]), 30,
                        what=f"message {n + 1} committed, acknowledged and delivered")[0]
                    commit.append(row[0] - last_sample)
                    ack.append(row[1] - last_sample)
                    puback.append(row[2] - last_sample)
                    time.sleep(1.0)  # let direwolf transmit the acknowledgement, as on air
                daemon.stop()
    print()
    print("| from the last audio sample of the message to | samples | p50 ms | p90 ms | max ms |")
    print("|---|---|---|---|---|")
    for label, values in (("(a) alert committed", commit), ("(b) ack frame to direwolf", ack),
                          ("(c) MQTT PUBACK", puback)):
        ms = [v * 1000 for v in values]
        print(f"| {label} | {len(ms)} | {percentile(ms, 50):.1f} | {percentile(ms, 90):.1f} | "
              f"{max(ms):.1f} |")
    print(f"\ngen_packets' trailing audio cut after the last decodable sample: "
          f"{min(trimmed) * 1000:.0f}-{max(trimmed) * 1000:.0f} ms per message.")


if __name__ == "__main__":
    main()
