"""The worker that owns the Iridium modem: fallback sessions, ring alerts, commands, status.

Each turn: settle alerts MQTT delivered meanwhile, then if a message is due (a status reply, or
alerts past their `fallback_after`, within the day's credits) or headquarters has a message
waiting (ring alert, or one queued after the last session), check the signal and run a session.
A message counts as sent only on an MO status of 0-4; its rows are marked done and its credits
counted in the same transaction, and only then is the modem's MO buffer cleared. A failed
session leaves every row pending and waits by Iridium's back-off. No signal is not a failed
session: nothing is tried, and the worker waits for the modem to say the signal is back
(+CIEV; or polls AT+CSQ every SIGNAL_POLL s if it cannot) and tries at once. A ring alert, or
the signal coming back, also cuts a back-off short: the network is there again. A lost port or
a session that never answers raises LinkError: the Worker reopens the modem with backoff.
"""

from __future__ import annotations

import logging
import time

from gateway import clock
from gateway.alerts.codes import CodeBook
from gateway.alerts.registry_cache import RegistryCache
from gateway.config import Config
from gateway.errors import CommandRejected, ConfigError, LinkError, ModemTimeout, SbdFormatError
from gateway.outreach import hq_wire
from gateway.outreach.commands import execute_broadcast
from gateway.outreach.config import outreach_settings
from gateway.outreach.hq_wire import decode_broadcast
from gateway.outreach.templates import Book, load_book
from gateway.sbd import commands
from gateway.sbd.link import Indications, SbdModem, SessionResult
from gateway.sbd.policy import (
    REGISTRATION_STATUS,
    Outgoing,
    SatellitePolicy,
    queue_status_reply,
    retry_delay,
)
from gateway.store import links as link_status
from gateway.store import outbox
from gateway.store import sbd as sbd_store
from gateway.timeutil import iso_utc, local_zone
from gateway.wipe import wipe
from gateway.workers import Notifier, StoreWorker

log = logging.getLogger(__name__)

TURN = 1.0
SIGNAL_POLL = 10.0  # seconds between AT+CSQ while alerts wait at signal 0, without +CIEV
BUDGET_NOTE_EVERY = 3600.0  # say that today's credits are spent once an hour


class SbdService(StoreWorker):
    def __init__(self, config: Config, codebook: CodeBook, notifier: Notifier):
        super().__init__("sbd", config.store.path)
        assert config.sbd is not None
        self.config = config
        self.sbd = config.sbd
        self.codebook = codebook
        self.notifier = notifier
        self.policy: SatellitePolicy | None = None
        self.book: Book | None = None
        self.key: bytes | None = None
        self.modem: SbdModem | None = None
        self.signal: int | None = None
        self.failures = 0
        self.retry_at = 0.0
        self.retry_firm = False  # MO status 36: not even a ring shortens this wait
        self._no_signal_noted = False
        self.rings = 0
        self.mt_waiting = False
        self._signal_at = 0.0
        self._recorded: tuple | None = None
        self._budget_noted = -BUDGET_NOTE_EVERY

    # -- life cycle ---------------------------------------------------------------------------
    def loop(self) -> None:
        if self.open_store():
            store = self._store()
            self.policy = SatellitePolicy(store, self.config, RegistryCache(store, self.codebook),
                                          local_zone(self.config.base.timezone))
            self.key = self._load_key()
        modem = SbdModem(self.sbd.port, self.sbd.baudrate, self.sbd.command_timeout,
                         self.sbd.session_timeout, self.sbd.ring_alerts)
        try:
            modem.open()
            self.modem = modem
            log.info("satellite modem on %s ready (IMEI %s)", self.sbd.port, modem.imei)
            self._refresh_signal()
            self.up.set()  # the link is up even at signal 0: it is waiting for the sky
            while not self.stopping.is_set():
                self.beat()
                self._take_indications(modem.indications())
                self._turn()
                self._record_status()
                self.notifier.wait("sbd", TURN)
        except LinkError as exc:
            self._record("down", **(self._recorded[1] if self._recorded else {}), error=str(exc))
            raise
        finally:
            self.modem = None
            modem.close()

    def cleanup(self) -> None:
        if self.store is not None:
            self._record("stopped", **(self._recorded[1] if self._recorded else {}))
        self.close_store()

    def _load_key(self) -> bytes | None:
        if self.sbd.command_key_file is None:
            log.info("satellite: no command_key_file; commands from headquarters are refused")
            return None
        try:
            return commands.load_key(self.sbd.command_key_file)
        except ConfigError as exc:
            log.error("satellite: %s; commands from headquarters are refused", exc)
            return None

    # -- one turn -----------------------------------------------------------------------------
    def _take_indications(self, news: Indications) -> None:
        """Rings and signal changes the modem announced; either ends a back-off (not the wait
        Iridium asks for after MO status 36)."""
        self.rings += news.rings
        was = self.signal
        if news.signal is not None:
            self.signal, self._signal_at = news.signal, time.monotonic()
        if news.rings or (news.signal is None and news.service):
            self._signal_at = 0.0  # the network is there: read the bars before the session
        returned = (was == 0 or news.dropped) and bool(news.signal or (
            news.signal is None and news.service))
        if (news.rings or returned) and self.retry_at > time.monotonic() and not self.retry_firm:
            log.info("satellite: the network is back (%s): trying now, not in %.0f s",
                     "ring alert" if news.rings else "signal", self.retry_at - time.monotonic())
            self.failures, self.retry_at = 0, 0.0

    def _turn(self) -> None:
        now = clock.now()
        if time.monotonic() < self.retry_at:  # a back-off is a wait: the wall clock may step
            return
        outgoing = self._policy().next_message(now, self.signal)
        self._note_budget(now, outgoing)
        fetch = self.rings > 0 or self.mt_waiting
        since_check = time.monotonic() - self._signal_at
        if outgoing is None and not fetch:
            if since_check > self.sbd.signal_interval:
                self._refresh_signal()
            return
        if self.signal == 0 and since_check < self._signal_poll():
            return  # waiting for the sky: +CIEV (or the next poll) says when it is back
        if self._refresh_signal() == 0:
            self._wait_for_signal(outgoing)
            return
        if self._no_signal_noted:
            log.info("satellite: signal back (%d): sending what waited", self.signal)
            self._no_signal_noted = False
        self._session(outgoing, now)

    def _signal_poll(self) -> float:
        """How long to trust a reading of 0: a modem that announces changes is asked again
        only now and then, in case an announcement was missed."""
        return self.sbd.signal_interval if self._modem().indicates_signal else SIGNAL_POLL

    def _wait_for_signal(self, outgoing: Outgoing | None) -> None:
        """No signal: no session, no failure counted, no back-off; said once per outage."""
        if not self._no_signal_noted:
            log.warning("satellite: no signal; %s waits and goes as soon as the signal is back",
                        f"a {outgoing.kind} message" if outgoing else "a message from "
                        "headquarters")
            self._no_signal_noted = True

    def _refresh_signal(self) -> int:
        self.signal = self._modem().signal()
        self._signal_at = time.monotonic()
        return self.signal

    def _session(self, outgoing: Outgoing | None, started: float) -> None:
        modem = self._modem()
        answer_ring = self.rings > 0
        if outgoing is not None:
            modem.load(outgoing.data)
        try:
            result = modem.session(answer_ring=answer_ring)
        except ModemTimeout:
            self._failed(started, "session timed out", outgoing)
            raise
        self.rings = 0
        if result.sent:
            self._succeeded(outgoing, result, started)
        else:
            self._failed(started, f"MO status {result.mo_status}: {result.meaning}", outgoing,
                         result)
        if outgoing is not None:
            modem.clear_mo()  # or the next mailbox check would send it again
        # more messages wait, or the one we went for could not be fetched (MT status 2)
        self.mt_waiting = result.mt_queued > 0 or (
            (answer_ring or self.mt_waiting) and result.mt_status == 2)
        if result.mt_received:
            self._on_mt(modem.read_mt(), result.mtmsn)

    def _succeeded(self, outgoing: Outgoing | None, result: SessionResult, started: float) -> None:
        store = self._store()
        kind = outgoing.kind if outgoing else "mailbox"
        what = (f"{outgoing.alerts} alert(s), " if outgoing and outgoing.alerts else "") + (
            f"{len(outgoing.data)} bytes, {outgoing.credits} credit(s), MOMSN {result.momsn}"
            if outgoing else "mailbox check")
        with store.transaction() as db:
            sbd_store.record_session(db, _record(started, kind, f"sent: {what}", outgoing,
                                                 result))
            for row_id in outgoing.rows if outgoing else ():
                outbox.mark_done(db, row_id, time.time())
        self.failures, self.retry_at, self.retry_firm = 0, 0.0, False
        if outgoing is not None:
            log.info("satellite: sent %s", what)

    def _failed(self, started: float, reason: str, outgoing: Outgoing | None,
                result: SessionResult | None = None) -> None:
        self.failures += 1
        delay = retry_delay(self.failures, result.mo_status if result else None)
        self.retry_at = time.monotonic() + delay
        self.retry_firm = result is not None and result.mo_status == REGISTRATION_STATUS
        kind = outgoing.kind if outgoing else "mailbox"
        with self._store().transaction() as db:
            sbd_store.record_session(db, _record(started, kind, f"failed: {reason}", None,
                                                 result))
        log.warning("satellite session failed (%s; %d in a row); next try in %.0f s", reason,
                    self.failures, delay)

    def _note_budget(self, now: float, outgoing: Outgoing | None) -> None:
        """Say once an hour that alerts wait because today's credits are spent (alerts are due
        and none fits in what is left)."""
        if outgoing is not None or time.monotonic() - self._budget_noted < BUDGET_NOTE_EVERY:
            return
        waiting = sbd_store.waiting(self._store().db, now)
        if waiting:
            log.warning("satellite: %d alert(s) wait; today's credits (%d of %d used) do not "
                        "cover them: they go tomorrow, or over MQTT", waiting,
                        self._policy().credits_used_today(now), self.sbd.daily_credit_budget)
            self._budget_noted = time.monotonic()

    # -- commands from headquarters -----------------------------------------------------------
    def _on_mt(self, message: bytes, mtmsn: int) -> None:
        store = self._store()
        with store.transaction() as db:
            try:
                if self.key is None:
                    raise CommandRejected("no command key configured")
                base = self.config.base.id
                command = commands.verify(self.key, base, message, hq_wire.last_counter(
                    self.key, base, sbd_store.accepted_commands(db)))
            except (CommandRejected, SbdFormatError) as exc:
                sbd_store.record_command(db, message, mtmsn, f"refused: {exc}")
                log.warning("satellite: message from headquarters (MTMSN %d, %d bytes) refused: "
                            "%s", mtmsn, len(message), exc)
                return
            outcome = self._carry_out(command)
            sbd_store.record_command(db, message, mtmsn, outcome, command.counter, command.name,
                                     accepted=True)
        log.info("satellite: command %s (counter %d) from headquarters: %s", command.name,
                 command.counter, outcome)
        if command.number == commands.PING:
            queue_status_reply(store, command.counter)
        elif command.number == commands.WIPE:
            wipe(self.config, "headquarters (satellite)")

    def _carry_out(self, command: commands.Command) -> str:
        """What an accepted command does (in the transaction that records it); its outcome."""
        if command.number == commands.PING:
            return "status reply queued"
        if command.number == commands.WIPE:
            return "wiping"
        if command.number != commands.BROADCAST:
            return "not supported"
        try:
            request = decode_broadcast(command.argument)
        except SbdFormatError as exc:
            return f"refused: not a broadcast ({exc})"
        made, outcome = execute_broadcast(self._store(), self.config, self._book(), request,
                                          "sbd", command.counter, time.time())
        if made is not None:
            for destination in ("outreach", "sms", "hf"):
                self.notifier(destination)
        return outcome

    def _book(self) -> Book:
        if self.book is None:
            self.book = load_book(outreach_settings(self.config).templates)
        return self.book

    # -- status -------------------------------------------------------------------------------
    def _record_status(self) -> None:
        now = time.time()
        last = sbd_store.last_session(self._store().db)
        failing = last is not None and last["result"].startswith("failed")
        state = "no_signal" if self.signal == 0 else "failing" if failing else "up"
        detail = {"signal": self.signal, "imei": self.modem.imei if self.modem else None,
                  "credits_used_today": self._policy().credits_used_today(now),
                  "daily_credit_budget": self.sbd.daily_credit_budget,
                  "waiting": sbd_store.waiting(self._store().db, now),
                  "last_session": last["result"] if last else None,
                  "last_session_at": iso_utc(last["started_at"]) if last else None}
        if (state, detail) != self._recorded:
            self._record(state, **detail)
            self._recorded = (state, detail)

    def _record(self, state: str, **detail: object) -> None:
        if self.store is None:
            return
        with self.store.transaction() as db:
            link_status.record(db, "sbd", state, port=self.sbd.port, **detail)
        self.notifier("status")

    def _modem(self) -> SbdModem:
        if self.modem is None:
            raise LinkError("satellite modem not open")
        return self.modem

    def _policy(self) -> SatellitePolicy:
        assert self.policy is not None
        return self.policy


def _record(started: float, kind: str, result: str, outgoing: Outgoing | None,
            session: SessionResult | None) -> sbd_store.SessionRecord:
    fields = {} if session is None else {
        "mo_status": session.mo_status, "momsn": session.momsn, "mt_status": session.mt_status,
        "mtmsn": session.mtmsn, "mt_length": session.mt_length, "mt_queued": session.mt_queued}
    sent = {} if outgoing is None else {"bytes": len(outgoing.data), "credits": outgoing.credits,
                                        "alerts": outgoing.alerts}
    return sbd_store.SessionRecord(started_at=started, kind=kind, result=result, **sent, **fields)
