"""How the technician's commands fare on a store that has grown for years.

Fills a store with a realistic mix of alerts (in large transactions, as fast as SQLite allows),
then times each read command of `cangw` in-process (click's runner, so Python's start-up is not
counted): the slowest one is the figure, and every query must stay indexed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner
from core import realistic_texts

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.cli import cli
from gateway.config import load_config
from gateway.sim.harness import write_config
from gateway.store import Store
from gateway.store.inbox import NewMessage

HERE = Path(__file__).parent
BATCH = 2000


def fill(config_path: Path, alerts: int) -> None:
    config = load_config(config_path)
    with Store.open(config.store.path) as store:
        pipeline = Pipeline(store, config, load_codebook())
        texts = realistic_texts(alerts)
        start = time.time() - alerts * 60  # one alert a minute, ending now
        for first in range(0, alerts, BATCH):
            with store.transaction() as db:
                for n in range(first, min(alerts, first + BATCH)):
                    pipeline.record_message(NewMessage("sms", f"+2439905{n % 5000:05d}",
                                                       texts[n], start + n * 60))
                # delivered and acknowledged long ago, as on a working base
                db.execute("UPDATE outbox SET state = 'done', done_at = created_at + 1"
                           " WHERE state = 'pending'")


def timings(alerts: int) -> dict[str, float]:
    """Seconds each command took on a store of `alerts` alerts."""
    with tempfile.TemporaryDirectory(dir=HERE) as folder:
        config = write_config(Path(folder), mqtt_port=1883)
        fill(config, alerts)
        since = (dt.datetime.now() - dt.timedelta(days=1)).isoformat(timespec="minutes")
        commands = {
            "alerts list": ["alerts", "list"],
            "alerts list --unseen": ["alerts", "list", "--unseen"],
            "alerts list --code 2": ["alerts", "list", "--code", "2"],
            "alerts list --since (1 day)": ["alerts", "list", "--since", since],
            "alerts show": ["alerts", "show", f"KWJ-{alerts // 2:04d}"],
            "outbox list": ["outbox", "list"],
            "outbox list --state done": ["outbox", "list", "--state", "done"],
            "status --json": ["status", "--json"],
        }
        runner, result = CliRunner(), {}
        for label, args in commands.items():
            runner.invoke(cli, ["-c", str(config), *args])  # warm the page cache
            started = time.perf_counter()
            outcome = runner.invoke(cli, ["-c", str(config), *args])
            result[label] = time.perf_counter() - started
            if outcome.exit_code != 0:
                raise RuntimeError(f"cangw {label}: {outcome.output}")
    return result
