"""Core throughput without the serial line: parse -> commit -> outbox, in one process.

Decoded SMS are handed straight to the pipeline (as the GSM worker does after AT+CMGR), each in
its own durable transaction, and the limit is compared with the fsync rate of SQLite on the
same disk measured alone (one-row commits with WAL and synchronous=FULL).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import write_config
from gateway.store import Store

HERE = Path(__file__).parent
MIX = ["9 {village}", "9 {village} salama", "alerte 2 {village} 15 hommes armés", "hatari 3",
       "A*1*{number}#", "6 {village} familles en fuite", "9 {village}", "9",
       "Bonjour, on entend des tirs vers la rivière", "7 {village} menaces au marché"]


def realistic_texts(count: int) -> list[str]:
    """A base's traffic: mostly daily check-ins, some alerts, a few free-text reports."""
    villages = [("Kamango", 12), ("Mutwanga", 204), ("Nobili", 31)]
    texts = []
    for n in range(count):
        name, number = villages[n % len(villages)]
        texts.append(MIX[n % len(MIX)].format(village=name, number=number) + f" #{n}")
    return texts


def throughput(count: int) -> tuple[float, float]:
    """(messages per second, CPU milliseconds per alert) through parse, commit and outbox."""
    with tempfile.TemporaryDirectory(dir=HERE) as folder:  # the project's disk, not a tmpfs
        config = load_config(write_config(Path(folder), mqtt_port=1883))
        parts = [decode_deliver(build_deliver_pdus(f"+2439900{n % 500:05d}", text)[0].hex)
                 for n, text in enumerate(realistic_texts(count))]
        with Store.open(config.store.path) as store:
            pipeline = Pipeline(store, config, load_codebook())
            wall, cpu = time.perf_counter(), time.process_time()
            for part in parts:
                pipeline.ingest_sms(part)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, cpu / count * 1000


def fsync_rate(count: int) -> float:
    """Durable one-row commits per second on this disk (WAL, synchronous=FULL)."""
    with tempfile.TemporaryDirectory(dir=HERE) as folder, \
            Store.open(Path(folder) / "fsync.db") as store:
        store.db.execute("CREATE TABLE probe (n INTEGER)")
        started = time.perf_counter()
        for n in range(count):
            with store.transaction() as db:
                db.execute("INSERT INTO probe VALUES (?)", [n])
        return count / (time.perf_counter() - started)
