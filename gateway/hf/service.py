"""The worker that owns the HF radio link: hear, commit, acknowledge within the channel's means.

Every message heard is committed (with its alert and acknowledgement row) before anything else;
a store failure keeps it in memory and tries again. Acknowledgements leave one frame at a time
and never more than `frames_per_minute`: an HF channel is shared and slow. The budget is
counted on the monotonic clock (a step of the wall clock neither stalls nor renews it), from
what the store says was sent in the last minute when the worker starts (a restart does not
renew it either). Noise is counted, logged once a minute at most,
and never stops the reader. A lost port raises LinkError: the Worker reconnects with backoff.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter, deque

from gateway import clock
from gateway.alerts.codes import CodeBook
from gateway.alerts.pipeline import Pipeline
from gateway.config import Config
from gateway.errors import FrameError, LinkError, StoreError
from gateway.hf.intake import HfIntake
from gateway.hf.kiss import Garbage
from gateway.hf.link import Heard, HfLink, Ignored, Received
from gateway.repeats import Repeats
from gateway.store import deliveries, outbox
from gateway.store import links as link_status
from gateway.workers import Notifier, StoreWorker

log = logging.getLogger(__name__)

READ_WAIT = 0.2
RATE_PERIOD = 60.0
RECORD_GAP = 1.0  # counters reach the store (status) at most once a second
NOISE_LOG_GAP = 60.0
BACKLOG_MAX = 1000
STORE_RETRY = 5.0


class HfService(StoreWorker):
    def __init__(self, config: Config, codebook: CodeBook, notifier: Notifier):
        super().__init__("hf", config.store.path)
        assert config.hf is not None
        self.config = config
        self.hf = config.hf
        self.codebook = codebook
        self.notifier = notifier
        self.link: HfLink | None = None
        self.pipeline: Pipeline | None = None
        self.intake: HfIntake | None = None
        self.counts: Counter[str] = Counter()
        self._backlog: deque[tuple[Heard, float]] = deque()
        self._retry_at = 0.0
        self._recorded: tuple | None = None
        self._recorded_at = 0.0
        self._noise = Repeats(NOISE_LOG_GAP)
        self._sent: deque[float] = deque()  # when the last frames left (monotonic)

    # -- life cycle ---------------------------------------------------------------------------
    def loop(self) -> None:
        if self.open_store():
            self.pipeline = Pipeline(self._store(), self.config, self.codebook, self.notifier)
            self.intake = HfIntake(self.pipeline, self.hf)
            self._sent = self._recently_sent()
        link = HfLink(self.hf)
        try:
            link.open()
            self.link = link
            log.info("HF link on %s open (%s mode, base %s)", self.hf.port, self.hf.mode,
                     self.hf.callsign)
            self._record("up")
            self.link_up()
            while not self.stopping.is_set():
                self.beat()
                items = link.receive(READ_WAIT)
                received_at = time.time()  # when the bytes came, not when the wait began
                for item in items:
                    self._on_item(item, received_at)
                self._retry_backlog()
                self._send_due()
                self._record_counts()
        except LinkError as exc:
            self._record("down", error=str(exc))
            raise
        finally:
            self.link = None
            link.close()

    def cleanup(self) -> None:
        if self.store is not None:
            self._record("stopped")
        self.close_store()

    # -- receiving ----------------------------------------------------------------------------
    def _on_item(self, item: Received, received_at: float) -> None:
        if isinstance(item, Garbage):
            self.counts["garbage"] += 1
            self._log_noise(item)
        elif isinstance(item, Ignored):
            self.counts["ignored"] += 1
            log.debug("HF: ignored (%s)", item.reason)
        else:
            self.counts["heard"] += 1
            self.counts["latin1"] += item.latin1
            if self._backlog or not self._take(item, received_at):
                self._keep(item, received_at)

    def _take(self, heard: Heard, received_at: float) -> bool:
        """Commit one heard message; False when the store failed (the caller keeps it)."""
        try:
            taken = self._intake().take(heard, received_at)
        except (sqlite3.Error, StoreError, OSError) as exc:
            log.error("cannot store an HF message (%s); kept in memory, trying again in %.0f s",
                      exc, STORE_RETRY)
            self._retry_at = time.monotonic() + STORE_RETRY
            return False
        if taken.own:
            self.counts["own"] += 1
            log.debug("HF: our own transmission heard back")
        elif taken.copy_of is not None:
            self.counts["copies"] += 1
            log.info("HF: copy of %s from %s folded into it", taken.copy_of.ref,
                     self._intake().pipeline.pseudonym(heard.sender))
        return True

    def _keep(self, heard: Heard, received_at: float) -> None:
        """Hold a message the store refused, in arrival order, bounded."""
        if len(self._backlog) >= BACKLOG_MAX:
            log.error("%d HF messages wait for the store already: the oldest is lost", BACKLOG_MAX)
            self._backlog.popleft()
        self._backlog.append((heard, received_at))

    def _retry_backlog(self) -> None:
        if time.monotonic() < self._retry_at:
            return
        while self._backlog and self._take(*self._backlog[0]):
            self._backlog.popleft()

    def _log_noise(self, garbage: Garbage) -> None:
        if not self._noise.due("garbage"):
            return
        unsaid = self._noise.unsaid("garbage")
        earlier = f" (and {unsaid} more since the last report)" if unsaid else ""
        log.warning("HF: %d bytes of garbage: %s%s", garbage.size, garbage.reason, earlier)

    # -- acknowledgements ---------------------------------------------------------------------
    def _send_due(self) -> None:
        if not self.hf.acknowledges:
            return
        rows = outbox.due(self._store().db, "hf", clock.now())
        if not rows or self._budget_wait(time.monotonic()) > 0:
            return
        self._send(rows[0])

    def _budget_wait(self, now: float) -> float:
        """Seconds until another frame fits in `frames_per_minute` (0: now)."""
        while self._sent and self._sent[0] <= now - RATE_PERIOD:
            self._sent.popleft()
        if len(self._sent) < self.hf.frames_per_minute:
            return 0.0
        return self._sent[-self.hf.frames_per_minute] + RATE_PERIOD - now

    def _recently_sent(self) -> deque[float]:
        """The frames the store says left in the last minute, on the monotonic clock; one
        dated in the future (the wall clock stepped back since) counts as sent just now."""
        wall, steady = time.time(), time.monotonic()
        sent = outbox.hf_done_times(self._store().db, wall - RATE_PERIOD)
        recent = sent[-self.hf.frames_per_minute:] if self.hf.frames_per_minute else []
        return deque(steady - max(0.0, wall - at) for at in recent)

    def _send(self, row: outbox.OutboxRow) -> None:
        store, link = self._store(), self._link()
        who = self._intake().pipeline.pseudonym(row.recipient)
        try:
            link.send_ack(row.recipient or "", row.body or "")
        except FrameError as exc:
            with store.transaction() as db:
                outbox.mark_attempt_failed(db, row.id, str(exc), clock.now(), max_attempts=1)
            log.warning("HF acknowledgement %d to %s cannot be sent: %s", row.id, who, exc)
            return
        except LinkError as exc:
            with store.transaction() as db:
                outbox.mark_attempt_failed(db, row.id, f"link lost while sending: {exc}",
                                           clock.now())
            raise
        with store.transaction() as db:
            outbox.mark_done(db, row.id, time.time())
            deliveries.record_handed(db, row.id, time.time())  # a bulletin's or follow-up's
        self._sent.append(time.monotonic())
        self.counts["sent"] += 1
        log.info("HF acknowledgement sent to %s (outbox %d)", who, row.id)

    # -- status -------------------------------------------------------------------------------
    def _snapshot(self) -> tuple:
        return (*sorted(self.counts.items()), len(self._backlog))

    def _record_counts(self) -> None:
        if self._snapshot() == self._recorded or time.monotonic() - self._recorded_at < RECORD_GAP:
            return
        self._record("up")

    def _record(self, state: str, **detail: object) -> None:
        if self.store is None:
            return
        counts = {key: self.counts[key] for key in
                  ("heard", "garbage", "ignored", "own", "copies", "latin1", "sent")}
        try:
            with self.store.transaction() as db:
                link_status.record(db, "hf", state, port=self.hf.port, mode=self.hf.mode,
                                   **counts, backlog=len(self._backlog), **detail)
        except sqlite3.Error as exc:
            log.warning("cannot record the HF link state: %s", exc)
            return
        self._recorded = self._snapshot()
        self._recorded_at = time.monotonic()
        self.notifier("status")

    def _link(self) -> HfLink:
        if self.link is None:
            raise LinkError("HF port not open")
        return self.link

    def _intake(self) -> HfIntake:
        assert self.intake is not None
        return self.intake
