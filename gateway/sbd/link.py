"""The Iridium 9602/9603 SBD modem (a RockBLOCK), by the AT commands of the Iridium ISU AT
command reference: load a message (AT+SBDWB), run a session (AT+SBDIX), read what headquarters
sent (AT+SBDRB), clear the buffers (AT+SBDD), check the signal (AT+CSQ), ring alerts
(AT+SBDMTA=1, unsolicited SBDRING), and the signal's changes as they happen (AT+CIER=1,1,1:
unsolicited +CIEV:0,<bars> and +CIEV:1,<service>), so that a base without signal can wait for
it rather than poll; a modem that refuses AT+CIER is polled instead.

It shares the AT engine of the GSM modem (gateway/at.py), whose reader never dies and
keeps unsolicited lines apart. Sending does not clear the modem's MO buffer, so the caller
clears it (AT+SBDD0) once a message is known sent; otherwise the next mailbox check would send
it again.
"""

from __future__ import annotations

import logging
import queue
import re
from dataclasses import dataclass

from gateway.at import AtChannel
from gateway.errors import CommandError, LinkError
from gateway.sbd.wire import MO_MAX

log = logging.getLogger(__name__)

SBDIX = re.compile(r"\+SBDIXA?:\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+)")
CSQ = re.compile(r"\+CSQF?:\s*([0-9]+)$")
CIEV = re.compile(r"\+CIEV:\s*([01]),\s*([0-9])$")
MAX_BARS = 5
WRITE_RESULTS = {"0": "loaded", "1": "timed out waiting for the message",
                 "2": "checksum refused", "3": "size refused"}

# MO session status (ISU AT Command Reference, +SBDIX); 0-4 mean the message went
MO_STATUS = {
    5: "failure", 6: "failure", 7: "failure", 8: "failure", 10: "gateway reported a timeout",
    11: "MO queue at the gateway full", 12: "too many segments", 13: "session incomplete",
    14: "segment size refused", 15: "access denied", 16: "modem locked",
    17: "gateway not responding (local session timeout)", 18: "connection lost (RF drop)",
    19: "link failure", 32: "no network service", 33: "antenna fault", 34: "radio disabled",
    35: "modem busy", 36: "wait 3 minutes after the last registration", 37: "SBD disabled",
    38: "traffic management period", 64: "band violation", 65: "PLL lock failure",
}


def checksum(data: bytes) -> bytes:
    """The low 16 bits of the byte sum, big-endian."""
    return (sum(data) & 0xFFFF).to_bytes(2, "big")


@dataclass(frozen=True)
class SessionResult:
    mo_status: int
    momsn: int
    mt_status: int  # 0 nothing waiting, 1 a message received, 2 error
    mtmsn: int
    mt_length: int
    mt_queued: int  # further messages waiting at the gateway

    @property
    def sent(self) -> bool:
        return self.mo_status <= 4

    @property
    def meaning(self) -> str:
        if self.sent:
            return "success"
        return MO_STATUS.get(self.mo_status, "failure (reserved code)")

    @property
    def mt_received(self) -> bool:
        return self.mt_status == 1


@dataclass(frozen=True)
class Indications:
    """What the modem announced by itself since the last look."""

    rings: int = 0  # SBDRING: headquarters has a message waiting
    signal: int | None = None  # the latest +CIEV signal (service lost counts as 0)
    service: bool | None = None  # the latest +CIEV service availability
    dropped: bool = False  # the signal fell to 0 meanwhile (it may be back already)


class SbdModem:
    def __init__(self, port: str, baudrate: int = 19200, command_timeout: float = 10.0,
                 session_timeout: float = 90.0, ring_alerts: bool = True):
        self.channel = AtChannel(port, baudrate, command_timeout)
        self.session_timeout = session_timeout
        self.ring_alerts = ring_alerts
        self.imei: str | None = None
        self.indicates_signal = False  # the modem reports signal changes (+CIEV)

    def open(self) -> None:
        """Open the port and set the modem up: no echo, no flow control (a 3-wire RockBLOCK),
        ring alerts on, and an MO buffer emptied of what a previous run may have left."""
        self.channel.open()
        try:
            self.channel.command("AT")
            self.channel.command("ATE0")
            self.channel.command("AT&K0")
            if self.ring_alerts:
                self.channel.command("AT+SBDMTA=1")
            self.clear_mo()
            self.indicates_signal = self._report_signal_changes()
            lines = self.channel.command("AT+CGSN")
            self.imei = next((line for line in lines if line.isdigit()), None)
        except LinkError:
            self.close()
            raise

    def _report_signal_changes(self) -> bool:
        try:
            self.channel.command("AT+CIER=1,1,1")
        except CommandError:
            log.info("SBD modem: no signal indications (AT+CIER refused); the signal is polled")
            return False
        return True

    def close(self) -> None:
        self.channel.close()

    def signal(self) -> int:
        """Signal bars, 0 (none) to 5."""
        lines = self.channel.command("AT+CSQ", expect="+CSQ", timeout=max(
            self.channel.default_timeout, 15.0))
        for line in lines:
            match = CSQ.match(line)
            if match and int(match.group(1)) <= MAX_BARS:
                return int(match.group(1))
        raise LinkError(f"AT+CSQ: no signal value from 0 to {MAX_BARS} in {lines!r}")

    def load(self, message: bytes) -> None:
        """Put a message in the MO buffer (AT+SBDWB with its checksum)."""
        if not 1 <= len(message) <= MO_MAX:
            raise ValueError(f"an SBD message is 1 to {MO_MAX} bytes, got {len(message)}")
        lines = self.channel.command_with_binary(f"AT+SBDWB={len(message)}",
                                                 message + checksum(message))
        result = next((line for line in lines if line in WRITE_RESULTS), None)
        if result != "0":
            raise LinkError(f"AT+SBDWB: {WRITE_RESULTS.get(result or '', repr(lines))}")

    def session(self, answer_ring: bool = False) -> SessionResult:
        """One SBD session: sends the MO buffer (if any) and fetches a waiting MT message.
        AT+SBDIXA answers a ring alert."""
        command = "AT+SBDIXA" if answer_ring else "AT+SBDIX"
        lines = self.channel.command(command, expect="+SBDIX", timeout=self.session_timeout)
        for line in lines:
            match = SBDIX.match(line)
            if match:
                return SessionResult(*(int(group) for group in match.groups()))
        raise LinkError(f"{command}: no +SBDIX result in {lines!r}")

    def read_mt(self) -> bytes:
        """The message in the MT buffer (AT+SBDRB), checked against its length and checksum."""
        block = self.channel.command_binary_reply("AT+SBDRB")
        size = int.from_bytes(block[:2], "big")
        message, trailer = block[2:2 + size], block[2 + size:]
        if len(message) != size or trailer != checksum(message):
            raise LinkError("AT+SBDRB: the message's checksum does not match")
        return message

    def clear_mo(self) -> None:
        lines = self.channel.command("AT+SBDD0")
        if "0" not in lines:
            raise LinkError(f"AT+SBDD0: buffer not cleared ({lines!r})")

    def indications(self) -> Indications:
        """The ring alerts and signal changes announced since the last call (other lines are
        logged)."""
        rings, signal, service, dropped = 0, None, None, False
        while True:
            try:
                _, line = self.channel.urcs.get_nowait()
            except queue.Empty:
                return Indications(rings, signal, service, dropped)
            match = CIEV.match(line)
            if line.startswith("SBDRING"):
                rings += 1
            elif match and match.group(1) == "0" and int(match.group(2)) <= MAX_BARS:
                signal = int(match.group(2))
            elif match and match.group(1) == "1" and match.group(2) in "01":
                service = match.group(2) == "1"
                if not service:
                    signal = 0
                elif signal == 0:
                    signal = None  # back, with bars not announced yet
            else:
                log.debug("SBD modem: unsolicited %r ignored", line)
                continue
            dropped = dropped or signal == 0
