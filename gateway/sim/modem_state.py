"""What the simulated modem remembers: its SIM storage, settings, and what it sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gateway.sim.calls import SimulatedCall


@dataclass
class StoredMessage:
    pdu: str
    sender: str | None
    text: str
    when: dt.datetime
    read: bool = False


@dataclass(frozen=True)
class SentMessage:
    number: str | None
    text: str
    pdu: str
    at: float
    report: bool = False  # the PDU asked a status report (TP-SRR)
    reference: int = 0  # the message reference +CMGS gave it


Delivery = tuple[str, str | None, str, dt.datetime | None]  # (PDU, sender, text, sent at)


@dataclass
class ModemState:
    """Everything the AT commands read and change."""

    capacity: int = 30
    storage: dict[int, StoredMessage] = field(default_factory=dict)
    echo: bool = True
    cmee: int = 0
    pdu_mode: bool = True
    charset: str = "GSM"
    cnmi: tuple[int, ...] = (0, 0, 0, 0, 0)
    clip: bool = False
    pin: str | None = None
    unlocked: bool = True
    signal: int = 20
    registration: int = 1
    creg_mode: int = 0  # 1: report registration changes with +CREG: <stat>
    operator: str = "Vodacom CD"
    ussd_reply: str | None = "Votre solde est de 1250 FC."  # None: the network refuses USSD
    call: SimulatedCall | None = None
    calls: list[SimulatedCall] = field(default_factory=list)
    keypad_supported: bool = True  # False: AT+DDET is refused, as on some firmware builds
    keypad_on: bool = False
    message_reference: int = 0
    sent: list[SentMessage] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # every PDU ever stored, in order
    events: list[tuple[float, str, object]] = field(default_factory=list)
    # fault modes (gateway/sim/modem_faults.py)
    hang: str | None = None  # None, "time", "reset" or "power": what makes it answer again
    hang_until: float = 0.0  # for a "time" hang
    powered: bool = True
    booting_until: float = 0.0
    notify: bool = True  # False: new messages are stored without a +CMTI
    full_notice: str | None = "+CMS ERROR: 322"  # said when the SIM is full (None: nothing)
    damaged_reads: int = 0  # the next N messages read lose bytes on the line
    send_errors: list[int] = field(default_factory=list)  # +CMS ERROR codes for the next sends
    waiting_at_network: list[Delivery] = field(default_factory=list)  # held while the SIM is full
    armed_bursts: list[tuple[str, list[Delivery]]] = field(
        default_factory=list)  # (command, burst): handed over as the host sends that command
    deleted_unread: list[str] = field(
        default_factory=list)  # PDUs the host deleted without reading them since they were stored
    phonebook: dict[int, tuple[str, str]] = field(default_factory=dict)  # index: number, name
    phonebook_size: int = 250
    reports: list[tuple[float, int, str, int]] = field(default_factory=list)  # status reports
    phones_off: dict[str, tuple[float | None, int]] = field(default_factory=dict)

    def free_index(self) -> int | None:
        return next((i for i in range(1, self.capacity + 1) if i not in self.storage), None)

    def restart(self) -> None:
        """What a restart (reset or power-on) forgets: every setting the host made."""
        self.echo, self.cmee, self.pdu_mode, self.charset = True, 0, True, "GSM"
        self.cnmi, self.clip, self.creg_mode = (0, 0, 0, 0, 0), False, 0
        self.unlocked = self.pin is None
        self.hang = None
