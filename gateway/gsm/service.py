"""The worker that owns the GSM modem: receive, commit, delete, acknowledge.

The order that loses nothing: read the SMS -> commit it (with its alert and acknowledgement)
-> only then delete it from the SIM. Storage is swept with AT+CMGL at start and periodically,
so a missed +CMTI never strands a message; incoming messages go before outgoing ones.

A modem that stops answering is found by a health probe ('AT' when the line has been quiet for
`health_interval`); the worker then reopens the port and sets the modem up again, and
`ModemRecovery` escalates to a soft reset and a power-cycle when that keeps failing.
"""

from __future__ import annotations

import logging
import queue
import re
import sqlite3
import time

from gpiozero.pins import Factory

from gateway import clock
from gateway.alerts.codes import CodeBook
from gateway.alerts.pipeline import Pipeline
from gateway.config import Config
from gateway.errors import CommandError, LinkError, ModemRestarted, StoreError
from gateway.gsm.calls import CallHandler
from gateway.gsm.credit import CreditWatch
from gateway.gsm.modem import GsmModem, NetworkState, StoredSms
from gateway.gsm.power import ModemPower, relay_pin
from gateway.gsm.profiles import STATUS_REPORTS, ModemProfile, find_profile, load_profiles
from gateway.gsm.recovery import ModemRecovery
from gateway.gsm.sms_pdu import decode_deliver, decode_status_report, is_status_report
from gateway.gsm.voice import ModemVoice
from gateway.model import SmsPart
from gateway.outreach.compose import BROADCAST_PRIORITY, FOLLOW_UP_PRIORITY
from gateway.outreach.config import outreach_settings
from gateway.outreach.delivery import DeliveryDesk, Pacer, kind, wants_report
from gateway.repeats import Repeats
from gateway.store import links as link_status
from gateway.store import outbox
from gateway.timeutil import iso_utc
from gateway.workers import Notifier, StoreWorker

log = logging.getLogger(__name__)

# a new message stored (+CMTI), or a status report stored (+CDSI): read alike
CMTI = re.compile(r'\+(?:CMTI|CDSI):\s*"?([A-Z_]*)"?\s*,\s*(\d+)')
CDS = "+CDS:"  # a status report on the line (its PDU after a newline, gateway/at.py)
WAKE = "(new rows to send)"  # not from the modem: the wait for its lines is over
PROBE_INTERVAL = 30.0
FLUSH_INTERVAL = 30.0  # or a quarter of multipart_timeout, if shorter
IDLE_WAIT = 1.0
BOOT_QUIET, BOOT_WAIT_MAX = 2.0, 20.0  # a boot is over after 2 s without a line
BOOT_URCS = ("RDY", "Call Ready", "SMS Ready", "+CFUN:", "+CPIN: NOT READY")
MEMORY_FULL = ("+CMS ERROR: 322", "^SMMEMFULL")
MEMORY_FULL_CODE = 322
NO_NETWORK = {30, 331, 332}  # +CMS ERROR: no network service, network timeout
ACKS_IN_A_BURST = 5  # acknowledgements sent each turn while more SMS are announced


class GsmService(StoreWorker):
    def __init__(self, config: Config, codebook: CodeBook, notifier: Notifier,
                 pin_factory: Factory | None = None):
        super().__init__("gsm", config.store.path)
        assert config.gsm is not None
        self.config = config
        self.gsm = config.gsm
        self.backoff_cap = config.gsm.reconnect_cap
        self.codebook = codebook
        self.notifier = notifier
        self.modem: GsmModem | None = None
        self.pipeline: Pipeline | None = None
        self.network: NetworkState | None = None
        self.identity: dict[str, str | None] = {}  # for `cangw modem info` while we hold the port
        relay = relay_pin(config)
        self.recovery = ModemRecovery(self.gsm, ModemPower(*relay, pin_factory) if relay else None)
        self.activity: dict[str, str | None] = {"last_received_at": None, "last_sent_at": None}
        self._next_sweep = self._next_probe = self._next_flush = self._next_health = 0.0
        self.calls: CallHandler | None = None
        self.credit: CreditWatch | None = None
        self.delivery: DeliveryDesk | None = None
        self.pacer = Pacer(outreach_settings(config).send_gap)
        self._next_send = 0.0  # a paced broadcast message's turn (monotonic)
        self._send_errors = Repeats()  # broadcast send errors, said once then every 10 min
        notifier.listen("sms", self._wake)  # new rows to send (a command from headquarters...)

    # -- life cycle ---------------------------------------------------------------------------
    def loop(self) -> None:
        if self.open_store():
            self.pipeline = Pipeline(self._store(), self.config, self.codebook, self.notifier)
            self.delivery = DeliveryDesk(self._store(), self.config, self.notifier)
        try:
            self._connect()
            self.recovery.connected()
            self.link_up()
            while not self.stopping.is_set():
                self.beat()
                self._step()
        except ModemRestarted as exc:
            # its settings are gone: set it up again once its boot is over; nothing failed, so
            # no back-off and no recovery step
            log.warning("%s; setting it up again", exc)
            self._record("down", error=str(exc), **self._recovery_detail())
            self._let_it_boot()
        except LinkError as exc:
            self._disconnect()  # free the port: the recovery may reopen it for a reset
            if not self.stopping.is_set():
                self.recovery.failed(exc)
            self._record("down", error=str(exc), **self._recovery_detail())
            raise
        finally:
            self._disconnect()

    def _let_it_boot(self) -> None:
        """Wait until the modem's start-up lines stop (they come over some seconds), or each
        of them would interrupt the next set-up. What else comes meanwhile is dropped: the
        sweep after the set-up reads any SMS it announced."""
        modem, deadline = self.modem, time.monotonic() + BOOT_WAIT_MAX
        while modem is not None and time.monotonic() < deadline and not self.stopping.is_set():
            try:
                modem.urcs.get(timeout=BOOT_QUIET)
            except queue.Empty:
                return

    def cleanup(self) -> None:
        self._disconnect()
        if self.store is not None:
            self._record("stopped")
        self.close_store()

    def _connect(self) -> None:
        modem = GsmModem(self.gsm)
        modem.open()
        self.modem = modem
        self.identity = modem.identity()
        self.recovery.identified(self.identity.get("model"))
        log.info("GSM modem on %s ready (storage %s)", self.gsm.port, modem.storage)
        profiles = load_profiles()
        key = self.config.call_settings.profile
        profile = profiles.get(key) if key else find_profile(profiles, self.identity.get("model"))
        self._start_voice(modem, profile)
        ds = STATUS_REPORTS[profile.status_reports if profile else "cds"]
        if ds:
            modem.route_status_reports(ds)
        self._probe()
        self._sweep()

    def _start_voice(self, modem: GsmModem, profile: ModemProfile | None) -> None:
        """Missed calls, keypad codes and the credit watch, on the modem's profile."""
        voice = ModemVoice(modem.at, profile)
        self.calls = None
        if self.config.call_settings.enabled:
            voice.enable_caller_id()
            self.calls = CallHandler(self._pipeline(), voice, self.config.call_settings)
        if self.config.credit is not None:
            self.credit = CreditWatch(self._store(), self.config.credit, self.config.base.id, voice)

    def _disconnect(self) -> None:
        if self.modem is not None:
            self.modem.close()
            self.modem = None

    # -- the loop -----------------------------------------------------------------------------
    def _step(self) -> None:
        modem = self._modem()
        try:
            item = modem.urcs.get(timeout=self._wait_time())
        except queue.Empty:
            item = None
        lines = []
        while item is not None:
            lines.append(item[1])
            item = _next_nowait(modem.urcs)
        self._on_urcs(lines)
        now = time.monotonic()
        if now >= self._next_sweep:
            self._sweep()
        if now >= self._next_probe:
            self._probe()
        if now >= self._next_health:
            quiet = now - modem.at.last_rx
            if quiet >= self.gsm.health_interval:
                modem.ping()  # a ModemTimeout here ends the link: reopen, and recover
                quiet = 0.0
            # look again when the line will have been quiet for a whole interval
            self._next_health = now + self.gsm.health_interval - quiet
        if self.calls is not None:
            self.calls.tick(now)
        if self.credit is not None:
            self.credit.tick(now)
        if now >= self._next_flush:
            self._pipeline().flush_stale_parts(self.gsm.multipart_timeout)
            self._next_flush = now + min(FLUSH_INTERVAL, self.gsm.multipart_timeout / 4)
        self._send_due()
        if not modem.at.alive:
            raise LinkError(f"{self.gsm.port}: serial link lost")

    def _wait_time(self) -> float:
        soonest = min(self._next_sweep, self._next_probe, self._next_flush, self._next_health,
                      self._next_send or float("inf"))
        return max(0.0, min(IDLE_WAIT, soonest - time.monotonic()))

    def stop(self) -> None:
        """Stop, ending the wait on the modem's lines now rather than when it runs out."""
        super().stop()
        self._wake()

    def _wake(self) -> None:
        """Another worker queued something to send: end the wait on the modem's lines now."""
        modem = self.modem
        if modem is not None:
            modem.urcs.put((time.monotonic(), WAKE))

    def _on_urcs(self, lines: list[str]) -> None:
        """Handle what the modem announced, in order; new-SMS notices that come together (a
        burst) are read together and committed in one transaction."""
        notices: list[re.Match] = []
        for line in (line for line in lines if line != WAKE):
            match = CMTI.match(line)
            if match is not None:
                notices.append(match)
                continue
            self._read_new(notices)
            notices = []
            self._on_other_urc(line)
        self._read_new(notices)

    def _read_new(self, notices: list[re.Match]) -> None:
        """Read each announced slot once. A notice may be stale: its message was swept (read,
        committed, deleted) meanwhile and the network has put a new one in the same slot, so
        the stale and the fresh notice name one slot; it holds one message until we delete it.
        A notice that comes after this batch deleted its slot announces a newer message, read
        in the next batch."""
        modem, batch = self._modem(), []
        slots = dict.fromkeys((n.group(1) or modem.storage, int(n.group(2))) for n in notices)
        for memory, index in slots:
            stored = modem.read(index, memory)
            if stored is not None:
                batch.append(stored)
        if batch:
            self._take(batch)

    def _on_other_urc(self, line: str) -> None:
        if line.startswith(BOOT_URCS):
            raise ModemRestarted(f"{self.gsm.port}: the modem restarted by itself ({line})")
        if line.startswith("+CREG:"):
            self._next_probe = 0.0  # registration changed: look now (sends wait without it)
            return
        if line.startswith(CDS):
            self._take_reports([line.partition("\n")[2]])
            return
        if line.startswith(MEMORY_FULL):
            log.warning("GSM modem: SIM storage full (%s); reading it now", line)
            self._next_sweep = 0.0
            return
        taken = (self.calls is not None and self.calls.on_line(line, time.monotonic())) or \
            (self.credit is not None and self.credit.on_line(line))
        if not taken:
            log.debug("unsolicited %s ignored", line.split(":")[0])

    def _sweep(self) -> None:
        """Read everything in SIM storage: messages that arrived while we were down, or whose
        notification was lost. They are committed together, then deleted one by one."""
        self._next_sweep = time.monotonic() + self.gsm.sweep_interval
        try:
            listing = self._modem().list_stored()
        except CommandError as exc:
            if exc.code != MEMORY_FULL_CODE:
                raise
            # a modem may say "memory full" unsolicited, and it lands on our command
            log.warning("GSM modem: SIM storage full (during AT+CMGL); reading it again")
            self._next_sweep = 0.0
            return
        if listing:
            self._take(listing)

    def _take(self, batch: list[StoredSms]) -> None:
        """Commit what was read, then delete each slot read, once: a second AT+CMGD of a slot
        would destroy, unread, what the network stored there after the first. Status reports
        (of broadcasts and follow-ups) go to the delivery desk."""
        batch = _once_per_slot(batch)
        reports = [stored for stored in batch if is_status_report(stored.pdu)]
        if reports and self._take_reports([stored.pdu for stored in reports]):
            for stored in reports:
                self._modem().delete(stored)
        batch = [stored for stored in batch if stored not in reports]
        if not batch:
            return
        readings = self._confirmed(batch)
        for stored, part in readings:
            if part.decode_error:
                log.warning("SIM slot %d holds an undecodable PDU (%s); stored as hex",
                            stored.index, part.decode_error)
        try:
            results = self._pipeline().ingest_batch([part for _, part in readings])
        except (sqlite3.Error, StoreError, OSError) as exc:
            # said once (and every 10 minutes while it lasts): a full disk must not fill the log
            self._warn(f"cannot store the SMS ({exc}); they stay on the SIM and are read "
                       "again", 5, logging.ERROR)
            log.debug("SMS not stored: SIM slot(s) %s",
                      ", ".join(str(stored.index) for stored, _ in readings))
            self._next_sweep = min(self._next_sweep, time.monotonic() + 5)
            return
        self.activity["last_received_at"] = iso_utc(time.time())
        for (stored, _), result in zip(readings, results, strict=True):
            if result.duplicate:
                log.info("SIM slot %d was already stored before a restart; deleting it",
                         stored.index)
            self._modem().delete(stored)

    def _confirmed(self, batch: list[StoredSms]) -> list[tuple[StoredSms, SmsPart]]:
        """The readings to commit, decoded. One that looks damaged (cut short, or undecodable)
        is read again: the same bytes twice are what the SIM holds (an undecodable SMS is kept
        as hex), a sound second reading replaces it, and otherwise the slot is left on the SIM
        for a sweep soon rather than deleted on the strength of damaged bytes."""
        confirmed = []
        for stored in batch:
            part = decode_deliver(stored.pdu)
            if _sound(stored, part):
                confirmed.append((stored, part))
                continue
            again = self._modem().read(stored.index, stored.memory)
            if again is not None:
                again_part = decode_deliver(again.pdu)
                if again.pdu == stored.pdu or _sound(again, again_part):
                    confirmed.append((again, again_part))
                    continue
            log.warning("SIM slot %d read differently twice (bytes lost on the line?); left "
                        "on the SIM for the next sweep", stored.index)
            self._next_sweep = min(self._next_sweep, time.monotonic() + 5)
        return confirmed

    def _take_reports(self, pdus: list[str]) -> bool:
        """Commit status reports (broadcasts, follow-ups); False when the store failed (stored
        ones then stay on the SIM and are read again)."""
        reports = [r for r in map(decode_status_report, pdus) if r is not None]
        if len(reports) < len(pdus):
            log.warning("GSM modem: %d status report(s) could not be read; ignored",
                        len(pdus) - len(reports))
        try:
            self._delivery().take(reports)
        except (sqlite3.Error, StoreError, OSError) as exc:
            self._warn(f"cannot store status reports ({exc}); they are read again", 5,
                       logging.ERROR)
            return False
        return True

    # -- sending: acknowledgements, then follow-ups, then broadcasts (paced) ------------------
    def _send_due(self) -> None:
        """Acknowledgements while nothing else is announced, and a few each turn even during a
        burst: the SMS read first are answered before the burst behind them is read (a
        throttled sender's do not queue up: they get one per window)."""
        if self.network is not None and not self.network.registered:
            return  # no network: acknowledgements wait, receiving goes on
        db = self._store().db
        modem = self._modem()
        self._next_send = 0.0
        sent = 0
        while not self.stopping.is_set():
            rows = outbox.due(db, "sms", clock.now())
            if not rows:
                return
            announced = not modem.urcs.empty()
            if announced and (sent >= ACKS_IN_A_BURST or rows[0].priority >= FOLLOW_UP_PRIORITY):
                return  # what was announced is read first; only acknowledgements go between
            wait = self.pacer.wait(rows[0], time.monotonic())
            if wait > 0:
                self._next_send = time.monotonic() + wait
                return
            self._send(rows[0])
            sent += 1

    def _send(self, row: outbox.OutboxRow) -> None:
        store = self._store()
        self.pacer.starting(row, time.monotonic())
        outreach = outreach_settings(self.config)
        try:
            references = self._modem().send_sms(
                row.recipient or "", row.body or "", reference=row.id,
                report=wants_report(row), validity=outreach.validity)
        except CommandError as exc:
            with store.transaction() as db:
                state = outbox.mark_attempt_failed(db, row.id, exc.response, clock.now(),
                                                   self.gsm.send_attempts, self.gsm.send_retry)
            if exc.code in NO_NETWORK:
                self._next_probe = 0.0  # look at the network now: sends wait while it is gone
            # a broadcast that meets an empty account must not log 500 warnings
            said = row.priority < BROADCAST_PRIORITY or self._send_errors.due(exc.response)
            log.log(logging.WARNING if said else logging.DEBUG, "%s %d to %s failed (%s); %s",
                    kind(row), row.id, self._pipeline().pseudonym(row.recipient), exc.response,
                    {outbox.PENDING: "will retry", outbox.FAILED: "giving up"}.get(
                        state, "it was dropped meanwhile"))
            return
        except LinkError as exc:
            with store.transaction() as db:
                outbox.mark_attempt_failed(db, row.id, f"link lost while sending: {exc}",
                                           clock.now(), self.gsm.send_attempts, self.gsm.send_retry)
            raise
        with store.transaction(durable=False) as db:
            outbox.mark_done(db, row.id, time.time())
            self._delivery().sent(row, references, time.time())
        self.activity["last_sent_at"] = iso_utc(time.time())
        log.log(logging.DEBUG if row.priority >= BROADCAST_PRIORITY else logging.INFO,
                "%s sent to %s (outbox %d)", kind(row), self._pipeline().pseudonym(row.recipient),
                row.id)

    # -- status -------------------------------------------------------------------------------
    def _probe(self) -> None:
        modem = self._modem()
        self.network = modem.network()
        use = modem.storage_use()
        self._record("up" if self.network.registered else "no_network",
                     signal=self.network.signal, signal_dbm=self.network.signal_dbm,
                     registration=self.network.registration, operator=self.network.operator,
                     storage_used=use[0] if use else None, storage_total=use[1] if use else None,
                     **self.identity, **self.activity, **self._recovery_detail())
        if use and use[0] >= use[1]:
            log.warning("GSM modem: SIM storage full (%d/%d); reading it now", *use)
            self._next_sweep = 0.0
        # without network, look again soon: acknowledgements wait for it
        wait = PROBE_INTERVAL if self.network.registered else self.gsm.health_interval
        self._next_probe = time.monotonic() + wait

    def _recovery_detail(self) -> dict[str, object]:
        return {**self.recovery.counts, "last_recovery": self.recovery.last_action}

    def _record(self, state: str, **detail: object) -> None:
        if self.store is None:
            return
        try:
            with self.store.transaction() as db:
                link_status.record(db, "gsm", state, port=self.gsm.port, **detail)
        except sqlite3.Error as exc:
            log.warning("cannot record the GSM link state: %s", exc)
        self.notifier("status")

    def _modem(self) -> GsmModem:
        if self.modem is None:
            raise LinkError("modem not open")
        return self.modem

    def _pipeline(self) -> Pipeline:
        assert self.pipeline is not None
        return self.pipeline

    def _delivery(self) -> DeliveryDesk:
        assert self.delivery is not None
        return self.delivery


def _sound(stored: StoredSms, part: SmsPart) -> bool:
    return stored.intact and part.decode_error is None


def _once_per_slot(batch: list[StoredSms]) -> list[StoredSms]:
    """The first reading of each slot, in order."""
    first: dict[tuple[str, int], StoredSms] = {}
    for stored in batch:
        first.setdefault(stored.slot, stored)
    return list(first.values())


def _next_nowait(urcs: queue.Queue) -> tuple[float, str] | None:
    try:
        return urcs.get_nowait()
    except queue.Empty:
        return None
