"""A GSM modem driven by AT commands (3GPP TS 27.005 / 27.007), in PDU mode.

Only operations live here; the policy (commit before delete, sweeps, retries) lives in the GSM
service that owns the modem.
"""

from __future__ import annotations

import logging
import queue
import re
import time
from dataclasses import dataclass

from gateway.at import AtChannel
from gateway.errors import CommandError, LinkError, ModemTimeout, SimLocked
from gateway.gsm.config import GsmConfig
from gateway.gsm.sms_pdu import encode_submit

log = logging.getLogger(__name__)

REGISTRATION = {0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown",
                5: "roaming"}
PREFERRED_STORAGE = ("SM", "ME", "MT")
SYNC_ATTEMPTS, SYNC_TIMEOUT = 4, 1.5
LISTING_TIMEOUT = 120.0  # 255 stored messages at 9600 baud take about a minute


@dataclass(frozen=True)
class StoredSms:
    """One message as read from storage; only such a reading can be deleted (`GsmModem.delete`)."""

    memory: str
    index: int
    status: int
    pdu: str
    length: int | None = None  # the TPDU's octets, as the modem announced them

    @property
    def slot(self) -> tuple[str, int]:
        return self.memory, self.index

    @property
    def intact(self) -> bool:
        """False when the PDU is not as long as the modem announced: bytes lost on the line
        (a PDU cut short still decodes, to a shorter text)."""
        if self.length is None:
            return True
        try:
            smsc_octets = int(self.pdu[:2], 16) + 1
        except ValueError:
            return False
        return len(self.pdu) == 2 * (smsc_octets + self.length)


@dataclass(frozen=True)
class NetworkState:
    signal: int | None  # RSSI 0-31 from AT+CSQ; None when unknown (99)
    registration: str
    operator: str | None

    @property
    def registered(self) -> bool:
        return self.registration in ("home", "roaming")

    @property
    def signal_dbm(self) -> int | None:
        return None if self.signal is None else -113 + 2 * self.signal


class GsmModem:
    def __init__(self, config: GsmConfig, exclusive: bool = True):
        self.config = config
        self.at = AtChannel(config.port, config.baudrate, config.command_timeout, exclusive)
        self.storage = "SM"  # where new messages are stored, chosen by `initialise`
        self._reading = "SM"  # the memory AT+CMGR, AT+CMGL and AT+CMGD act on now

    @property
    def urcs(self) -> queue.Queue[tuple[float, str]]:
        return self.at.urcs

    def open(self, initialise: bool = True) -> None:
        """Open the port; `initialise=False` only checks the modem answers (for diagnosis,
        leaving its settings as they are)."""
        self.at.open()
        try:
            if initialise:
                self.initialise()
            else:
                self._sync()
        except BaseException:
            self.at.close()
            raise

    def close(self) -> None:
        self.at.close()

    def initialise(self) -> None:
        """Bring the modem to a known state: no echo, numeric errors, SIM unlocked, PDU mode,
        messages stored on the SIM with a +CMTI notification."""
        self._sync()
        self.at.command("ATE0")
        self.at.command("AT+CMEE=1")
        self._unlock_sim()
        self.at.command("AT+CMGF=0")
        self._choose_storage()
        self.at.command("AT+CNMI=2,1,0,0,0")
        self.at.command("AT+CREG=1")  # say when the network comes or goes (+CREG: <stat>)

    def _sync(self) -> None:
        """Make sure the modem listens: ESC first ends an SMS prompt a killed process may have
        left open (the modem would take our commands as the message's text)."""
        self.at.write_raw("\x1b")
        for attempt in range(SYNC_ATTEMPTS):
            try:
                self.at.command("AT", timeout=min(SYNC_TIMEOUT, self.config.command_timeout))
                return
            except (ModemTimeout, CommandError):
                if attempt + 1 < SYNC_ATTEMPTS:  # no pause after the last: it is given up on
                    time.sleep(0.2 * (attempt + 1))
        raise ModemTimeout(f"{self.config.port}: the modem does not answer 'AT'")

    def ping(self) -> None:
        """The health probe: 'AT' must come back within the command timeout (at most 5 s)."""
        self.at.command("AT", timeout=min(5.0, self.config.command_timeout))

    def _unlock_sim(self) -> None:
        state = self._cpin()
        if state == "READY":
            return
        if state == "SIM PIN" and self.config.pin:
            self.at.command(f"AT+CPIN={self.config.pin}", timeout=20)
            for _ in range(20):
                if self._cpin() == "READY":
                    return
                time.sleep(0.5)
        error = SimLocked if state in ("SIM PIN", "SIM PUK") else LinkError
        raise error(f"SIM not ready: {state}" + ("" if self.config.pin else
                                                 " (set [gsm] pin if the SIM has one)"))

    def _cpin(self) -> str:
        lines = self.at.command("AT+CPIN?", expect="+CPIN:")
        return _field(lines, "+CPIN:") or "unknown"

    def _choose_storage(self) -> None:
        for memory in PREFERRED_STORAGE:
            try:
                self.at.command(f'AT+CPMS="{memory}","{memory}","{memory}"', expect="+CPMS:")
            except CommandError:
                continue
            self.storage = self._reading = memory
            return
        raise LinkError("the modem accepts none of the SMS storages " + ", ".join(PREFERRED_STORAGE))

    def _select(self, memory: str) -> None:
        """Make `memory` the one read and deleted from: an index means nothing without it."""
        if memory != self._reading:
            self.at.command(f'AT+CPMS="{memory}"', expect="+CPMS:")
            self._reading = memory

    # -- messages -----------------------------------------------------------------------------
    def list_stored(self) -> list[StoredSms]:
        """Every message in storage, read or not (AT+CMGL=4)."""
        self._select(self.storage)
        lines = self.at.command("AT+CMGL=4", expect="+CMGL:", timeout=LISTING_TIMEOUT,
                                quiet_limit=self.config.command_timeout)
        found = []
        for header, pdu in _header_pdu_pairs(lines, "+CMGL:"):
            numbers = _ints(header)  # index, status, [alpha,] length
            if len(numbers) >= 2:
                length = numbers[-1] if len(numbers) >= 3 else None
                found.append(StoredSms(self.storage, numbers[0], numbers[1], pdu, length))
        return found

    def read(self, index: int, memory: str | None = None) -> StoredSms | None:
        """One stored message (in `memory`, a +CMTI may name another than ours), or None when
        the slot is empty."""
        memory = memory or self.storage
        self._select(memory)
        try:
            lines = self.at.command(f"AT+CMGR={index}", expect="+CMGR:")
        except CommandError as exc:
            if exc.code == 321:  # invalid memory index: already read and deleted
                return None
            raise
        pairs = _header_pdu_pairs(lines, "+CMGR:")
        if not pairs:
            return None
        header, pdu = pairs[0]
        numbers = _ints(header)  # status, [alpha,] length
        return StoredSms(memory, index, numbers[0] if numbers else 0, pdu,
                         numbers[-1] if len(numbers) >= 2 else None)

    def delete(self, stored: StoredSms) -> None:
        """Delete a message read from storage, in the memory it was read from. The caller
        deletes each reading once: the network may store a new message in the slot the
        moment it is free, and a second AT+CMGD would destroy that one unread."""
        self._select(stored.memory)
        self.at.command(f"AT+CMGD={stored.index}")

    def send_sms(self, number: str, text: str, reference: int = 0, report: bool = False,
                 validity: float | None = None) -> list[int]:
        """Send a message (several parts if long); returns the network's message references
        (-1 for a part the modem gave none). `report` asks a status report for each part."""
        references = []
        for part in encode_submit(number, text, reference, report, validity):
            lines = self.at.command_with_prompt(f"AT+CMGS={part.tpdu_length}", part.hex,
                                                expect="+CMGS:", timeout=60)
            numbers = _ints(_field(lines, "+CMGS:") or "")
            references.append(numbers[0] if numbers else -1)
        return references

    def route_status_reports(self, ds: int) -> bool:
        """Where status reports go (AT+CNMI <ds>: 1 on the line as +CDS, 2 stored with +CDSI);
        False when the modem refuses (it then keeps AT+CNMI=2,1,0,0,0: no reports)."""
        try:
            self.at.command(f"AT+CNMI=2,1,0,{ds},0")
        except CommandError as exc:
            log.warning("GSM modem refuses status reports (AT+CNMI ds=%d: %s); broadcast "
                        "messages will stay 'sent' and end 'expired'", ds, exc.response)
            self.at.command("AT+CNMI=2,1,0,0,0")
            return False
        return True

    def storage_use(self) -> tuple[int, int] | None:
        """(used, total) slots of the read storage."""
        lines = self.at.command("AT+CPMS?", expect="+CPMS:")
        numbers = _ints(_field(lines, "+CPMS:") or "")
        return (numbers[0], numbers[1]) if len(numbers) >= 2 else None

    def identity(self) -> dict[str, str | None]:
        """Manufacturer, model, firmware revision and IMEI; None where the modem will not say."""
        return {key: self._answer(command) for key, command in
                (("manufacturer", "AT+CGMI"), ("model", "AT+CGMM"), ("revision", "AT+CGMR"),
                 ("imei", "AT+CGSN"))}

    def _answer(self, command: str) -> str | None:
        try:
            lines = [line for line in self.at.command(command) if line.strip()]
        except CommandError:
            return None
        if not lines:
            return None
        text = lines[0].strip()
        prefix = command[2:] + ":"
        return text[len(prefix):].strip().strip('"') if text.startswith(prefix) else text

    # -- network ------------------------------------------------------------------------------
    def network(self) -> NetworkState:
        csq = _ints(_field(self.at.command("AT+CSQ", expect="+CSQ:"), "+CSQ:") or "")
        creg = _ints(_field(self.at.command("AT+CREG?", expect="+CREG:"), "+CREG:") or "")
        operator = None
        try:
            cops = _field(self.at.command("AT+COPS?", expect="+COPS:"), "+COPS:") or ""
            match = re.search(r'"([^"]*)"', cops)
            operator = match.group(1) if match else None
        except CommandError:
            pass
        rssi = csq[0] if csq else 99
        stat = creg[1] if len(creg) >= 2 else (creg[0] if creg else 4)
        return NetworkState(signal=None if rssi == 99 else rssi,
                            registration=REGISTRATION.get(stat, "unknown"), operator=operator)


def _field(lines: list[str], prefix: str) -> str | None:
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def _ints(text: str) -> list[int]:
    values = []
    for item in text.split(","):
        item = item.strip().strip('"')
        if item.isdigit():
            values.append(int(item))
    return values


def _header_pdu_pairs(lines: list[str], prefix: str) -> list[tuple[str, str]]:
    """Pair each '+CMGL: ...'/'+CMGR: ...' header with the PDU line that follows it."""
    pairs = []
    header = None
    for line in lines:
        if line.startswith(prefix):
            header = line[len(prefix):]
        elif header is not None:
            pairs.append((header, line.strip()))
            header = None
    return pairs
