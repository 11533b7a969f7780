"""`cangw hq-collect`: every base's alerts, incidents, events and status from headquarters' NATS
cluster into headquarters' store, each committed before it is acknowledged to the cluster.

It reads NATS's own MQTT messages stream (`$MQTT_msgs`, subjects `$MQTT.msgs.<topic>`) through
a durable JetStream pull consumer (nats-py), not through an MQTT session:
- that stream is where a base's PUBACK comes from (a majority of its three replicas stored the
  message first), and streams.py makes it keep every message 90 days whatever is read;
  a second stream capturing the topics would be fed after the PUBACK and loses messages while
  it has no leader (measured);
- the consumer is replicated like the stream, survives any one node, and remembers what was
  acknowledged: after a crash the collector resumes there, and what it took but had not
  acknowledged comes again after `ack_wait` (records.py makes a second copy harmless);
- acknowledgements are explicit and sent only after the batch's SQLite COMMIT (paho's MQTT
  client acknowledges QoS 1 messages itself on arrival unless told otherwise), and a batch of
  hundreds costs one commit;
- retained statuses and last wills are in the same stream (tested), so liveness needs no second
  subscription, and a subscription made while the retained-messages stream has no leader
  (which misses the retained ones) is never needed;
- a new consumer name reads the stream from its start: headquarters' store is rebuilt by
  deleting the file (or choosing another `consumer`) and starting again.
The cost is a second port (NATS, 4222) open to headquarters' own machines only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import sqlite3
import time
from collections import Counter

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from gateway.hq import liveness
from gateway.hq.cluster_client import connect
from gateway.hq.config import BASE_ID, CollectorConfig, HqConfig
from gateway.hq.records import Incoming, apply, open_records
from gateway.hq.users import MESSAGES_STREAM
from gateway.repeats import Repeats

log = logging.getLogger(__name__)

MQTT_SUBJECTS = "$MQTT.msgs."
FETCH_WAIT = 1.0  # seconds a fetch waits when nothing is there
RETRY_WAIT = 0.5
SUMMARY_EVERY = 60.0
OWN_KINDS = ("commands",)  # what headquarters itself publishes under a base


class Collector:
    def __init__(self, config: HqConfig, replay_from: float | None = None):
        """`replay_from`: a new consumer reads the stream from that time on instead of from its
        start (a store restored from a backup taken then)."""
        if config.collector is None:
            raise ValueError(f"{config.source}: no [collector] section")
        self.settings: CollectorConfig = config.collector
        self.store_path = config.store.path
        self.conn = open_records(config.store.path)
        self.base_ids = [base.id for base in config.bases]
        self.prefix = MQTT_SUBJECTS + self.settings.topic_prefix.replace("/", ".") + "."
        self.stopping = asyncio.Event()
        self.tally: Counter[str] = Counter()
        self.caught_up = False
        self._repeats = Repeats()
        self._started = time.time()
        self._watched_at = 0.0
        self.replay_from = replay_from
        self.exit_code = 0

    def run(self) -> int:
        """Collect until SIGTERM or SIGINT."""
        return asyncio.run(self._main())

    async def _main(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        connection = await self._connect()
        try:
            if connection is not None:
                await self._collect(connection)
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()
            self.conn.close()
        log.info("hq-collect stopped")
        return self.exit_code

    async def _connect(self) -> nats.NATS | None:
        """The cluster, tried until one node answers (or the collector is stopped)."""
        while not self.stopping.is_set():
            try:
                return await connect(self.settings, "cangw-hq-collect", allow_reconnect=True,
                                     max_reconnect_attempts=-1, error_cb=self._nats_error,
                                     disconnected_cb=self._disconnected,
                                     reconnected_cb=self._reconnected)
            except (OSError, nats.errors.Error) as exc:
                self._trouble(f"cannot reach the cluster: {exc!r}")
                await asyncio.sleep(RETRY_WAIT * 4)
        return None

    async def _collect(self, connection: nats.NATS) -> None:
        subscription = await self._subscribe(connection)
        if subscription is None:
            return
        log.info("hq-collect: reading %s from %s (consumer %s)", self.prefix + ">",
                 MESSAGES_STREAM, self.settings.consumer)
        summary_at = time.monotonic()
        while not self.stopping.is_set():
            await self._step(subscription)
            if time.monotonic() - summary_at > SUMMARY_EVERY and self.tally:
                log.info("hq-collect: %s", ", ".join(f"{n} {k}" for k, n in sorted(self.tally.items())))
                self.tally.clear()
                summary_at = time.monotonic()

    async def _subscribe(self, connection: nats.NATS) -> JetStreamContext.PullSubscription | None:
        """The durable consumer, made on the first run (it then reads the stream from its
        start); retried while the cluster cannot answer (a node down, an election)."""
        js = connection.jetstream(timeout=5)
        config = ConsumerConfig(
            durable_name=self.settings.consumer, ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL, ack_wait=self.settings.ack_wait,
            max_ack_pending=self.settings.batch * 4)
        if self.replay_from is not None:
            config.deliver_policy = DeliverPolicy.BY_START_TIME
            config.opt_start_time = dt.datetime.fromtimestamp(self.replay_from, dt.UTC)
        while not self.stopping.is_set():
            try:
                if self.replay_from is not None and await self._consumer_exists(js):
                    log.error("hq-collect: consumer %s exists and goes on where it stopped: a"
                              " replay needs a new [collector] consumer name", self.settings.consumer)
                    self.exit_code = 1
                    return None
                return await js.pull_subscribe(self.prefix + ">", durable=self.settings.consumer,
                                               stream=MESSAGES_STREAM, config=config)
            except (TimeoutError, nats.errors.Error) as exc:
                self._trouble(f"cannot set up the consumer: {exc!r}")
                await asyncio.sleep(RETRY_WAIT)
        return None

    async def _consumer_exists(self, js: JetStreamContext) -> bool:
        try:
            await js.consumer_info(MESSAGES_STREAM, self.settings.consumer)
        except NotFoundError:
            return False
        return True

    async def _step(self, subscription: JetStreamContext.PullSubscription) -> None:
        try:
            messages = await subscription.fetch(self.settings.batch, timeout=FETCH_WAIT)
        except TimeoutError:  # nats.errors.TimeoutError too: nothing new
            messages = []
        except nats.errors.Error as exc:
            self._trouble(f"fetch failed: {exc!r}")
            await asyncio.sleep(RETRY_WAIT)
            return
        if messages:
            try:
                self.commit(messages)
            except sqlite3.Error as exc:  # a full disk, a locked file: nothing acknowledged
                self._trouble(f"cannot commit to {self.store_path}: {exc} (the messages come "
                              f"again after ack_wait)")
                await asyncio.sleep(RETRY_WAIT * 4)
                return
            for message in messages:
                with contextlib.suppress(nats.errors.Error):  # not acknowledged: it comes again
                    await message.ack()
            self.caught_up = messages[-1].metadata.num_pending == 0
        else:
            self.caught_up = True
        if self.caught_up:
            self.watch(time.time())

    def commit(self, messages: list[Msg]) -> Counter[str]:
        """One transaction for the batch; what became of each message, counted."""
        batch = [item for item in (self._incoming(message) for message in messages) if item]
        tally = apply(self.conn, batch, time.time())
        self.tally.update(tally)
        return tally

    def _incoming(self, message: Msg) -> Incoming | None:
        subject = message.subject
        base, _, kind = subject.removeprefix(self.prefix).partition(".")
        if kind in OWN_KINDS:
            return None
        return Incoming(message.metadata.sequence.stream, base, kind, message.data,
                        message.metadata.timestamp.timestamp(), subject)

    def watch(self, now: float) -> None:
        """Liveness, at most every few seconds, judged only once the backlog is read."""
        if now - self._watched_at < min(5.0, self.settings.silent_after / 4):
            return
        self._watched_at = now
        known = dict.fromkeys(self.base_ids)
        for (base,) in self.conn.execute("SELECT base FROM hq_bases"):
            if BASE_ID.fullmatch(base):
                known[base] = None
        liveness.watch(self.conn, known, now, self.settings.silent_after, self._started)

    # -- the connection's news ------------------------------------------------------------
    def _trouble(self, what: str) -> None:
        if self._repeats.due(what):
            log.warning("hq-collect: %s; retrying", what)

    async def _nats_error(self, exc: Exception) -> None:
        self._trouble(f"NATS: {exc!r}")

    async def _disconnected(self) -> None:
        log.warning("hq-collect: disconnected from the cluster; reconnecting")

    async def _reconnected(self) -> None:
        self._repeats.clear()
        log.info("hq-collect: reconnected to the cluster")
